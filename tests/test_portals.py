"""The emnify profile is exactly the guide (seed 002) and GRAPH.md's body, byte for byte."""

from __future__ import annotations

import json

import pytest

from ssoctl.errors import UsageError
from ssoctl.graph.mapping import application_body
from ssoctl.portals import PORTALS, PortalOptions, get_portal
from tests.support.emnify import GUIDE_BODY


def _sorted_access(body: dict) -> dict:
    body = json.loads(json.dumps(body))
    for rra in body["requiredResourceAccess"]:
        rra["resourceAccess"].sort(key=lambda a: a["id"])
    return body


def test_emnify_body_is_the_guide() -> None:
    spec = get_portal("emnify").build_spec(PortalOptions())
    assert _sorted_access(application_body(spec, None)) == _sorted_access(GUIDE_BODY)


def test_emnify_exposes_api_at_app_id_once_known() -> None:
    spec = get_portal("emnify").build_spec(PortalOptions())
    body = application_body(spec, "11111111-2222-3333-4444-555555555555")
    assert body["identifierUris"] == ["api://11111111-2222-3333-4444-555555555555"]


def test_upn_claim_adds_no_permission() -> None:
    spec = get_portal("emnify").build_spec(PortalOptions())
    names = sorted(p.name for p in spec.permissions)
    assert names == ["User.Read", "email", "profile"]


def test_unique_name_keys_on_portal_and_name() -> None:
    emnify = get_portal("EMNIFY")
    assert emnify.build_spec(PortalOptions()).unique_name == "ssoctl-emnify"
    assert (
        emnify.build_spec(PortalOptions(display_name="emnify staging")).unique_name
        == "ssoctl-emnify-emnify-staging"
    )
    assert emnify.build_spec(PortalOptions(display_name="emnify staging")).env_prefix == "EMNIFY_STAGING"


@pytest.mark.parametrize(
    "options",
    [
        PortalOptions(secret_days=0),
        PortalOptions(secret_days=731),
        PortalOptions(redirect_uris=("http://example.com/cb",)),
        PortalOptions(redirect_uris=("https://example.com/cb#frag",)),
        PortalOptions(redirect_uris=("not a uri",)),
        PortalOptions(redirect_uris=("https://example.com/" + "a" * 300,)),
        PortalOptions(redirect_uris=("https://example.com/cb'x",)),
        PortalOptions(redirect_uris=("https://example.com/a,b",)),
        PortalOptions(redirect_uris=("http://[::1]/cb",)),
        PortalOptions(redirect_uris=("https://example.com:99999/cb",)),
        PortalOptions(redirect_uris=("https://*.example.com/cb",)),
        PortalOptions(display_name="   "),
        PortalOptions(display_name="x" * 121),
    ],
)
def test_bad_options_are_usage_errors(options: PortalOptions) -> None:
    with pytest.raises(UsageError):
        get_portal("emnify").build_spec(options)


def test_localhost_http_redirect_is_allowed() -> None:
    spec = get_portal("emnify").build_spec(PortalOptions(redirect_uris=("http://localhost:8400/cb",)))
    assert "http://localhost:8400/cb" in spec.redirect_uris


def test_unknown_portal_names_the_known_ones() -> None:
    with pytest.raises(UsageError) as err:
        get_portal("nope")
    assert err.value.hint and "emnify" in err.value.hint
    assert set(PORTALS) >= {"emnify"}

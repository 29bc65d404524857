"""Portal profiles as TOML: the user's copy of emnify is emnify, errors give the line, flags override."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ssoctl.cli import app
from ssoctl.errors import UsageError
from ssoctl.graph.mapping import application_body
from ssoctl.portals import PORTALS, PortalOptions, find_portal, get_portal
from ssoctl.portals.profile import parse_profile, to_toml
from ssoctl.spec import parse_optional_claim, parse_permission
from tests.support.emnify import GUIDE_BODY

# Written by hand from the emnify guide, the way a user would (not copied from the built-in file).
USER_EMNIFY = """\
name = "emnify-mine"
sign_in_audience = "AzureADMultipleOrgs"
redirect_uris = ["https://prod-e5.okta.com/oauth2/v1/authorize/callback"]
implicit_access_tokens = true
implicit_id_tokens = true
identifier_uri = "api://{appId}"
permissions = ["Microsoft Graph/profile", "Microsoft Graph/email", "Microsoft Graph/User.Read"]
next_steps = ["Client ID: {client_id}"]

[optional_claims]
saml2Token = ["upn"]
"""


def _sorted(body: dict) -> dict:
    body = json.loads(json.dumps(body))
    for rra in body["requiredResourceAccess"]:
        rra["resourceAccess"].sort(key=lambda a: a["id"])
    return body


def test_user_profile_mirroring_emnify_gives_the_same_graph_body() -> None:
    mine = parse_profile(USER_EMNIFY, "mine.toml").build_spec(PortalOptions(display_name="emnify"))
    builtin = get_portal("emnify").build_spec(PortalOptions())
    assert application_body(mine, None) == application_body(builtin, None)
    assert _sorted(application_body(mine, None)) == _sorted(GUIDE_BODY)
    app_id = "11111111-2222-3333-4444-555555555555"
    assert application_body(mine, app_id) == application_body(builtin, app_id)


@pytest.mark.parametrize("name", sorted(PORTALS))
def test_as_toml_round_trips_every_builtin(name: str) -> None:
    portal = PORTALS[name]
    again = parse_profile(to_toml(portal), "copy.toml")
    options = PortalOptions(redirect_uris=("https://example.com/cb",), okta_org="https://acme.okta.com")
    assert again.build_spec(options) == portal.build_spec(options)


def test_generated_toml_for_a_python_profile_round_trips() -> None:
    import dataclasses

    portal = dataclasses.replace(get_portal("pingone"), source="")  # as if written in Python
    again = parse_profile(to_toml(portal), "copy.toml")
    options = PortalOptions(redirect_uris=("https://example.com/cb",))
    assert again.build_spec(options) == portal.build_spec(options)
    assert again.redirect_uri_from_portal == portal.redirect_uri_from_portal


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('name = "x"\nsign_in_audience = "AzureADMyOrg"\nfoo = 1\n', 3, "unknown key 'foo'"),
        ('name = "x"\nsign_in_audience = "Everyone"\n', 2, "sign_in_audience"),
        (
            'name = "x"\nsign_in_audience = "AzureADMyOrg"\nredirect_uris = ["http://a.example/cb"]\n',
            3,
            "https",
        ),
        ('name = "x"\nsign_in_audience = "AzureADMyOrg"\npermissions = ["User.Read"]\n', 3, "API/VALUE"),
        ('name = "x"\nsign_in_audience = "AzureADMyOrg"\nimplicit_id_tokens = "yes"\n', 3, "true or false"),
        ('name = "x"\nsign_in_audience = "AzureADMyOrg"\nnext_steps = ["{secret}"]\n', 3, "{secret}"),
        (
            'name = "x"\nsign_in_audience = "AzureADMyOrg"\n\n[optional_claims]\nsamlToken = ["upn"]\n',
            5,
            "token",
        ),
        ('name = "x"\nsign_in_audience = AzureADMyOrg\n', 2, "not valid TOML"),
        ('name = "Has Spaces"\nsign_in_audience = "AzureADMyOrg"\n', 1, "lower-case"),
        ('sign_in_audience = "AzureADMyOrg"\n', None, "'name' is missing"),
        ('name = "x"\nsign_in_audience = "AzureADMyOrg"\ngroup_claims = "Some"\n', 3, "group_claims"),
    ],
)
def test_profile_errors_name_the_file_and_line(text: str, line: int | None, words: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_profile(text, "p.toml")
    prefix = f"p.toml:{line}: " if line else "p.toml: "
    assert err.value.message.startswith(prefix), err.value.message
    assert words in err.value.message
    assert err.value.exit_code == 2


def test_permission_and_claim_syntax() -> None:
    role = parse_permission("Microsoft Graph/Group.Read.All (application)")
    assert (role.api, role.value, role.type) == ("Microsoft Graph", "Group.Read.All", "Role")
    assert parse_permission("My API/Files.Read").type == "Scope"
    for bad in ("User.Read", "Microsoft Graph/", "Graph/X (owner)"):
        with pytest.raises(UsageError):
            parse_permission(bad)
    assert parse_optional_claim("idtoken:upn").token == "idToken"
    with pytest.raises(UsageError):
        parse_optional_claim("jwt:upn")


def test_flags_override_the_profile() -> None:
    spec = get_portal("generic-oidc").build_spec(
        PortalOptions(
            display_name="Wiki",
            sign_in_audience="AzureADMultipleOrgs",
            redirect_uris=("https://wiki.example.com/cb",),
            implicit_id_tokens=True,
            optional_claims=(parse_optional_claim("idToken:upn"), parse_optional_claim("accessToken:groups")),
            permissions=(
                parse_permission("Microsoft Graph/Group.Read.All (application)"),
                parse_permission("Microsoft Graph/Directory.Read.All"),
            ),
            identifier_uri="api://wiki-{appId}",
            admin_consent=True,
            group_claims="All",
        )
    )
    body = application_body(
        __import__("dataclasses").replace(spec, unresolved=()), "aaaaaaaa-0000-0000-0000-000000000001"
    )
    assert body["signInAudience"] == "AzureADMultipleOrgs"
    assert body["web"]["implicitGrantSettings"] == {
        "enableAccessTokenIssuance": False,
        "enableIdTokenIssuance": True,
    }
    assert body["identifierUris"] == ["api://wiki-aaaaaaaa-0000-0000-0000-000000000001"]
    assert body["groupMembershipClaims"] == "All"
    assert [c["name"] for c in body["optionalClaims"]["accessToken"]] == ["groups"]
    assert spec.admin_consent
    assert {p.name for p in spec.permissions} == {"openid", "User.Read", "Group.Read.All"}
    assert [str(n) for n in spec.unresolved] == ["Microsoft Graph/Directory.Read.All"]  # resolved at register
    assert get_portal("emnify").build_spec(PortalOptions(tenant_only=True)).sign_in_audience == "AzureADMyOrg"


def test_okta_needs_its_org_and_builds_the_callback() -> None:
    okta = get_portal("okta")
    with pytest.raises(UsageError, match="--okta-org"):
        okta.build_spec(PortalOptions())
    spec = okta.build_spec(PortalOptions(okta_org="https://acme.okta.com/"))
    assert spec.redirect_uris == ("https://acme.okta.com/oauth2/v1/authorize/callback",)
    assert spec.sign_in_audience == "AzureADMultipleOrgs"
    for bad in ("http://acme.okta.com", "acme.okta.com", "https://acme.okta.com/app"):
        with pytest.raises(UsageError):
            okta.build_spec(PortalOptions(okta_org=bad))


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_user_profiles_are_listed_found_and_may_not_shadow_builtins(tmp_path: Path) -> None:
    home = Path(os.environ["SSOCTL_HOME"])
    (home / "portals").mkdir(parents=True)
    (home / "portals" / "mine.toml").write_text(USER_EMNIFY)
    code, out, _ = _invoke("portals", "list", "-o", "json")
    assert code == 0
    names = {p["name"]: p["origin"] for p in json.loads(out)["portals"]}
    assert names["emnify"] == "built-in" and names["emnify-mine"].endswith("mine.toml")
    assert find_portal("emnify-mine", home=home).origin.endswith("mine.toml")
    code, out, _ = _invoke("portals", "show", "emnify-mine", "-o", "json")
    assert code == 0 and json.loads(out)["application"]["identifierUris"] == ["api://{appId}"]
    (home / "portals" / "clash.toml").write_text(USER_EMNIFY.replace("emnify-mine", "emnify"))
    code, _, err = _invoke("portals", "list")
    assert code == 2 and "clash.toml" in err and "built-in" in err


def test_show_as_toml_prints_a_profile_that_loads(tmp_path: Path) -> None:
    code, out, _ = _invoke("portals", "show", "emnify", "--as-toml")
    assert code == 0
    path = tmp_path / "copy.toml"
    path.write_text(out.replace('name = "emnify"', 'name = "emnify-copy"'))
    code, out, _ = _invoke("portals", "show", "--portal-file", str(path), "-o", "json")
    assert code == 0
    shown = json.loads(out)["application"]
    assert (
        shown["requiredResourceAccess"]
        == json.loads(_invoke("portals", "show", "emnify", "-o", "json")[1])["application"][
            "requiredResourceAccess"
        ]
    )


def test_a_bad_portal_file_exits_2_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\nsign_in_audience = "AzureADMyOrg"\nimplicit = true\n')
    code, _, err = _invoke("portals", "show", "--portal-file", str(path))
    assert code == 2 and f"{path}:3: unknown key 'implicit'" in err
    code, _, err = _invoke("azure", "register", "--portal-file", str(path), "--sandbox", "--yes")
    assert code == 2 and f"{path}:3" in err
    code, _, err = _invoke("portals", "show", "--portal-file", str(tmp_path / "missing.toml"))
    assert code == 2 and "cannot read" in err


def test_portals_list_shows_federated_directory_as_provisioning() -> None:
    code, out, _ = _invoke("portals", "list", "-o", "json")
    assert code == 0
    listed = {p["name"]: p for p in json.loads(out)["portals"]}
    fd = listed["federated-directory"]
    assert (
        fd["kind"] == "provisioning"
        and fd["command"] == "ssoctl azure provision --portal federated-directory"
    )
    assert listed["emnify"]["kind"] == "app-registration"
    code, out, _ = _invoke("portals", "list")
    assert code == 0 and "federated-directory" in out and "provision" in out
    code, _, err = _invoke("portals", "show", "federated-directory")
    assert code == 2 and "ssoctl azure provision --portal federated-directory" in err

"""Bodies are checked like Graph checks them: CSDL schema, read-only properties, Entra rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.sandbox.conftest import GRAPH_APP, USER_READ, Graph
from tests.support.emnify import GUIDE_BODY

WORK = {"signInAudience": "AzureADMultipleOrgs"}


def _patch(graph: Graph, app: dict[str, Any], body: dict[str, Any]) -> Any:
    return graph.call("PATCH", f"/applications/{app['id']}", body)


# --- schema --------------------------------------------------------------------------------------


def test_unknown_top_level_property_is_refused(graph: Graph) -> None:
    reply = graph.upsert("k", {"displayName": "x", "availableToOtherTenants": True})
    assert reply.status == 400
    assert reply.code == "Request_BadRequest"
    assert reply.message == (
        "Property 'availableToOtherTenants' does not exist as a declared property or extension property."
    )
    assert graph.call("GET", "/applications(uniqueName='k')").status == 404  # nothing half-created


def test_unknown_nested_property_is_refused(graph: Graph) -> None:
    app = graph.create()
    reply = _patch(graph, app, {"web": {"oauth2AllowImplicitFlow": True}})
    assert reply.status == 400
    assert reply.message.startswith(
        "The property 'oauth2AllowImplicitFlow' does not exist on type 'microsoft.graph.webApplication'."
    )


def test_snake_case_leak_from_an_sdk_model_is_refused(graph: Graph) -> None:
    """msgraph-sdk can emit an explicitly-None Python attribute under its Python name."""
    app = graph.create()
    reply = _patch(graph, app, {"web": {"redirectUris": [], "home_page_url": None}})
    assert reply.status == 400


def test_directory_extension_properties_are_accepted(graph: Graph) -> None:
    app = graph.create()
    ext = "extension_0123456789abcdef0123456789abcdef_costCenter"
    assert _patch(graph, app, {ext: "42"}).status == 204


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"displayName": 5}, "Cannot convert the literal '5' to the expected type 'Edm.String'."),
        ({"isFallbackPublicClient": "yes"}, "to the expected type 'Edm.Boolean'"),
        ({"identifierUris": "api://x"}, "A 'StartArray' node was expected."),
        ({"identifierUris": None}, "does not allow null values"),
        ({"web": ["https://x"]}, "A 'StartObject' node was expected."),
        ({"tokenEncryptionKeyId": "not-a-guid"}, "'Edm.Guid'"),
        (
            {"requiredResourceAccess": [{"resourceAppId": GRAPH_APP, "resourceAccess": [{"id": 1}]}]},
            "Edm.Guid",
        ),
    ],
)
def test_wrong_json_types_are_refused(graph: Graph, body: dict[str, Any], fragment: str) -> None:
    app = graph.create()
    reply = _patch(graph, app, body)
    assert reply.status == 400, reply.body
    assert fragment in reply.message


def test_body_that_is_not_json_is_refused(graph: Graph) -> None:
    app = graph.create()
    reply = graph.call("PATCH", f"/applications/{app['id']}", raw=b"{not json")
    assert reply.status == 400 and reply.code == "BadRequest"
    assert reply.message.startswith("Unable to read JSON request payload.")
    untyped = graph.call(
        "PATCH", f"/applications/{app['id']}", raw=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert untyped.status == 400 and untyped.code == "BadRequest"


@pytest.mark.parametrize(
    "prop",
    ["id", "appId", "publisherDomain", "createdDateTime", "passwordCredentials", "applicationTemplateId"],
)
def test_read_only_properties_are_refused(graph: Graph, prop: str) -> None:
    app = graph.create()
    value: Any = [] if prop == "passwordCredentials" else "2024-01-01T00:00:00Z" if "Date" in prop else "x"
    if prop in ("id", "appId"):
        value = "00000000-0000-0000-0000-000000000009"
    reply = _patch(graph, app, {prop: value})
    assert reply.status == 400
    assert reply.message == f"Property '{prop}' is read-only and cannot be set."


def test_relationships_cannot_be_written_as_properties(graph: Graph) -> None:
    app = graph.create()
    reply = _patch(graph, app, {"owners": []})
    assert reply.status == 400
    assert reply.message == "Property 'owners' is read-only and cannot be set."


def test_unique_name_is_immutable_once_set(graph: Graph) -> None:
    app = graph.create("first-name")
    assert _patch(graph, app, {"uniqueName": "first-name"}).status == 204  # same value: no change
    reply = _patch(graph, app, {"uniqueName": "second-name"})
    assert reply.status == 400
    assert reply.message == "Property 'uniqueName' is read-only and cannot be set."


def test_personal_accounts_need_v2_tokens(graph: Graph) -> None:
    app = graph.create(signInAudience="AzureADMyOrg")
    reply = _patch(graph, app, {"signInAudience": "AzureADandPersonalMicrosoftAccount"})
    assert reply.status == 400
    assert reply.message == "Property api.requestedAccessTokenVersion is invalid."
    both = {"signInAudience": "AzureADandPersonalMicrosoftAccount", "api": {"requestedAccessTokenVersion": 2}}
    assert _patch(graph, app, both).status == 204


def test_enumerated_strings_are_checked(graph: Graph) -> None:
    app = graph.create()
    assert _patch(graph, app, {"signInAudience": "Everyone"}).status == 400
    assert _patch(graph, app, {"groupMembershipClaims": "Sometimes"}).status == 400
    assert _patch(graph, app, {"groupMembershipClaims": "SecurityGroup"}).status == 204


# --- redirect URIs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "https://prod-e5.okta.com/oauth2/v1/authorize/callback",
        "http://localhost:8400/cb",
        "http://127.0.0.1/cb",
        "https://contoso.com/cb?tenant=a",  # query strings are fine for work/school-only apps
        "https://*.contoso.com/cb",  # so are wildcards (via the manifest/Graph only)
        "https://" + "a" * 244 + ".com",  # 256 characters
    ],
)
def test_redirect_uris_accepted(graph: Graph, uri: str) -> None:
    app = graph.create(**WORK)
    reply = _patch(graph, app, {"web": {"redirectUris": [uri]}})
    assert reply.status == 204, (uri, reply.body)


@pytest.mark.parametrize(
    "uri",
    [
        "http://contoso.com/cb",  # http only for localhost
        "http://[::1]/cb",  # IPv6 loopback is not supported
        "https://contoso.com/cb#frag",
        "/relative/cb",
        "contoso.com/cb",
        "https://contoso.com/a,b",  # ! $ ' ( ) , ; are not supported
        "https://" + "a" * 245 + ".com",  # 257 characters
        "ftp://contoso.com/cb",
    ],
)
def test_redirect_uris_refused(graph: Graph, uri: str) -> None:
    app = graph.create(**WORK)
    reply = _patch(graph, app, {"web": {"redirectUris": [uri]}})
    assert reply.status == 400, uri
    assert reply.message == "Invalid value specified for property 'web' of resource 'Application'."


def test_personal_account_apps_refuse_wildcards_and_queries(graph: Graph) -> None:
    app = graph.create()  # AzureADandPersonalMicrosoftAccount by default
    assert _patch(graph, app, {"web": {"redirectUris": ["https://*.contoso.com/cb"]}}).status == 400
    assert _patch(graph, app, {"web": {"redirectUris": ["https://contoso.com/cb?x=1"]}}).status == 400


def test_redirect_uri_count_limit(graph: Graph) -> None:
    work = graph.create("work", **WORK)
    uris = [f"https://contoso.com/cb{n}" for n in range(257)]
    assert _patch(graph, work, {"web": {"redirectUris": uris[:256]}}).status == 204
    assert _patch(graph, work, {"web": {"redirectUris": uris}}).status == 400
    personal = graph.create("personal")
    assert _patch(graph, personal, {"web": {"redirectUris": uris[:100]}}).status == 204
    assert _patch(graph, personal, {"web": {"redirectUris": uris[:101]}}).status == 400


# --- identifier URIs -------------------------------------------------------------------------------


def test_api_app_id_uri_always_passes(graph: Graph) -> None:
    app = graph.create(**WORK)
    assert _patch(graph, app, {"identifierUris": [f"api://{app['appId']}"]}).status == 204


def test_identifier_uri_policy(graph: Graph) -> None:
    app = graph.create(**WORK)
    tenant = graph.server.tenant_id
    domain = app["publisherDomain"]
    for ok in (
        f"api://{tenant}/sso",
        f"api://{domain}/sso",
        f"https://{domain}/sso",
        f"api://x/{app['appId']}",
    ):
        assert _patch(graph, app, {"identifierUris": [ok]}).status == 204, ok
    reply = _patch(graph, app, {"identifierUris": ["api://my-portal"]})
    assert reply.status == 400
    assert reply.code == "InvalidUniqueTenantIdentifierAsPerAppPolicy"
    assert reply.message.startswith("Failed to add identifier URI api://my-portal. All newly added URIs")
    unverified = _patch(graph, app, {"identifierUris": [f"https://portal.example.com/{app['appId']}"]})
    assert unverified.code == "HostNameNotOnVerifiedDomain"


def test_v2_token_apps_are_exempt_from_the_identifier_uri_policy(graph: Graph) -> None:
    app = graph.create(**WORK)
    body = {"api": {"requestedAccessTokenVersion": 2}, "identifierUris": ["api://my-portal"]}
    assert _patch(graph, app, body).status == 204


def test_identifier_uris_are_unique_in_the_tenant(graph: Graph) -> None:
    one = graph.create("one", **WORK)
    two = graph.create("two", **WORK)
    uri = f"api://{one['appId']}"
    assert _patch(graph, one, {"identifierUris": [uri]}).status == 204
    reply = _patch(graph, two, {"identifierUris": [uri.upper()]})
    assert reply.status == 400
    assert reply.message == "Another object with the same value for property identifierUris already exists."
    assert reply.body["error"]["details"][0]["code"] == "ObjectConflict"
    # a deleted app keeps its identifier URIs reserved until it is purged
    assert graph.call("DELETE", f"/applications/{one['id']}").status == 204
    assert _patch(graph, two, {"identifierUris": [uri]}).status == 400


def test_identifier_uri_must_not_end_with_a_slash(graph: Graph) -> None:
    app = graph.create(**WORK)
    assert _patch(graph, app, {"identifierUris": [f"api://{app['appId']}/"]}).status == 400


# --- requiredResourceAccess ------------------------------------------------------------------------


def test_one_required_resource_access_entry_per_resource(graph: Graph) -> None:
    app = graph.create(**WORK)
    entry = {"resourceAppId": GRAPH_APP, "resourceAccess": [{"id": USER_READ, "type": "Scope"}]}
    reply = _patch(graph, app, {"requiredResourceAccess": [entry, entry]})
    assert reply.status == 400 and reply.code == "DuplicateValue"
    bad_type = {"resourceAppId": GRAPH_APP, "resourceAccess": [{"id": USER_READ, "type": "Delegated"}]}
    assert _patch(graph, app, {"requiredResourceAccess": [bad_type]}).status == 400
    assert _patch(graph, app, {"requiredResourceAccess": [entry]}).status == 204


def test_the_emnify_body_from_graph_md_is_accepted(graph: Graph) -> None:
    body = copy.deepcopy(GUIDE_BODY)
    reply = graph.upsert("ssoctl-emnify", body)
    assert reply.status == 201, reply.body
    assert reply.body["optionalClaims"]["saml2Token"][0]["name"] == "upn"
    assert "@odata.type" not in reply.body

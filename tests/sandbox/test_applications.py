"""Applications: upsert by uniqueName, reads with $select, lists, updates, deletes, error shape."""

from __future__ import annotations

import re

from tests.sandbox.conftest import EMAIL, GRAPH_APP, USER_READ, Graph

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_upsert_creates_201_then_updates_204(graph: Graph) -> None:
    first = graph.upsert("ssoctl-emnify", {"displayName": "emnify", "signInAudience": "AzureADMultipleOrgs"})
    assert first.status == 201
    app = first.body
    assert GUID.match(app["id"]) and GUID.match(app["appId"])
    assert app["uniqueName"] == "ssoctl-emnify"
    assert app["@odata.context"].endswith("/v1.0/$metadata#applications/$entity")
    assert app["signInAudience"] == "AzureADMultipleOrgs"
    assert app["api"]["requestedAccessTokenVersion"] is None
    assert app["passwordCredentials"] == [] and app["identifierUris"] == []
    assert app["web"]["implicitGrantSettings"] == {
        "enableAccessTokenIssuance": False,
        "enableIdTokenIssuance": False,
    }

    second = graph.upsert("ssoctl-emnify", {"displayName": "emnify 2"})
    assert second.status == 204 and second.body is None
    again = graph.call("GET", f"/applications/{app['id']}")
    assert again.body["displayName"] == "emnify 2"
    assert again.body["appId"] == app["appId"]


def test_graph_defaults_for_a_new_app(graph: Graph) -> None:
    """Like POST /applications in the docs: personal accounts by default, so v2 tokens."""
    app = graph.create()
    assert app["signInAudience"] == "AzureADandPersonalMicrosoftAccount"
    assert app["api"]["requestedAccessTokenVersion"] == 2
    assert app["parentalControlSettings"] == {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"}
    assert app["publisherDomain"].endswith(".onmicrosoft.com")


def test_patch_without_prefer_on_a_missing_key_is_404(graph: Graph) -> None:
    reply = graph.call("PATCH", "/applications(uniqueName='nope')", {"displayName": "x"})
    assert reply.status == 404
    assert reply.code == "Request_ResourceNotFound"


def test_create_requires_display_name(graph: Graph) -> None:
    reply = graph.upsert("no-name", {"signInAudience": "AzureADMyOrg"})
    assert reply.status == 400
    assert reply.message == "Invalid value specified for property 'displayName' of resource 'Application'."
    assert graph.call("GET", "/applications(uniqueName='no-name')").status == 404


def test_plain_post_creates_and_unique_names_stay_unique(graph: Graph) -> None:
    created = graph.call("POST", "/applications", {"displayName": "posted", "uniqueName": "k1"})
    assert created.status == 201 and created.body["uniqueName"] == "k1"
    clash = graph.call("POST", "/applications", {"displayName": "again", "uniqueName": "K1"})
    assert clash.status == 400
    assert clash.body["error"]["details"][0]["code"] == "ObjectConflict"


def test_select_returns_only_those_properties(graph: Graph) -> None:
    app = graph.create("ssoctl-sel")
    reply = graph.call("GET", "/applications(uniqueName='ssoctl-sel')?$select=id,appId,web")
    assert reply.status == 200
    assert set(reply.body) == {"@odata.context", "id", "appId", "web"}
    assert reply.body["@odata.context"].endswith("$metadata#applications(id,appId,web)/$entity")
    by_app_id = graph.call("GET", f"/applications(appId='{app['appId']}')?%24select=displayName")
    assert by_app_id.body["displayName"] == "Test app"


def test_select_of_an_unknown_property_is_refused(graph: Graph) -> None:
    graph.create("ssoctl-sel")
    reply = graph.call("GET", "/applications(uniqueName='ssoctl-sel')?$select=id,nope")
    assert reply.status == 400
    assert reply.code == "Request_UnsupportedQuery"
    assert reply.message == "Property 'nope' does not exist as a declared property or extension property."


def test_not_found_has_graphs_error_shape_and_ids(graph: Graph) -> None:
    missing = "00000000-0000-0000-0000-000000000001"
    reply = graph.call("GET", f"/applications/{missing}", headers={"client-request-id": "my-corr-id"})
    assert reply.status == 404
    error = reply.body["error"]
    assert set(error) == {"code", "message", "innerError"}
    assert error["code"] == "Request_ResourceNotFound"
    assert error["message"] == (
        f"Resource '{missing}' does not exist or one of its queried reference-property objects are not present."
    )
    inner = error["innerError"]
    assert set(inner) == {"date", "request-id", "client-request-id"}
    assert inner["client-request-id"] == "my-corr-id" == reply.headers["client-request-id"]
    assert inner["request-id"] == reply.headers["request-id"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$", inner["date"])


def test_client_request_id_defaults_to_request_id(graph: Graph) -> None:
    reply = graph.call("GET", "/applications(uniqueName='none')")
    assert reply.headers["client-request-id"] == reply.headers["request-id"]


def test_collections_are_replaced_and_complex_properties_merged(graph: Graph) -> None:
    app = graph.create(
        "ssoctl-merge",
        signInAudience="AzureADMultipleOrgs",
        web={
            "redirectUris": ["https://a.example.com/cb", "https://b.example.com/cb"],
            "implicitGrantSettings": {"enableIdTokenIssuance": True},
        },
        requiredResourceAccess=[
            {"resourceAppId": GRAPH_APP, "resourceAccess": [{"id": USER_READ, "type": "Scope"}]}
        ],
    )
    patch = {
        "web": {"redirectUris": ["https://c.example.com/cb"]},
        "requiredResourceAccess": [
            {"resourceAppId": GRAPH_APP, "resourceAccess": [{"id": EMAIL, "type": "Scope"}]}
        ],
    }
    assert graph.call("PATCH", f"/applications/{app['id']}", patch).status == 204
    now = graph.call("GET", f"/applications/{app['id']}").body
    assert now["web"]["redirectUris"] == ["https://c.example.com/cb"]
    assert now["web"]["implicitGrantSettings"]["enableIdTokenIssuance"] is True  # merged, kept
    assert now["requiredResourceAccess"][0]["resourceAccess"] == [{"id": EMAIL, "type": "Scope"}]


def test_list_filters_selects_and_pages(graph: Graph) -> None:
    for n in range(5):
        graph.create(f"page-{n}", displayName=f"paged {n % 2}")
    first = graph.call("GET", "/applications?$select=id,displayName&$top=2")
    assert first.status == 200
    assert len(first.body["value"]) == 2
    assert all(set(item) == {"id", "displayName"} for item in first.body["value"])
    seen = [item["id"] for item in first.body["value"]]
    link = first.body["@odata.nextLink"]
    while link:
        page = graph.call("GET", link.split(graph.server.url, 1)[1])
        seen += [item["id"] for item in page.body["value"]]
        link = page.body.get("@odata.nextLink")
    assert len(seen) == len(set(seen)) == 5

    odd = graph.call("GET", "/applications?$filter=displayName eq 'paged 1'".replace(" ", "%20"))
    assert {a["displayName"] for a in odd.body["value"]} == {"paged 1"}
    assert len(odd.body["value"]) == 2
    one = graph.call("GET", "/applications(uniqueName='page-3')?$select=appId").body["appId"]
    by_app_id = graph.call("GET", f"/applications?$filter=appId%20eq%20'{one}'")
    assert [a["uniqueName"] for a in by_app_id.body["value"]] == ["page-3"]


def test_list_refuses_bad_top_and_filters(graph: Graph) -> None:
    assert graph.call("GET", "/applications?$top=1000").status == 400
    assert graph.call("GET", "/applications?$top=0").status == 400
    unsupported = graph.call("GET", "/applications?$filter=notes%20eq%20'x'")
    assert unsupported.status == 400 and unsupported.code == "Request_UnsupportedQuery"


def test_delete_then_not_found(graph: Graph) -> None:
    app = graph.create("ssoctl-gone")
    assert graph.call("DELETE", f"/applications/{app['id']}").status == 204
    assert graph.call("GET", f"/applications/{app['id']}").status == 404
    assert graph.call("DELETE", f"/applications/{app['id']}").status == 404


def test_organization_names_the_tenant(graph: Graph) -> None:
    from ssoctl.sandbox import issue_token

    token = issue_token(graph.server.tenant_id, scopes=["Application.ReadWrite.All"])  # not enough
    assert graph.call("GET", "/organization?$select=id", token=token).status == 403

    reader = issue_token(graph.server.tenant_id, scopes=["User.Read"])
    reply = graph.call("GET", "/organization?$select=id", token=reader)
    assert reply.status == 200
    assert reply.body["value"] == [{"id": graph.server.tenant_id}]
    full = graph.call("GET", "/organization", token=reader).body["value"][0]
    assert full["verifiedDomains"][0]["name"].startswith("contoso-")
    assert full["verifiedDomains"][0]["isInitial"] is True

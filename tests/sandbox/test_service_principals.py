"""Service principals: create for an appId, upsert by appId, reads, lists, updates, deletes."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.sandbox.conftest import GRAPH_APP, Graph, query

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SCOPE = {
    "adminConsentDescription": "Access the API as the signed-in user",
    "adminConsentDisplayName": "Access the API",
    "id": "8f6d5f3a-7e0b-4c59-b8a6-0d8c2b6c8a11",
    "isEnabled": True,
    "type": "User",
    "userConsentDescription": None,
    "userConsentDisplayName": None,
    "value": "user_impersonation",
}
ROLE = {
    "allowedMemberTypes": ["Application"],
    "description": "Read everything",
    "displayName": "Reader",
    "id": "2b1f9a54-6c3e-4d0e-9a7a-1f0e5c4d3b21",
    "isEnabled": True,
    "value": "Reader.All",
}


def test_post_creates_the_service_principal_of_an_application(graph: Graph) -> None:
    app = graph.create("ping", signInAudience="AzureADMyOrg", identifierUris=[])
    graph.call("PATCH", f"/applications/{app['id']}", {"identifierUris": [f"api://{app['appId']}"]})
    reply = graph.call("POST", "/servicePrincipals", {"appId": app["appId"]})
    assert reply.status == 201, reply.body
    sp = reply.body
    assert reply.headers["location"].endswith(f"/v1.0/servicePrincipals/{sp['id']}")
    assert sp["@odata.context"].endswith("/v1.0/$metadata#servicePrincipals/$entity")
    assert GUID.match(sp["id"]) and sp["id"] != app["id"]
    assert sp["appId"] == app["appId"]
    assert sp["displayName"] == sp["appDisplayName"] == "Test app"
    assert sp["appOwnerOrganizationId"] == graph.server.tenant_id
    assert sp["servicePrincipalType"] == "Application"
    assert sp["accountEnabled"] is True and sp["appRoleAssignmentRequired"] is False
    assert sp["servicePrincipalNames"] == [app["appId"], f"api://{app['appId']}"]
    assert sp["signInAudience"] == "AzureADMyOrg"
    assert sp["passwordCredentials"] == [] and sp["keyCredentials"] == [] and sp["tags"] == []
    assert sp["deletedDateTime"] is None
    assert sp["info"]["logoUrl"] is None
    assert "customSecurityAttributes" not in sp  # only when $select-ed


def test_service_principal_copies_roles_and_scopes_from_its_application(graph: Graph) -> None:
    app = graph.create(
        "api", signInAudience="AzureADMyOrg", appRoles=[ROLE], api={"oauth2PermissionScopes": [SCOPE]}
    )
    sp = graph.create_sp(app)
    assert sp["appRoles"] == [ROLE]
    assert sp["oauth2PermissionScopes"] == [SCOPE]
    # Later changes to the application show on its service principal.
    role2 = {**ROLE, "id": str(uuid.uuid4()), "value": "Writer.All", "displayName": "Writer"}
    assert graph.call("PATCH", f"/applications/{app['id']}", {"appRoles": [ROLE, role2]}).status == 204
    assert graph.call("PATCH", f"/applications/{app['id']}", {"displayName": "api 2"}).status == 204
    again = graph.call("GET", f"/servicePrincipals/{sp['id']}").body
    assert [r["value"] for r in again["appRoles"]] == ["Reader.All", "Writer.All"]
    assert again["appDisplayName"] == "api 2"
    assert again["displayName"] == "Test app"  # its own name stays its own


def test_post_for_an_app_id_with_a_service_principal_is_409(graph: Graph) -> None:
    app = graph.create()
    assert graph.call("POST", "/servicePrincipals", {"appId": app["appId"]}).status == 201
    reply = graph.call("POST", "/servicePrincipals", {"appId": app["appId"].upper()})
    assert reply.status == 409
    assert reply.code == "Request_MultipleObjectsWithSameKeyValue"
    message = (
        "The service principal cannot be created, updated, or restored because the service "
        f"principal name {app['appId'].upper()} is already in use."
    )
    assert reply.message == message
    assert reply.body["error"]["details"] == [
        {"code": "ObjectConflict", "message": message, "target": "None"}
    ]
    graph_sp = graph.call("POST", "/servicePrincipals", {"appId": GRAPH_APP})
    assert graph_sp.status == 409  # Microsoft Graph's is there from the start


def test_post_without_an_application_behind_the_app_id_is_400(graph: Graph) -> None:
    stranger = str(uuid.uuid4())
    reply = graph.call("POST", "/servicePrincipals", {"appId": stranger})
    assert reply.status == 400
    assert reply.code == "Request_BadRequest"
    message = (
        f"The appId '{stranger}' of the service principal does not reference a valid application object."
    )
    assert reply.message == message
    assert reply.body["error"]["details"] == [
        {"code": "NoBackingApplicationObject", "message": message, "target": "appId"}
    ]
    assert graph.call("GET", f"/servicePrincipals(appId='{stranger}')").status == 404


def test_post_needs_an_app_id(graph: Graph) -> None:
    reply = graph.call("POST", "/servicePrincipals", {"displayName": "x"})
    assert reply.status == 400
    assert reply.message == "Property appId value is required but is empty or missing."


def test_upsert_by_app_id_creates_201_then_updates_204(graph: Graph) -> None:
    app = graph.create()
    first = graph.upsert_sp(app["appId"], {"displayName": "My app instance"})
    assert first.status == 201
    assert first.body["displayName"] == "My app instance" and first.body["appDisplayName"] == "Test app"
    second = graph.upsert_sp(app["appId"], {"notes": "consented by ssoctl"})
    assert second.status == 204 and second.body is None
    by_key = graph.call("GET", f"/servicePrincipals(appId='{app['appId']}')")
    assert by_key.status == 200 and by_key.body["id"] == first.body["id"]
    assert by_key.body["notes"] == "consented by ssoctl"
    assert by_key.body["displayName"] == "My app instance"


def test_patch_by_app_id_without_prefer_on_a_missing_one_is_404(graph: Graph) -> None:
    app = graph.create()
    reply = graph.call("PATCH", f"/servicePrincipals(appId='{app['appId']}')", {"notes": "x"})
    assert reply.status == 404 and reply.code == "Request_ResourceNotFound"
    assert reply.message == (
        f"Resource '{app['appId']}' does not exist or one of its queried reference-property objects are not present."
    )
    stranger = str(uuid.uuid4())
    assert graph.upsert_sp(stranger).body["error"]["details"][0]["code"] == "NoBackingApplicationObject"


def test_get_by_id_and_key_with_select(graph: Graph) -> None:
    sp = graph.create_sp(graph.create())
    reply = graph.call("GET", f"/servicePrincipals/{sp['id']}?$select=id,appId,customSecurityAttributes")
    assert reply.status == 200
    assert set(reply.body) == {"@odata.context", "id", "appId", "customSecurityAttributes"}
    assert reply.body["@odata.context"].endswith(
        "$metadata#servicePrincipals(id,appId,customSecurityAttributes)/$entity"
    )
    assert graph.call("GET", f"/servicePrincipals('{sp['id']}')").body["id"] == sp["id"]
    assert graph.call("GET", f"/servicePrincipals/{sp['id']}?$select=nope").code == "Request_UnsupportedQuery"
    assert graph.call("GET", f"/servicePrincipals/{uuid.uuid4()}").status == 404
    assert (
        graph.call("GET", "/servicePrincipals/not-a-guid").message
        == "Invalid object identifier 'not-a-guid'."
    )
    assert graph.call("GET", "/servicePrincipals(displayName='x')").status == 400  # not a key


def test_list_filters_by_app_id_eq_and_in_and_display_name(graph: Graph) -> None:
    apps = [graph.create(f"app-{n}", displayName=f"app {n}") for n in range(3)]
    sps = [graph.create_sp(a) for a in apps]
    everything = graph.call("GET", "/servicePrincipals" + query(select="appId")).body["value"]
    assert {s["appId"] for s in everything} == {GRAPH_APP, *(a["appId"] for a in apps)}

    eq = graph.call("GET", "/servicePrincipals" + query(filter=f"appId eq '{apps[1]['appId']}'"))
    assert [s["id"] for s in eq.body["value"]] == [sps[1]["id"]]
    wanted = ",".join(f"'{a}'" for a in (apps[0]["appId"], GRAPH_APP, str(uuid.uuid4())))
    in_list = graph.call(
        "GET", "/servicePrincipals" + query(filter=f"appId in ({wanted})", select="id,appId")
    )
    assert in_list.status == 200
    assert {s["appId"] for s in in_list.body["value"]} == {apps[0]["appId"], GRAPH_APP}
    assert all(set(s) == {"id", "appId"} for s in in_list.body["value"])
    assert in_list.body["@odata.context"].endswith("$metadata#servicePrincipals(id,appId)")
    by_name = graph.call("GET", "/servicePrincipals" + query(filter="displayName eq 'Microsoft Graph'"))
    assert [s["appId"] for s in by_name.body["value"]] == [GRAPH_APP]
    starts = graph.call("GET", "/servicePrincipals" + query(filter="startswith(displayName,'APP ')"))
    assert len(starts.body["value"]) == 3


@pytest.mark.parametrize(
    ("filter_", "code"),
    [
        ("notes eq 'x'", "Request_UnsupportedQuery"),
        ("nope eq 'x'", "Request_UnsupportedQuery"),
        ("appId in ()", "BadRequest"),
        ("appId in ('a',)", "BadRequest"),
    ],
)
def test_list_refuses_filters_graph_refuses(graph: Graph, filter_: str, code: str) -> None:
    reply = graph.call("GET", "/servicePrincipals" + query(filter=filter_))
    assert reply.status == 400 and reply.code == code


def test_list_pages_with_next_link(graph: Graph) -> None:
    for n in range(4):
        graph.create_sp(graph.create(f"paged-{n}"))
    first = graph.call("GET", "/servicePrincipals" + query(select="id", top="2"))
    seen = [s["id"] for s in first.body["value"]]
    link = first.body["@odata.nextLink"]
    assert "/v1.0/servicePrincipals?" in link and "%24skiptoken=" not in link
    while link:
        page = graph.call("GET", link.split(graph.server.url, 1)[1])
        seen += [s["id"] for s in page.body["value"]]
        link = page.body.get("@odata.nextLink")
    assert len(seen) == len(set(seen)) == 5  # four and Microsoft Graph's


def test_patch_by_id_updates(graph: Graph) -> None:
    sp = graph.create_sp(graph.create())
    body = {"appRoleAssignmentRequired": True, "tags": ["WindowsAzureActiveDirectoryIntegratedApp"]}
    assert graph.call("PATCH", f"/servicePrincipals/{sp['id']}", body).status == 204
    now = graph.call("GET", f"/servicePrincipals/{sp['id']}").body
    assert now["appRoleAssignmentRequired"] is True
    assert now["tags"] == ["WindowsAzureActiveDirectoryIntegratedApp"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"appOwnerOrganizationId": str(uuid.uuid4())},
            "Property 'appOwnerOrganizationId' is read-only and cannot be set.",
        ),
        ({"passwordCredentials": []}, "Property 'passwordCredentials' is read-only and cannot be set."),
        (
            {"servicePrincipalType": "Legacy"},
            "Property 'servicePrincipalType' is read-only and cannot be set.",
        ),
        ({"appId": str(uuid.uuid4())}, "Property 'appId' is read-only and cannot be set."),
        ({"owners": []}, "Property 'owners' is read-only and cannot be set."),
        (
            {"oauth2Permissions": []},
            "Property 'oauth2Permissions' does not exist as a declared property or extension property.",
        ),
        ({"accountEnabled": "yes"}, "Cannot convert the literal 'yes' to the expected type 'Edm.Boolean'."),
        ({"tags": None}, "does not allow null values"),
        (
            {"displayName": " "},
            "Invalid value specified for property 'displayName' of resource 'ServicePrincipal'.",
        ),
    ],
)
def test_patch_refuses_what_graph_refuses(graph: Graph, body: dict[str, Any], message: str) -> None:
    sp = graph.create_sp(graph.create())
    reply = graph.call("PATCH", f"/servicePrincipals/{sp['id']}", body)
    assert reply.status == 400, reply.body
    assert message in reply.message


def test_post_refuses_read_only_and_unknown_properties(graph: Graph) -> None:
    app = graph.create()
    read_only = graph.call("POST", "/servicePrincipals", {"appId": app["appId"], "id": str(uuid.uuid4())})
    assert read_only.message == "Property 'id' is read-only and cannot be set."
    unknown = graph.call("POST", "/servicePrincipals", {"appId": app["appId"], "publisherName": "x"})
    assert unknown.status == 400
    assert graph.call("GET", f"/servicePrincipals(appId='{app['appId']}')").status == 404


def test_service_principal_names_are_unique(graph: Graph) -> None:
    one = graph.create_sp(graph.create("one"))
    two = graph.create_sp(graph.create("two"))
    clash = graph.call("PATCH", f"/servicePrincipals/{two['id']}", {"servicePrincipalNames": [one["appId"]]})
    assert clash.status == 409 and clash.code == "Request_MultipleObjectsWithSameKeyValue"


def test_delete_then_not_found(graph: Graph) -> None:
    app = graph.create()
    sp = graph.create_sp(app)
    assert graph.call("DELETE", f"/servicePrincipals/{sp['id']}").status == 204
    assert graph.call("GET", f"/servicePrincipals/{sp['id']}").status == 404
    assert graph.call("DELETE", f"/servicePrincipals/{sp['id']}").status == 404
    assert graph.call("GET", f"/applications/{app['id']}").status == 200  # the application stays
    assert graph.create_sp(app)["id"] != sp["id"]  # and can have a new one


def test_deleting_the_application_deletes_its_service_principal(graph: Graph) -> None:
    app = graph.create()
    sp = graph.create_sp(app)
    assert graph.call("DELETE", f"/applications/{app['id']}").status == 204
    assert graph.call("GET", f"/servicePrincipals/{sp['id']}").status == 404
    assert graph.call("GET", f"/servicePrincipals(appId='{app['appId']}')").status == 404


def test_service_principals_need_application_permissions(graph: Graph) -> None:
    from ssoctl.sandbox import issue_token

    reader = issue_token(graph.server.tenant_id, scopes=["Application.Read.All"])
    assert graph.call("GET", "/servicePrincipals", token=reader).status == 200
    app = graph.create()
    refused = graph.call("POST", "/servicePrincipals", {"appId": app["appId"]}, token=reader)
    assert refused.status == 403 and refused.code == "Authorization_RequestDenied"
    directory = issue_token(graph.server.tenant_id, scopes=["Directory.ReadWrite.All"])
    assert graph.call("POST", "/servicePrincipals", {"appId": app["appId"]}, token=directory).status == 201

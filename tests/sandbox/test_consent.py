"""Admin consent: delegated permission grants, app role assignments, and what deletes take along."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from ssoctl.sandbox import issue_token
from tests.sandbox.conftest import GROUP_READ_ALL_ROLE, USER_READ_ALL_ROLE, Graph, query

NOT_FOUND = "Resource '{}' does not exist or one of its queried reference-property objects are not present."


@pytest.fixture
def consent(graph: Graph) -> tuple[dict[str, Any], dict[str, Any]]:
    """The PingOne app's service principal and Microsoft Graph's."""
    app = graph.create("ssoctl-pingone", signInAudience="AzureADMyOrg")
    return graph.create_sp(app), graph.graph_sp()


# --- oauth2PermissionGrants ------------------------------------------------------------------


def test_grant_create_read_list_update_delete(graph: Graph, consent: Any) -> None:
    client, resource = consent
    created = graph.grant(client["id"], resource["id"], "User.Read")
    assert created.status == 201, created.body
    grant = created.body
    assert grant["@odata.context"].endswith("/v1.0/$metadata#oauth2PermissionGrants/$entity")
    assert {k: grant[k] for k in ("clientId", "consentType", "principalId", "resourceId", "scope")} == {
        "clientId": client["id"],
        "consentType": "AllPrincipals",
        "principalId": None,
        "resourceId": resource["id"],
        "scope": "User.Read",
    }
    # Graph's id is the client's and the resource's GUID bytes, base64url.
    raw = base64.urlsafe_b64decode(grant["id"] + "=" * (-len(grant["id"]) % 4))
    assert raw == uuid.UUID(client["id"]).bytes_le + uuid.UUID(resource["id"]).bytes_le
    assert created.headers["location"].endswith(f"/oauth2PermissionGrants/{grant['id']}")

    got = graph.call("GET", f"/oauth2PermissionGrants/{grant['id']}")
    assert got.status == 200 and got.body["scope"] == "User.Read"
    listed = graph.call("GET", "/oauth2PermissionGrants" + query(filter=f"clientId eq '{client['id']}'"))
    assert [g["id"] for g in listed.body["value"]] == [grant["id"]]
    assert listed.body["@odata.context"].endswith("$metadata#oauth2PermissionGrants")
    both = f"clientId eq '{client['id']}' and resourceId eq '{resource['id']}' and consentType eq 'AllPrincipals'"
    assert len(graph.call("GET", "/oauth2PermissionGrants" + query(filter=both)).body["value"]) == 1
    other = graph.call("GET", "/oauth2PermissionGrants" + query(filter=f"clientId eq '{resource['id']}'"))
    assert other.body["value"] == []

    updated = graph.call(
        "PATCH", f"/oauth2PermissionGrants/{grant['id']}", {"scope": "User.Read email profile"}
    )
    assert updated.status == 204 and updated.body is None
    assert (
        graph.call("GET", f"/oauth2PermissionGrants/{grant['id']}").body["scope"] == "User.Read email profile"
    )

    assert graph.call("DELETE", f"/oauth2PermissionGrants/{grant['id']}").status == 204
    gone = graph.call("GET", f"/oauth2PermissionGrants/{grant['id']}")
    assert gone.status == 404 and gone.message == NOT_FOUND.format(grant["id"])
    assert graph.call("DELETE", f"/oauth2PermissionGrants/{grant['id']}").status == 404


def test_a_second_grant_for_the_same_client_and_resource_is_409(graph: Graph, consent: Any) -> None:
    client, resource = consent
    assert graph.grant(client["id"], resource["id"], "User.Read").status == 201
    again = graph.grant(client["id"].upper(), resource["id"], "email")
    assert again.status == 409
    assert again.code == "Request_MultipleObjectsWithSameKeyValue"
    assert again.message == "Permission entry already exists."
    user = str(uuid.uuid4())  # a one-user grant is another key
    assert graph.grant(client["id"], resource["id"], consentType="Principal", principalId=user).status == 201
    assert graph.grant(client["id"], resource["id"], consentType="Principal", principalId=user).status == 409


@pytest.mark.parametrize("missing", ["clientId", "resourceId"])
def test_a_grant_naming_no_service_principal_is_404(graph: Graph, consent: Any, missing: str) -> None:
    client, resource = consent
    stranger = str(uuid.uuid4())
    ids = {"clientId": client["id"], "resourceId": resource["id"], missing: stranger}
    reply = graph.grant(ids["clientId"], ids["resourceId"])
    assert reply.status == 404
    assert reply.code == "Request_ResourceNotFound"
    assert reply.message == NOT_FOUND.format(stranger)


@pytest.mark.parametrize(
    ("extra", "status", "message"),
    [
        (
            {"consentType": "Everyone"},
            400,
            "Invalid value specified for property 'consentType' of resource 'OAuth2PermissionGrant'.",
        ),
        (
            {"consentType": "Principal"},
            400,
            "Property principalId value is required but is empty or missing.",
        ),
        (
            {"principalId": str(uuid.uuid4())},
            400,
            "Invalid value specified for property 'principalId' of resource 'OAuth2PermissionGrant'.",
        ),
        (
            {"consentType": "Principal", "principalId": "me"},
            400,
            "Invalid value specified for property 'principalId' of resource 'OAuth2PermissionGrant'.",
        ),
        ({"consentType": None}, 400, "Property consentType value is required but is empty or missing."),
        ({"clientId": None}, 400, "A null value was found for the property named 'clientId'"),
        ({"id": "x"}, 400, "Property 'id' is read-only and cannot be set."),
        (
            {"startTime": "2030-01-01T00:00:00Z"},
            400,
            "The property 'startTime' does not exist on type 'microsoft.graph.oAuth2PermissionGrant'.",
        ),
        ({"scope": ["User.Read"]}, 400, "A 'PrimitiveValue' node was expected."),
    ],
)
def test_grant_bodies_graph_refuses(
    graph: Graph, consent: Any, extra: dict[str, Any], status: int, message: str
) -> None:
    client, resource = consent
    reply = graph.grant(client["id"], resource["id"], **extra)
    assert reply.status == status, reply.body
    assert message in reply.message
    assert graph.call("GET", "/oauth2PermissionGrants").body["value"] == []


def test_scope_is_kept_as_given_and_not_checked(graph: Graph, consent: Any) -> None:
    """Graph v1.0 does not check scope names against the resource's published scopes."""
    client, resource = consent
    reply = graph.grant(client["id"], resource["id"], " User.Read  No.Such.Scope ")
    assert reply.status == 201 and reply.body["scope"] == " User.Read  No.Such.Scope "


def test_grant_identity_cannot_change(graph: Graph, consent: Any) -> None:
    client, resource = consent
    grant = graph.grant(client["id"], resource["id"]).body
    path = f"/oauth2PermissionGrants/{grant['id']}"
    assert graph.call("PATCH", path, {"clientId": client["id"].upper(), "scope": "email"}).status == 204
    moved = graph.call("PATCH", path, {"resourceId": client["id"]})
    assert moved.status == 400 and moved.message == "Property 'resourceId' is read-only and cannot be set."
    assert graph.call("PATCH", f"/oauth2PermissionGrants/{'A' * 43}", {"scope": "x"}).status == 404


def test_grant_filters_graph_refuses(graph: Graph) -> None:
    refused = graph.call("GET", "/oauth2PermissionGrants" + query(filter="clientId in ('a','b')"))
    assert refused.status == 400 and refused.code == "Request_UnsupportedQuery"
    assert refused.message.endswith("of resource 'OAuth2PermissionGrant'.")
    unknown = graph.call("GET", "/oauth2PermissionGrants" + query(filter="expiryTime eq 'x'"))
    assert unknown.status == 400 and unknown.code == "Request_UnsupportedQuery"


def test_grants_need_grant_permissions(graph: Graph, consent: Any) -> None:
    client, resource = consent
    apps_only = issue_token(graph.server.tenant_id, scopes=["Application.ReadWrite.All"])
    body = {
        "clientId": client["id"],
        "consentType": "AllPrincipals",
        "resourceId": resource["id"],
        "scope": "x",
    }
    refused = graph.call("POST", "/oauth2PermissionGrants", body, token=apps_only)
    assert refused.status == 403 and refused.code == "Authorization_RequestDenied"
    assert graph.call("GET", "/oauth2PermissionGrants", token=apps_only).status == 403
    reader = issue_token(graph.server.tenant_id, scopes=["Directory.Read.All"])
    assert graph.call("GET", "/oauth2PermissionGrants", token=reader).status == 200


# --- appRoleAssignedTo / appRoleAssignments --------------------------------------------------


def test_assign_an_application_permission_and_see_it_from_both_ends(graph: Graph, consent: Any) -> None:
    client, resource = consent
    created = graph.assign(resource["id"], client["id"], GROUP_READ_ALL_ROLE)
    assert created.status == 201, created.body
    assignment = created.body
    assert assignment["@odata.context"].endswith(
        f"/v1.0/$metadata#servicePrincipals('{resource['id']}')/appRoleAssignedTo/$entity"
    )
    assert {k: v for k, v in assignment.items() if k not in ("@odata.context", "id", "createdDateTime")} == {
        "deletedDateTime": None,
        "appRoleId": GROUP_READ_ALL_ROLE,
        "principalDisplayName": "Test app",
        "principalId": client["id"],
        "principalType": "ServicePrincipal",
        "resourceDisplayName": "Microsoft Graph",
        "resourceId": resource["id"],
    }
    raw = base64.urlsafe_b64decode(assignment["id"] + "=" * (-len(assignment["id"]) % 4))
    assert raw[:16] == uuid.UUID(client["id"]).bytes_le  # Graph's ids start with the principal
    assert assignment["createdDateTime"].endswith("Z")

    to = graph.call("GET", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo")
    assert [a["id"] for a in to.body["value"]] == [assignment["id"]]
    assert to.body["@odata.context"].endswith(
        f"$metadata#servicePrincipals('{resource['id']}')/appRoleAssignedTo"
    )
    granted = graph.call("GET", f"/servicePrincipals/{client['id']}/appRoleAssignments")
    assert [a["appRoleId"] for a in granted.body["value"]] == [GROUP_READ_ALL_ROLE]
    by_key = graph.call("GET", f"/servicePrincipals(appId='{client['appId']}')/appRoleAssignments")
    assert by_key.body["value"] == granted.body["value"]
    assert graph.call("GET", f"/servicePrincipals/{resource['id']}/appRoleAssignments").body["value"] == []
    one = graph.call("GET", f"/servicePrincipals/{client['id']}/appRoleAssignments/{assignment['id']}")
    assert one.status == 200 and one.body["id"] == assignment["id"]
    filtered = graph.call(
        "GET",
        f"/servicePrincipals/{resource['id']}/appRoleAssignedTo"
        + query(filter=f"principalId eq {client['id']}"),
    )
    assert len(filtered.body["value"]) == 1


def test_the_same_assignment_twice_is_400(graph: Graph, consent: Any) -> None:
    client, resource = consent
    assert graph.assign(resource["id"], client["id"], GROUP_READ_ALL_ROLE).status == 201
    again = graph.assign(resource["id"], client["id"], GROUP_READ_ALL_ROLE.upper())
    assert again.status == 400
    assert again.code == "Request_BadRequest"
    assert again.message == "Permission being assigned already exists on the object."
    assert graph.assign(resource["id"], client["id"], USER_READ_ALL_ROLE).status == 201  # another role


@pytest.mark.parametrize(
    ("change", "status", "code", "message"),
    [
        (
            {"appRoleId": "e1fe6dd8-ba31-4d61-89e7-88639da4683d"},  # User.Read is a scope, not a role
            400,
            "Request_BadRequest",
            "Permission being assigned was not found on application.",
        ),
        ({"principalId": str(uuid.uuid4())}, 400, "Request_BadRequest", "Not a valid reference update."),
        (
            {"resourceId": "client"},
            400,
            "Request_BadRequest",
            "Invalid value specified for property 'resourceId' of resource 'AppRoleAssignment'.",
        ),
        (
            {"appRoleId": None},
            400,
            "Request_BadRequest",
            "A null value was found for the property named 'appRoleId'",
        ),
        ({"appRoleId": "Group.Read.All"}, 400, "Request_BadRequest", "to the expected type 'Edm.Guid'."),
        (
            {"principalType": "User"},
            400,
            "Request_BadRequest",
            "Property 'principalType' is read-only and cannot be set.",
        ),
    ],
)
def test_assignments_graph_refuses(
    graph: Graph, consent: Any, change: dict[str, Any], status: int, code: str, message: str
) -> None:
    client, resource = consent
    body = {
        "principalId": client["id"],
        "resourceId": resource["id"],
        "appRoleId": GROUP_READ_ALL_ROLE,
        **change,
    }
    if body["resourceId"] == "client":
        body["resourceId"] = client["id"]
    reply = graph.call("POST", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo", body)
    assert reply.status == status, reply.body
    assert reply.code == code
    assert message in reply.message
    assert graph.call("GET", f"/servicePrincipals/{client['id']}/appRoleAssignments").body["value"] == []


def test_missing_body_properties_and_missing_resource(graph: Graph, consent: Any) -> None:
    client, resource = consent
    path = f"/servicePrincipals/{resource['id']}/appRoleAssignedTo"
    missing = graph.call("POST", path, {"principalId": client["id"], "resourceId": resource["id"]})
    assert missing.message == "Property appRoleId value is required but is empty or missing."
    stranger = str(uuid.uuid4())
    nowhere = graph.assign(stranger, client["id"], GROUP_READ_ALL_ROLE)
    assert nowhere.status == 404 and nowhere.message == NOT_FOUND.format(stranger)


def test_assign_through_app_role_assignments_of_the_principal(graph: Graph, consent: Any) -> None:
    client, resource = consent
    path = f"/servicePrincipals/{client['id']}/appRoleAssignments"
    body = {"principalId": client["id"], "resourceId": resource["id"], "appRoleId": USER_READ_ALL_ROLE}
    created = graph.call("POST", path, body)
    assert created.status == 201
    assert created.body["@odata.context"].endswith(
        f"servicePrincipals('{client['id']}')/appRoleAssignments/$entity"
    )
    wrong = graph.call("POST", path, {**body, "principalId": resource["id"]})
    assert (
        wrong.message == "Invalid value specified for property 'principalId' of resource 'AppRoleAssignment'."
    )


@pytest.mark.parametrize("view", ["appRoleAssignedTo", "appRoleAssignments"])
def test_delete_an_assignment_from_either_end(graph: Graph, consent: Any, view: str) -> None:
    client, resource = consent
    assignment = graph.assign(resource["id"], client["id"], GROUP_READ_ALL_ROLE).body
    owner = resource if view == "appRoleAssignedTo" else client
    other = client if view == "appRoleAssignedTo" else resource
    assert graph.call("DELETE", f"/servicePrincipals/{other['id']}/{view}/{assignment['id']}").status == 404
    assert graph.call("DELETE", f"/servicePrincipals/{owner['id']}/{view}/{assignment['id']}").status == 204
    assert graph.call("GET", f"/servicePrincipals/{client['id']}/appRoleAssignments").body["value"] == []
    again = graph.call("DELETE", f"/servicePrincipals/{owner['id']}/{view}/{assignment['id']}")
    assert again.status == 404 and again.message == NOT_FOUND.format(assignment["id"])


def test_assignment_lists_page(graph: Graph, consent: Any) -> None:
    client, resource = consent
    for role in (GROUP_READ_ALL_ROLE, USER_READ_ALL_ROLE):
        graph.assign(resource["id"], client["id"], role)
    first = graph.call("GET", f"/servicePrincipals/{client['id']}/appRoleAssignments" + query(top="1"))
    link = first.body["@odata.nextLink"]
    assert f"/v1.0/servicePrincipals/{client['id']}/appRoleAssignments?" in link
    second = graph.call("GET", link.split(graph.server.url, 1)[1])
    assert "@odata.nextLink" not in second.body
    assert {first.body["value"][0]["appRoleId"], second.body["value"][0]["appRoleId"]} == {
        GROUP_READ_ALL_ROLE,
        USER_READ_ALL_ROLE,
    }


def test_assignments_need_app_role_assignment_and_read_permissions(graph: Graph, consent: Any) -> None:
    client, resource = consent
    tenant = graph.server.tenant_id
    alone = issue_token(tenant, scopes=["AppRoleAssignment.ReadWrite.All"])
    refused = graph.call(
        "POST",
        f"/servicePrincipals/{resource['id']}/appRoleAssignedTo",
        {"principalId": client["id"], "resourceId": resource["id"], "appRoleId": GROUP_READ_ALL_ROLE},
        token=alone,
    )
    assert refused.status == 403  # "AppRoleAssignment.ReadWrite.All and Application.Read.All"
    both = issue_token(tenant, scopes=(), roles=["AppRoleAssignment.ReadWrite.All", "Application.Read.All"])
    allowed = graph.call(
        "POST",
        f"/servicePrincipals/{resource['id']}/appRoleAssignedTo",
        {"principalId": client["id"], "resourceId": resource["id"], "appRoleId": GROUP_READ_ALL_ROLE},
        token=both,
    )
    assert allowed.status == 201
    apps_only = issue_token(tenant, scopes=["Application.ReadWrite.All"])
    path = f"/servicePrincipals/{resource['id']}/appRoleAssignedTo/{allowed.body['id']}"
    assert graph.call("DELETE", path, token=apps_only).status == 403
    assert (
        graph.call("GET", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo", token=apps_only).status
        == 200
    )


# --- Cascades ----------------------------------------------------------------------------------


def test_deleting_a_client_service_principal_removes_its_grants_and_assignments(
    graph: Graph, consent: Any
) -> None:
    client, resource = consent
    keep = graph.create_sp(graph.create("keep"))
    grant = graph.grant(client["id"], resource["id"]).body
    kept_grant = graph.grant(keep["id"], resource["id"]).body
    graph.assign(resource["id"], client["id"], GROUP_READ_ALL_ROLE)
    kept = graph.assign(resource["id"], keep["id"], GROUP_READ_ALL_ROLE).body
    assert graph.call("DELETE", f"/servicePrincipals/{client['id']}").status == 204
    assert graph.call("GET", f"/oauth2PermissionGrants/{grant['id']}").status == 404
    assert [g["id"] for g in graph.call("GET", "/oauth2PermissionGrants").body["value"]] == [kept_grant["id"]]
    to = graph.call("GET", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo").body["value"]
    assert [a["id"] for a in to] == [kept["id"]]


def test_deleting_a_resource_service_principal_removes_grants_and_assignments_to_it(graph: Graph) -> None:
    api_app = graph.create("api", appRoles=[
        {"allowedMemberTypes": ["Application"], "description": "d", "displayName": "Reader",
         "id": "2b1f9a54-6c3e-4d0e-9a7a-1f0e5c4d3b21", "isEnabled": True, "value": "Reader.All"},
    ])  # fmt: skip
    api = graph.create_sp(api_app)
    client = graph.create_sp(graph.create("client"))
    graph.grant(client["id"], api["id"], "user_impersonation")
    assert graph.assign(api["id"], client["id"], "2b1f9a54-6c3e-4d0e-9a7a-1f0e5c4d3b21").status == 201
    assert graph.call("DELETE", f"/servicePrincipals/{api['id']}").status == 204
    assert graph.call("GET", "/oauth2PermissionGrants").body["value"] == []
    assert graph.call("GET", f"/servicePrincipals/{client['id']}/appRoleAssignments").body["value"] == []


def test_deleting_the_application_takes_its_consent_along(graph: Graph) -> None:
    app = graph.create("ssoctl-pingone")
    client = graph.create_sp(app)
    resource = graph.graph_sp()
    graph.grant(client["id"], resource["id"])
    graph.assign(resource["id"], client["id"], GROUP_READ_ALL_ROLE)
    assert graph.call("DELETE", f"/applications/{app['id']}").status == 204
    assert graph.call("GET", "/oauth2PermissionGrants").body["value"] == []
    assert graph.call("GET", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo").body["value"] == []
    assert graph.call("GET", f"/servicePrincipals/{resource['id']}").status == 200  # Graph's stays

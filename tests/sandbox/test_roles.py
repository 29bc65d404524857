"""Graph-side enforcement of directory roles, ownership and the "Users can register applications"
policy: a user without a role who does not own the app, or an app without the permission, gets
Entra's 403 and the tenant does not change."""

from __future__ import annotations

from ssoctl.directory_roles import (
    APPLICATION_ADMINISTRATOR,
    CLOUD_APPLICATION_ADMINISTRATOR,
    PRIVILEGED_ROLE_ADMINISTRATOR,
    USER,
)
from ssoctl.sandbox import issue_token
from tests.sandbox.conftest import GRAPH_APP, GROUP_READ_ALL_ROLE, Graph

SCOPES = (
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "User.Read",
    "Policy.Read.All",
)


def user(graph: Graph, *wids: str, name: str = "dev") -> str:
    """A token for a user with these directory roles (and the scopes a registration needs)."""
    oid = {"dev": "11111111-0000-0000-0000-000000000001", "other": "11111111-0000-0000-0000-000000000002"}
    return issue_token(
        graph.server.tenant_id, scopes=SCOPES, wids=(USER, *wids), oid=oid[name], upn=f"{name}@contoso.test"
    )


def _denied(reply: object) -> bool:
    status, body = reply.status, reply.body  # type: ignore[attr-defined]
    return bool(
        status == 403
        and body["error"]["code"] == "Authorization_RequestDenied"
        and body["error"]["message"] == "Insufficient privileges to complete the operation."
    )


def test_user_without_role_creates_and_owns_while_policy_allows(graph: Graph) -> None:
    dev = user(graph)
    created = graph.call(
        "PATCH",
        "/applications(uniqueName='mine')",
        {"displayName": "mine"},
        headers={"Prefer": "create-if-missing"},
        token=dev,
    )
    assert created.status == 201, created.body
    app_id = created.body["id"]
    # the owner may change it and add a secret; another user without a role may not
    assert graph.call("PATCH", f"/applications/{app_id}", {"displayName": "mine 2"}, token=dev).status == 204
    assert graph.call("POST", f"/applications/{app_id}/addPassword", {}, token=dev).status == 200
    other = user(graph, name="other")
    assert _denied(graph.call("PATCH", f"/applications/{app_id}", {"displayName": "x"}, token=other))
    assert _denied(graph.call("DELETE", f"/applications/{app_id}", token=other))
    assert graph.call("GET", f"/applications/{app_id}").body["displayName"] == "mine 2"
    # ...but an Application Administrator may
    admin = user(graph, APPLICATION_ADMINISTRATOR, name="other")
    assert graph.call("PATCH", f"/applications/{app_id}", {"displayName": "x"}, token=admin).status == 204


def test_policy_off_refuses_users_without_a_role(graph: Graph) -> None:
    off = {"defaultUserRolePermissions": {"allowedToCreateApps": False}}
    policy_admin = issue_token(graph.server.tenant_id, scopes=["Policy.ReadWrite.Authorization"])
    assert graph.call("PATCH", "/policies/authorizationPolicy", off, token=policy_admin).status == 204
    reader = user(graph)
    policy = graph.call("GET", "/policies/authorizationPolicy", token=reader).body
    assert policy["defaultUserRolePermissions"]["allowedToCreateApps"] is False
    reply = graph.call("POST", "/applications", {"displayName": "nope"}, token=reader)
    assert _denied(reply)
    assert graph.call("GET", "/applications").body["value"] == []
    cloud_admin = user(graph, CLOUD_APPLICATION_ADMINISTRATOR)
    assert graph.call("POST", "/applications", {"displayName": "ok"}, token=cloud_admin).status == 201


def test_consent_needs_an_admin_role(graph: Graph) -> None:
    app = graph.create("consent-me")
    sp = graph.call("POST", "/servicePrincipals", {"appId": app["appId"]}).body
    graph_sp = graph.graph_sp()
    grant = {
        "clientId": sp["id"],
        "consentType": "AllPrincipals",
        "resourceId": graph_sp["id"],
        "scope": "User.Read",
    }
    assert _denied(graph.call("POST", "/oauth2PermissionGrants", grant, token=user(graph)))
    assert (
        graph.call(
            "POST", "/oauth2PermissionGrants", grant, token=user(graph, APPLICATION_ADMINISTRATOR)
        ).status
        == 201
    )
    role = {"principalId": sp["id"], "resourceId": graph_sp["id"], "appRoleId": GROUP_READ_ALL_ROLE}
    path = f"/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo"
    # an application permission of Microsoft Graph: Application Administrator is not enough
    assert _denied(graph.call("POST", path, role, token=user(graph, APPLICATION_ADMINISTRATOR)))
    assert graph.call("GET", path).body["value"] == []
    assert graph.call("POST", path, role, token=user(graph, PRIVILEGED_ROLE_ADMINISTRATOR)).status == 201


def test_service_principal_needs_owner_or_role(graph: Graph) -> None:
    app = graph.create("sp-owner")  # made by the default (Global Administrator) token: no owner
    assert _denied(graph.call("POST", "/servicePrincipals", {"appId": app["appId"]}, token=user(graph)))
    dev = user(graph)
    mine = graph.call("POST", "/applications", {"displayName": "mine"}, token=dev).body
    assert graph.call("POST", "/servicePrincipals", {"appId": mine["appId"]}, token=dev).status == 201


def test_owned_by_permission_reaches_only_own_apps(graph: Graph) -> None:
    tenant = graph.server.tenant_id
    bot = issue_token(
        tenant, scopes=(), roles=["Application.ReadWrite.OwnedBy"], oid="22222222-0000-0000-0000-000000000001"
    )
    theirs = graph.create("not-the-bots")
    mine = graph.call("POST", "/applications", {"displayName": "bot's"}, token=bot)
    assert mine.status == 201
    assert (
        graph.call("PATCH", f"/applications/{mine.body['id']}", {"displayName": "b"}, token=bot).status == 204
    )
    assert _denied(graph.call("PATCH", f"/applications/{theirs['id']}", {"displayName": "b"}, token=bot))
    no_permission = issue_token(tenant, scopes=(), roles=["Application.Read.All"])
    assert _denied(graph.call("POST", "/applications", {"displayName": "x"}, token=no_permission))


def test_member_of_lists_the_callers_roles(graph: Graph) -> None:
    reply = graph.call(
        "GET", "/me/memberOf/microsoft.graph.directoryRole", token=user(graph, APPLICATION_ADMINISTRATOR)
    )
    assert reply.status == 200
    assert [r["displayName"] for r in reply.body["value"]] == ["Application Administrator"]
    app_only = issue_token(graph.server.tenant_id, scopes=(), roles=["Directory.Read.All"])
    assert graph.call("GET", "/me/memberOf", token=app_only).status == 400


def test_default_token_is_a_global_administrator(graph: Graph) -> None:
    import base64
    import json

    payload = graph.server.token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert "62e90394-69f5-4237-9190-012177145e10" in claims["wids"]
    assert claims["idtyp"] == "user"
    assert graph.call("GET", f"/servicePrincipals(appId='{GRAPH_APP}')").status == 200

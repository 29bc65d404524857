"""Microsoft Graph's service principal: in every sandbox tenant, old ones included, with the ids
and texts Microsoft publishes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ssoctl.sandbox import sandbox_dir, start_sandbox
from tests.sandbox.conftest import GRAPH_APP, Graph, query

SCOPES = {
    "User.Read": ("e1fe6dd8-ba31-4d61-89e7-88639da4683d", "User", "Sign in and read user profile"),
    "email": ("64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", "User", "View users' email address"),
    "profile": ("14dad69e-099b-42c9-810b-d002981feec1", "User", "View users' basic profile"),
    "openid": ("37f7f235-527c-4136-accd-4a02d197296e", "User", "Sign users in"),
    "offline_access": (
        "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
        "User",
        "Maintain access to data you have given it access to",
    ),
    "Group.Read.All": ("5f8c59db-677d-491f-a6b8-5f174b11ec1d", "Admin", "Read all groups"),
    "User.Read.All": ("a154be20-db9c-4678-8ab7-66f6cc099a59", "Admin", "Read all users' full profiles"),
    "Application.ReadWrite.All": (
        "bdfbf15f-ee85-4955-8675-146e8e5296b5",
        "Admin",
        "Read and write applications",
    ),
    "DelegatedPermissionGrant.ReadWrite.All": (
        "41ce6ca6-6826-4807-84f1-1c82854f7ee5",
        "Admin",
        "Manage all delegated permission grants",
    ),
    "AppRoleAssignment.ReadWrite.All": (
        "84bccea3-f856-4a8a-967b-dbe0a3d53a64",
        "Admin",
        "Manage app permission grants and app role assignments",
    ),
}
ROLES = {
    "Group.Read.All": ("5b567255-7703-4780-807c-7be8301ae99b", "Read all groups"),
    "User.Read.All": ("df021288-bdef-4463-88db-98f22de89214", "Read all users' full profiles"),
    "Application.ReadWrite.All": ("1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "Read and write all applications"),
    "Directory.Read.All": ("7ab1d382-f21e-4acd-a863-ba3e13f7da61", "Read directory data"),
}


def test_every_tenant_has_microsoft_graphs_service_principal(graph: Graph) -> None:
    sp = graph.graph_sp()
    assert sp["appId"] == GRAPH_APP
    assert sp["displayName"] == sp["appDisplayName"] == "Microsoft Graph"
    assert sp["appOwnerOrganizationId"] == "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
    assert sp["servicePrincipalType"] == "Application" and sp["accountEnabled"] is True
    assert GRAPH_APP in sp["servicePrincipalNames"]
    assert "https://graph.microsoft.com" in sp["servicePrincipalNames"]
    scopes = {s["value"]: s for s in sp["oauth2PermissionScopes"]}
    for value, (scope_id, kind, admin_name) in SCOPES.items():
        scope = scopes[value]
        assert (scope["id"], scope["type"], scope["adminConsentDisplayName"]) == (scope_id, kind, admin_name)
        assert scope["isEnabled"] is True
        assert scope["adminConsentDescription"] and scope["userConsentDisplayName"]
    assert scopes["User.Read"]["userConsentDisplayName"] == "Sign you in and read your profile"
    roles = {r["value"]: r for r in sp["appRoles"]}
    for value, (role_id, name) in ROLES.items():
        role = roles[value]
        assert (role["id"], role["displayName"]) == (role_id, name)
        assert role["allowedMemberTypes"] == ["Application"] and role["isEnabled"] is True
        assert role["origin"] == "Application" and role["description"]
    ids = [s["id"] for s in sp["oauth2PermissionScopes"]] + [r["id"] for r in sp["appRoles"]]
    assert len(ids) == len(set(ids))


def test_resolving_permission_names_as_graph_md_says(graph: Graph) -> None:
    path = f"/servicePrincipals(appId='{GRAPH_APP}')" + query(select="id,appRoles,oauth2PermissionScopes")
    reply = graph.call("GET", path)
    assert reply.status == 200
    assert set(reply.body) == {"@odata.context", "id", "appRoles", "oauth2PermissionScopes"}
    listed = graph.call("GET", "/servicePrincipals" + query(filter=f"appId eq '{GRAPH_APP}'", select="id"))
    assert listed.body["value"] == [{"id": reply.body["id"]}]


def test_its_id_is_the_tenants_own_and_stays(home: Path, tmp_path: Path) -> None:
    with start_sandbox(home) as one:
        first = Graph(one).graph_sp()["id"]
    with start_sandbox(home) as again:
        assert Graph(again).graph_sp()["id"] == first
    with start_sandbox(tmp_path / "other-home") as other:
        assert Graph(other).graph_sp()["id"] != first


def _old_tenant(home: Path) -> dict[str, Any]:
    """A tenant.json as ssoctl wrote it before service principals existed."""
    with start_sandbox(home) as srv:
        app = Graph(srv).create("from-before")
    path = sandbox_dir(home) / "tenant.json"
    state = json.loads(path.read_text())
    for key in ("servicePrincipals", "oauth2PermissionGrants", "appRoleAssignments", "seeded"):
        del state[key]
    path.write_text(json.dumps(state))
    return app


def test_a_tenant_from_an_older_ssoctl_gains_it(home: Path) -> None:
    app = _old_tenant(home)
    with start_sandbox(home) as srv:
        graph = Graph(srv)
        assert graph.call("GET", "/applications(uniqueName='from-before')").body["id"] == app["id"]
        graph_sp = graph.graph_sp()
        sp = graph.create_sp(app)  # and admin consent works on it
        assert graph.grant(sp["id"], graph_sp["id"]).status == 201
    saved = json.loads((sandbox_dir(home) / "tenant.json").read_text())
    assert graph_sp["id"] in saved["servicePrincipals"]
    assert saved["seeded"] == ["microsoftGraphServicePrincipal", "sampleUsers"]


def test_an_older_tenant_is_upgraded_even_when_only_read(home: Path) -> None:
    _old_tenant(home)
    with start_sandbox(home) as srv:
        listed = Graph(srv).call("GET", "/servicePrincipals" + query(select="appId")).body["value"]
    assert listed == [{"appId": GRAPH_APP}]


@pytest.mark.parametrize("how", ["post", "upsert"])
def test_deleted_it_stays_deleted_and_can_be_created_again(graph: Graph, how: str) -> None:
    first = graph.graph_sp()
    assert graph.call("DELETE", f"/servicePrincipals/{first['id']}").status == 204
    assert graph.call("GET", f"/servicePrincipals(appId='{GRAPH_APP}')").status == 404  # not re-seeded
    if how == "post":
        reply = graph.call("POST", "/servicePrincipals", {"appId": GRAPH_APP})
    else:
        reply = graph.upsert_sp(GRAPH_APP)
    assert reply.status == 201  # a first-party app needs no application object in the tenant
    assert reply.body["id"] != first["id"]
    assert reply.body["appRoles"] == first["appRoles"]
    assert reply.body["appOwnerOrganizationId"] == first["appOwnerOrganizationId"]

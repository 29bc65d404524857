"""`ssoctl azure register --portal pingone` end to end: the app, its service principal and real
admin consent, against the sandbox tenant (calm, and throttling + lagging)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import Cli, Run, Tenant
from tests.support.memory_keyring import MemoryKeyring

GRAPH = "00000003-0000-0000-c000-000000000000"
USER_READ = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"
GROUP_READ_ALL = "5b567255-7703-4780-807c-7be8301ae99b"
REDIRECT = "https://sso.connect.pingidentity.com/sso/rp/callback/3f9c2a"
UNIQUE = "ssoctl-pingone"


def register(cli: Cli, *args: str, env: dict[str, str] | None = None) -> Run:
    return cli("azure", "register", "--portal", "pingone", "--redirect-uri", REDIRECT, *args, env=env)


def listing(tenant: Tenant, path: str) -> list[dict[str, Any]]:
    status, body = tenant.call("GET", path.replace(" ", "%20"))
    assert status == 200, body
    return body["value"]


def consent(tenant: Tenant) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], str]:
    """The app's service principal, its grants and its app role assignments, and Graph's SP id."""
    app = tenant.app(UNIQUE)
    sps = listing(tenant, f"/servicePrincipals?$filter=appId eq '{app['appId']}'")
    assert len(sps) == 1, sps  # exactly one service principal
    (graph_sp,) = listing(tenant, f"/servicePrincipals?$filter=appId eq '{GRAPH}'")
    sp = sps[0]
    grants = listing(tenant, f"/oauth2PermissionGrants?$filter=clientId eq '{sp['id']}'")
    roles = listing(tenant, f"/servicePrincipals/{sp['id']}/appRoleAssignments")
    return sp, grants, roles, graph_sp["id"]


def assert_is_the_guide(tenant: Tenant) -> None:
    app = tenant.app(UNIQUE)
    assert app["signInAudience"] == "AzureADMyOrg"
    assert app["web"]["redirectUris"] == [REDIRECT]
    assert app["groupMembershipClaims"] == "SecurityGroup"
    (rra,) = app["requiredResourceAccess"]
    assert rra["resourceAppId"] == GRAPH
    assert {(a["id"], a["type"]) for a in rra["resourceAccess"]} == {
        (USER_READ, "Scope"),
        (GROUP_READ_ALL, "Role"),
    }
    assert len(app["passwordCredentials"]) == 1
    sp, grants, roles, graph_sp = consent(tenant)
    assert sp["appId"] == app["appId"] and sp["appOwnerOrganizationId"]
    (grant,) = [g for g in grants if g["consentType"] == "AllPrincipals"]
    assert len(grants) == 1 and grant["resourceId"] == graph_sp and "User.Read" in grant["scope"].split()
    assert [(r["resourceId"], r["appRoleId"]) for r in roles] == [(graph_sp, GROUP_READ_ALL)]


def test_fresh_register_grants_admin_consent(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring, home: Path
) -> None:
    run = register(cli, "--yes", "-o", "json")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert_is_the_guide(tenant)
    # The sandbox is its own login host, so the Discovery Endpoint it prints can be fetched.
    assert doc["discoveryUrl"].startswith("http://127.0.0.1:")
    assert doc["discoveryUrl"].endswith(f"/{doc['tenantId']}/v2.0/.well-known/openid-configuration")
    assert doc["secret"]["store"] == "keyring" and "secretText" not in doc["secret"]
    resources = {c["resource"] for c in doc["changes"] if c["action"] == "create"}
    assert resources == {
        "application",
        "passwordCredential",
        "servicePrincipal",
        "oauth2PermissionGrant",
        "appRoleAssignment",
    }
    steps = " ".join(doc["nextSteps"])
    assert doc["appId"] in steps and doc["discoveryUrl"] in steps and "openid, profile and email" in steps
    assert "MFA_SUBJECT" in steps
    assert len(run.served) <= 9, [(r["method"], r["path"], r["status"]) for r in run.requests]
    values = [v for (service, user), v in keyring_backend.entries.items() if user.endswith("/client_secret")]
    assert len(values) == 1
    for path in home.rglob("*"):
        if path.is_file():
            assert values[0] not in path.read_text(errors="replace"), path


def test_second_run_only_reads(cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring) -> None:
    assert register(cli, "--yes").exit_code == 0
    again = register(cli, "--yes", "-o", "json")
    assert again.exit_code == 0, again.stderr
    assert again.mutating == [] and len(again.served) <= 4
    assert again.json()["applied"] is False and again.json()["secret"] is None
    assert_is_the_guide(tenant)


def test_revoked_consent_is_planned_then_repaired(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    assert register(cli, "--yes").exit_code == 0
    sp, grants, roles, _ = consent(tenant)
    assert tenant.call("DELETE", f"/oauth2PermissionGrants/{grants[0]['id']}")[0] == 204
    assert (
        tenant.call("DELETE", f"/servicePrincipals/{sp['id']}/appRoleAssignments/{roles[0]['id']}")[0] == 204
    )
    app = tenant.app(UNIQUE)
    assert tenant.call("PATCH", f"/applications/{app['id']}", {"groupMembershipClaims": "All"})[0] == 204
    plan = register(cli, "--plan", "-o", "json")
    assert plan.exit_code == 0 and plan.mutating == []
    changed = {(c["resource"], c["action"]) for c in plan.json()["changes"] if c["action"] != "none"}
    assert changed == {
        ("application", "update"),
        ("oauth2PermissionGrant", "create"),
        ("appRoleAssignment", "create"),
    }
    (claims,) = [c for c in plan.json()["changes"] if c["target"] == "groupMembershipClaims"]
    assert (claims["before"], claims["after"]) == ("All", "SecurityGroup")
    fix = register(cli, "--yes")
    assert fix.exit_code == 0, fix.stderr
    assert_is_the_guide(tenant)
    assert register(cli, "--yes").mutating == []


def test_narrowed_grant_gets_the_scope_back_in_the_same_grant(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    assert register(cli, "--yes").exit_code == 0
    _, grants, _, _ = consent(tenant)
    assert tenant.call("PATCH", f"/oauth2PermissionGrants/{grants[0]['id']}", {"scope": "openid"})[0] == 204
    run = register(cli, "--yes", "-o", "json")
    assert run.exit_code == 0, run.stderr
    (change,) = [c for c in run.json()["changes"] if c["resource"] == "oauth2PermissionGrant"]
    assert (change["action"], change["before"], change["after"]) == ("update", "openid", "openid User.Read")
    _, after, _, _ = consent(tenant)
    assert [g["id"] for g in after] == [grants[0]["id"]] and after[0]["scope"] == "openid User.Read"


def test_deleted_enterprise_app_is_recreated(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    assert register(cli, "--yes").exit_code == 0
    sp, _, _, _ = consent(tenant)
    assert tenant.call("DELETE", f"/servicePrincipals/{sp['id']}")[0] == 204
    run = register(cli, "--yes")
    assert run.exit_code == 0, run.stderr
    assert_is_the_guide(tenant)


def test_group_claims_all(cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring) -> None:
    assert register(cli, "--group-claims", "all", "--yes").exit_code == 0
    assert tenant.app(UNIQUE)["groupMembershipClaims"] == "All"


def test_missing_redirect_uri_is_usage_error_before_any_request(cli: Cli) -> None:
    run = cli("azure", "register", "--portal", "pingone", "--yes")
    assert run.exit_code == 2
    assert "--redirect-uri is required" in run.stderr and "PingOne Redirect URI" in run.stderr
    assert run.requests == []
    bad = cli(
        "azure", "register", "--portal", "pingone", "--redirect-uri", "http://sso.example.com/cb", "--yes"
    )
    assert bad.exit_code == 2 and bad.requests == []


def test_portals_show_lists_the_consent_objects(cli: Cli) -> None:
    run = cli("portals", "show", "pingone", "-o", "json")
    assert run.exit_code == 0, run.stderr
    consent_doc = run.json()["adminConsent"]
    assert consent_doc["oauth2PermissionGrants"][0]["scope"] == "User.Read"
    assert consent_doc["appRoleAssignments"][0]["appRoleId"] == GROUP_READ_ALL
    table = cli("portals", "show", "pingone")
    assert "oauth2PermissionGrant" in table.stdout and "appRoleAssignment" in table.stdout
    assert "--redirect-uri" in table.stdout and "Redirect URI" in " ".join(table.stdout.split())


def test_emnify_keeps_its_request_counts(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    fresh = cli.register("--yes")
    assert fresh.exit_code == 0 and len(fresh.served) == 4
    again = cli.register("--yes")
    assert again.exit_code == 0 and len(again.served) == 1 and again.mutating == []


def test_every_third_request_throttled_and_new_objects_lagging_still_converges(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    env = {"SSOCTL_SANDBOX_FAULTS": "throttle=3,replication=3,retry-after=4"}
    run = register(cli, "--yes", env=env)
    assert run.exit_code == 0, run.stderr
    throttled = [r for r in run.requests if r["status"] == 429]
    assert throttled, "the fault was not injected"
    # Never sooner than Retry-After: one wait of exactly 4 s per 429 (replication waits are others).
    assert cli.sleep.waits.count(4) >= len(throttled)
    lagged = [r for r in run.requests if r["status"] in (400, 404) and r["path"] != run.requests[0]["path"]]
    assert lagged, "no replication delay was seen"
    assert_is_the_guide(tenant)
    again = register(cli, "--yes", env=env)
    assert again.exit_code == 0 and again.mutating == []


def test_hand_made_consent_is_left_alone_and_not_claimed(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring, home: Path
) -> None:
    import json

    assert register(cli, "--yes").exit_code == 0
    sp, _, _, graph_sp = consent(tenant)
    user_read_all = "df021288-bdef-4463-88db-98f22de89214"
    extra = {"principalId": sp["id"], "resourceId": graph_sp, "appRoleId": user_read_all}
    status, made = tenant.call("POST", f"/servicePrincipals/{graph_sp}/appRoleAssignedTo", extra)
    assert status == 201, made
    run = register(cli, "--yes")
    assert run.exit_code == 0 and run.mutating == []
    (record,) = json.loads((home / "state.json").read_text())["registrations"].values()
    assert made["id"] not in record["resources"]["appRoleAssignment"]
    assert len(record["resources"]["appRoleAssignment"]) == 1

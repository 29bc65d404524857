"""The preflight: `whoami` reports roles and permissions correctly, and a register whose identity
lacks one stops with exit 4 before any change (the sandbox's request log shows no mutating request).

Each test signs in as a restricted identity explicitly: a token minted for the sandbox tenant with
chosen `wids` (directory roles), `scp` or `roles`, sent as SSOCTL_ACCESS_TOKEN to a running sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ssoctl.directory_roles import (
    APPLICATION_ADMINISTRATOR,
    USER,
)
from ssoctl.sandbox import SandboxServer, issue_token, start_sandbox
from tests.e2e.conftest import Cli, Tenant

REDIRECT = "https://sso.connect.pingidentity.com/sso/rp/callback/3f9c2a"
USER_SCOPES = (
    "Application.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "User.Read",
    "Policy.Read.All",
)


@pytest.fixture
def server(home: Path) -> Iterator[SandboxServer]:
    with start_sandbox(home) as srv:
        yield srv


def as_user(
    server: SandboxServer, *wids: str, scopes: tuple[str, ...] = USER_SCOPES, **extra: object
) -> dict[str, str]:
    token = issue_token(
        server.tenant_id,
        scopes=scopes,
        wids=(USER, *wids),
        oid="33333333-0000-0000-0000-000000000003",
        upn="dev@contoso.test",
    )
    return {"SSOCTL_GRAPH_ENDPOINT": server.url, "SSOCTL_ACCESS_TOKEN": token}


def as_app(server: SandboxServer, *roles: str) -> dict[str, str]:
    token = issue_token(
        server.tenant_id, scopes=(), roles=roles, app_id="44444444-0000-0000-0000-000000000004"
    )
    return {"SSOCTL_GRAPH_ENDPOINT": server.url, "SSOCTL_ACCESS_TOKEN": token}


def checks(run_json: dict[str, object]) -> dict[tuple[str, str], str]:
    return {(c["need"], c["requirement"].split()[0]): c["status"] for c in run_json["checks"]}  # type: ignore[attr-defined,index]


def turn_off_app_registration(tenant: Tenant, server: SandboxServer) -> None:
    import json
    import urllib.request

    token = issue_token(server.tenant_id, scopes=["Policy.ReadWrite.Authorization"])
    body = json.dumps({"defaultUserRolePermissions": {"allowedToCreateApps": False}}).encode()
    request = urllib.request.Request(
        f"{server.url}/v1.0/policies/authorizationPolicy",
        data=body,
        method="PATCH",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 204


def test_whoami_global_administrator_has_everything(cli: Cli) -> None:
    run = cli("whoami", "--sandbox", "-o", "json")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert doc["kind"] == "user" and doc["account"].startswith("admin@") and doc["sandbox"] is True
    assert doc["ready"] is True and {c["status"] for c in doc["checks"]} == {"present"}
    assert doc["tokenExpires"].endswith("Z") and doc["cloud"] == "global"


def test_whoami_user_without_role_policy_on(cli: Cli, server: SandboxServer) -> None:
    run = cli("whoami", "-o", "json", env=as_user(server), sandbox=False)
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert doc["account"] == "dev@contoso.test" and doc["usersCanRegisterApps"] is True
    got = checks(doc)
    assert got[("apps", "directory")] == "present"  # may create (and then owns) app registrations
    assert got[("delegated_consent", "directory")] == "missing"
    assert got[("app_consent", "directory")] == "missing"
    assert doc["ready"] is False


def test_whoami_says_plainly_when_users_cannot_register(
    cli: Cli, tenant: Tenant, server: SandboxServer
) -> None:
    turn_off_app_registration(tenant, server)
    run = cli("whoami", env=as_user(server), sandbox=False)
    assert run.exit_code == 0, run.stderr
    assert 'Users can register applications" is off' in run.stdout
    assert "✗ missing  directory role Application Administrator" in run.stdout


def test_whoami_reads_roles_from_graph_when_the_token_has_no_wids(cli: Cli, server: SandboxServer) -> None:
    token = issue_token(server.tenant_id, scopes=USER_SCOPES, claims={"wids": None})
    env = {"SSOCTL_GRAPH_ENDPOINT": server.url, "SSOCTL_ACCESS_TOKEN": token}
    run = cli("whoami", "-o", "json", env=env, sandbox=False)
    assert run.exit_code == 0, run.stderr
    # the sandbox takes a user's roles from the token's wids, so for this token /me/memberOf
    # lists none: what matters here is that ssoctl asked Graph rather than guessed
    assert checks(run.json())[("delegated_consent", "directory")] == "missing"
    assert any(r["path"].startswith("/v1.0/me/memberOf") for r in run.requests)


def test_whoami_application_permissions(cli: Cli, server: SandboxServer) -> None:
    run = cli("whoami", "-o", "json", env=as_app(server, "Application.ReadWrite.OwnedBy"), sandbox=False)
    doc = run.json()
    assert doc["kind"] == "app" and doc["account"] == "44444444-0000-0000-0000-000000000004"
    got = checks(doc)
    assert got[("apps", "application")] == "present"
    assert got[("delegated_consent", "application")] == "missing"
    assert got[("provisioning", "application")] == "missing"


def test_register_without_role_exits_4_before_any_change(
    cli: Cli, tenant: Tenant, server: SandboxServer
) -> None:
    turn_off_app_registration(tenant, server)
    run = cli.register("--yes", "--store", "none", "--show-secret", env=as_user(server), sandbox=False)
    assert run.exit_code == 4, run.stderr
    assert "Application Administrator" in run.stderr and "nothing was changed" in run.stderr
    assert run.mutating == [] and tenant.apps() == []


def test_consent_without_privileged_role_stops_before_creating_the_app(
    cli: Cli, tenant: Tenant, server: SandboxServer
) -> None:
    env = as_user(server, APPLICATION_ADMINISTRATOR)
    run = cli(
        "azure",
        "register",
        "--portal",
        "pingone",
        "--redirect-uri",
        REDIRECT,
        "--yes",
        "--store",
        "none",
        "--show-secret",
        env=env,
        sandbox=False,
    )
    assert run.exit_code == 4, run.stderr
    assert "Privileged Role Administrator" in run.stderr
    assert run.mutating == [] and tenant.apps() == []
    # --plan changes nothing, exits normally and says what applying would need
    plan = cli(
        "azure",
        "register",
        "--portal",
        "pingone",
        "--redirect-uri",
        REDIRECT,
        "--plan",
        env=env,
        sandbox=False,
    )
    assert plan.exit_code == 0, plan.stderr
    assert "Privileged Role Administrator" in plan.stderr and plan.mutating == []


def test_app_without_permission_exits_4_and_with_it_registers(
    cli: Cli, tenant: Tenant, server: SandboxServer
) -> None:
    weak = cli.register(
        "--yes", "--store", "none", "--show-secret", env=as_app(server, "Application.Read.All"), sandbox=False
    )
    assert weak.exit_code == 4 and "Application.ReadWrite.All" in weak.stderr
    assert weak.mutating == []
    strong = cli.register(
        "--yes",
        "--store",
        "none",
        "--show-secret",
        env=as_app(server, "Application.ReadWrite.OwnedBy"),
        sandbox=False,
    )
    assert strong.exit_code == 0, strong.stderr
    assert len(tenant.apps()) == 1


def test_user_who_owns_the_app_may_update_it(cli: Cli, tenant: Tenant, server: SandboxServer) -> None:
    env = as_user(server)
    assert cli.register("--yes", "--store", "none", "--show-secret", env=env, sandbox=False).exit_code == 0
    again = cli.register(
        "--yes", "--store", "none", "--show-secret", "--secret-days", "30", env=env, sandbox=False
    )
    assert again.exit_code == 0, again.stderr


def test_rotate_without_role_exits_4_before_any_change(
    cli: Cli, tenant: Tenant, server: SandboxServer, tmp_path: Path
) -> None:
    store = f"env-file:{tmp_path / 'emnify.env'}"
    admin = {"SSOCTL_GRAPH_ENDPOINT": server.url, "SSOCTL_ACCESS_TOKEN": server.token}
    assert cli.register("--yes", "--store", store, env=admin, sandbox=False).exit_code == 0
    before = [c["keyId"] for c in tenant.app()["passwordCredentials"]]
    turn_off_app_registration(tenant, server)
    run = cli("secrets", "rotate", "--portal", "emnify", "--store", store, "--yes", env=as_user(server))
    assert run.exit_code == 4, run.stderr
    assert "Application Administrator" in run.stderr and run.mutating == []
    assert [c["keyId"] for c in tenant.app()["passwordCredentials"]] == before


def test_unregister_without_role_exits_4_before_any_change(
    cli: Cli, tenant: Tenant, server: SandboxServer, tmp_path: Path
) -> None:
    env_file = tmp_path / "emnify.env"
    admin = {"SSOCTL_GRAPH_ENDPOINT": server.url, "SSOCTL_ACCESS_TOKEN": server.token}
    assert cli.register("--yes", "--store", f"env-file:{env_file}", env=admin, sandbox=False).exit_code == 0
    turn_off_app_registration(tenant, server)
    run = cli("azure", "unregister", "--portal", "emnify", "--yes", env=as_user(server))
    assert run.exit_code == 4, run.stderr
    assert "Application Administrator" in run.stderr and "nothing was changed" in run.stderr
    assert run.mutating == [] and len(tenant.apps()) == 1 and env_file.exists()
    again = cli("azure", "unregister", "--portal", "emnify", "--yes", env=admin)
    assert again.exit_code == 0, again.stderr
    assert tenant.apps() == []

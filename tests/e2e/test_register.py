"""`ssoctl azure register --portal emnify` end to end against the sandbox tenant."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Tenant
from tests.support.memory_keyring import MemoryKeyring

GRAPH = "00000003-0000-0000-c000-000000000000"
EMNIFY_SCOPES = {
    "e1fe6dd8-ba31-4d61-89e7-88639da4683d",  # User.Read
    "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",  # email
    "14dad69e-099b-42c9-810b-d002981feec1",  # profile
}


def stored_secret(keyring: MemoryKeyring) -> str:
    values = [
        v
        for (service, user), v in keyring.entries.items()
        if service == "ssoctl" and user.endswith("/client_secret")
    ]
    assert len(values) == 1, keyring.entries.keys()
    return values[0]


def assert_is_the_guide(app: dict) -> None:
    assert app["displayName"] == "emnify"
    assert app["signInAudience"] == "AzureADMultipleOrgs"
    assert app["web"]["redirectUris"] == ["https://prod-e5.okta.com/oauth2/v1/authorize/callback"]
    assert app["web"]["implicitGrantSettings"] == {
        "enableAccessTokenIssuance": True,
        "enableIdTokenIssuance": True,
    }
    assert [c["name"] for c in app["optionalClaims"]["saml2Token"]] == ["upn"]
    assert app["optionalClaims"]["idToken"] == [] and app["optionalClaims"]["accessToken"] == []
    (rra,) = app["requiredResourceAccess"]
    assert rra["resourceAppId"] == GRAPH
    assert {(a["id"], a["type"]) for a in rra["resourceAccess"]} == {(i, "Scope") for i in EMNIFY_SCOPES}
    assert app["identifierUris"] == [f"api://{app['appId']}"]


def test_fresh_register_builds_the_guide_in_four_requests(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring, home: Path
) -> None:
    run = cli.register("--yes")
    assert run.exit_code == 0, run.stderr
    assert [(r["method"], r["status"]) for r in run.served] == [
        ("GET", 404),
        ("PATCH", 201),
        ("PATCH", 204),
        ("POST", 200),
    ]
    app = tenant.app()
    assert_is_the_guide(app)
    (password,) = app["passwordCredentials"]
    assert password["displayName"].startswith("ssoctl ")
    secret = stored_secret(keyring_backend)
    tenant_id = json.loads((home / "state.json").read_text())["registrations"].popitem()[1]["tenantId"]
    assert keyring_backend.entries[("ssoctl", f"{tenant_id}/ssoctl-emnify/client_id")] == app["appId"]
    assert keyring_backend.entries[("ssoctl", f"{tenant_id}/ssoctl-emnify/tenant_id")] == tenant_id
    # The secret is in exactly one place: the keyring. Not in output, state, sandbox files.
    assert secret not in run.stdout + run.stderr
    for path in home.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), path
    assert (
        app["appId"] in run.stdout
        and "Create and Activate" in run.stdout
        and "Verify Integration" in run.stdout
    )


def test_second_run_changes_nothing(cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring) -> None:
    assert cli.register("--yes").exit_code == 0
    secret = stored_secret(keyring_backend)
    again = cli.register("--yes")
    assert again.exit_code == 0, again.stderr
    assert len(again.served) == 1 and again.mutating == []
    assert "No changes" in again.stdout
    assert len(tenant.app()["passwordCredentials"]) == 1
    assert stored_secret(keyring_backend) == secret
    assert len(tenant.apps()) == 1


def test_drift_is_planned_then_repaired(cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring) -> None:
    assert cli.register("--yes").exit_code == 0
    app = tenant.app()
    status, _ = tenant.call(
        "PATCH",
        f"/applications/{app['id']}",
        {
            "signInAudience": "AzureADMyOrg",
            "web": {
                "redirectUris": ["https://example.com/cb"],
                "implicitGrantSettings": {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": True},
            },
        },
    )
    assert status == 204
    plan = cli.register("--plan")
    assert plan.exit_code == 0 and plan.mutating == []
    assert "~ signInAudience" in plan.stdout and "AzureADMyOrg → AzureADMultipleOrgs" in plan.stdout
    assert "~ web.redirectUris" in plan.stdout and "~ web.implicitGrantSettings" in plan.stdout
    fixed = cli.register("--yes", "-o", "json")
    assert fixed.exit_code == 0, fixed.stderr
    assert [(r["method"], r["status"]) for r in fixed.mutating] == [("PATCH", 204)]
    assert {c["target"] for c in fixed.json()["changes"] if c["action"] == "update"} == {
        "signInAudience",
        "web.redirectUris",
        "web.implicitGrantSettings",
    }
    assert fixed.json()["secret"] is None
    assert_is_the_guide(tenant.app())
    assert len(tenant.app()["passwordCredentials"]) == 1


def test_plan_changes_nothing(cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring, home: Path) -> None:
    run = cli.register("--plan")
    assert run.exit_code == 0, run.stderr
    assert run.mutating == [] and len(run.served) == 1
    assert (
        "+ application" in run.stdout
        and "+ passwordCredentials" in run.stdout
        and "nothing was changed" in run.stdout
    )
    assert tenant.apps() == []
    assert keyring_backend.entries == {}
    assert not (home / "state.json").exists()


def test_store_failure_leaves_no_credential_behind(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    keyring_backend.writes_left = 2  # the preflight probe succeeds, then the save fails part-way
    run = cli.register("--yes")
    assert run.exit_code == 1
    assert "removed from the app again" in run.stderr
    assert tenant.app()["passwordCredentials"] == []
    assert keyring_backend.entries == {}
    # Fixed keyring: the next run makes the secret, with no leftovers from the failed one.
    run = cli.register("--yes")
    assert run.exit_code == 0, run.stderr
    assert len(tenant.app()["passwordCredentials"]) == 1


def test_locked_keyring_fails_before_any_change(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    keyring_backend.locked = True
    run = cli.register("--yes")
    assert run.exit_code == 1 and run.requests == []
    assert "error:" in run.stderr and "\n" not in run.stderr.split("error:")[1].split("hint:")[0].strip()
    assert tenant.apps() == []


def test_json_contract(cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring) -> None:
    run = cli.register("--yes", "-o", "json")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    for key in ("portal", "tenantId", "appId", "objectId", "changes", "secret", "nextSteps", "reminders"):
        assert key in doc
    assert doc["portal"] == "emnify" and doc["appId"] == tenant.app()["appId"]
    assert {c["action"] for c in doc["changes"]} == {"create"}
    assert set(doc["secret"]) >= {"keyId", "endDateTime", "store"} and doc["secret"]["store"] == "keyring"
    assert "secretText" not in doc["secret"]
    assert stored_secret(keyring_backend) not in run.stdout
    assert doc["nextSteps"] and doc["reminders"] == []


def test_show_secret_prints_it_once_with_store_none(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    run = cli.register("--yes", "--store", "none", "--show-secret", "-o", "json")
    assert run.exit_code == 0, run.stderr
    secret = run.json()["secret"]
    assert len(secret["secretText"]) >= 16 and secret["store"] == "none"
    assert keyring_backend.entries == {}
    again = cli.register("--yes", "--store", "none", "--show-secret", "-o", "json")
    assert again.json()["secret"] is None and again.mutating == []


def test_env_file_store_and_reveal(cli: Cli, tenant: Tenant, tmp_path: Path) -> None:
    env_file = tmp_path / "emnify.env"
    env_file.write_text("# keep me\nOTHER=1\n")
    run = cli.register("--yes", "--store", f"env-file:{env_file}")
    assert run.exit_code == 0, run.stderr
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    text = env_file.read_text()
    assert text.startswith("# keep me\nOTHER=1\n")
    assert f"EMNIFY_CLIENT_ID={tenant.app()['appId']}" in text.replace("'", "").replace('"', "")
    revealed = cli("secrets", "reveal", "--portal", "emnify")
    assert revealed.exit_code == 0
    secret = revealed.stdout.rstrip("\n")
    assert "\n" not in secret and secret in text and revealed.stderr == ""
    assert secret not in run.stdout + run.stderr


def test_changing_store_moves_the_secret(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring, tmp_path: Path
) -> None:
    assert cli.register("--yes").exit_code == 0
    old_key = tenant.app()["passwordCredentials"][0]["keyId"]
    env_file = tmp_path / "moved.env"
    run = cli.register("--yes", "--store", f"env-file:{env_file}")
    assert run.exit_code == 0, run.stderr
    keys = [p["keyId"] for p in tenant.app()["passwordCredentials"]]
    assert len(keys) == 2 and old_key in keys  # the old one stays until it expires: the portal may use it
    assert keyring_backend.entries == {}
    assert "EMNIFY_CLIENT_SECRET" in env_file.read_text()


def test_sandbox_without_keyring_falls_back_to_a_private_file(
    home: Path, no_keyring: None, tenant: Tenant
) -> None:
    from tests.e2e.conftest import Recorder

    cli = Cli(home=home, sleep=Recorder())
    run = cli.register("--yes")
    assert run.exit_code == 0, run.stderr
    fallback = home / "sandbox" / "credentials.env"
    assert "no OS keyring" in run.stderr and str(fallback) in run.stderr
    assert stat.S_IMODE(fallback.stat().st_mode) == 0o600
    assert cli("secrets", "reveal", "--portal", "emnify").stdout.strip() in fallback.read_text()


def test_throttling_and_replication_delays_are_ridden_out(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    env = {"SSOCTL_SANDBOX_FAULTS": "throttle=2,replication=2,retry-after=3"}
    run = cli.register("--yes", env=env)
    assert run.exit_code == 0, run.stderr
    statuses = [r["status"] for r in run.requests]
    assert 429 in statuses and 404 in statuses[2:]
    assert 3 in cli.sleep.waits  # Retry-After honoured
    assert len(tenant.apps()) == 1 and len(tenant.app()["passwordCredentials"]) == 1
    stored_secret(keyring_backend)
    again = cli.register("--yes", env=env)
    assert again.exit_code == 0 and again.mutating == []


def test_bad_input_in_json_mode_is_a_json_error(cli: Cli) -> None:
    run = cli.register("--secret-days", "0", "--yes", "-o", "json")
    assert run.exit_code == 2
    assert run.json()["error"]["code"] == "usage" and "--secret-days" in run.json()["error"]["message"]


def test_without_terminal_and_without_yes_nothing_changes(cli: Cli, tenant: Tenant) -> None:
    run = cli.register()
    assert run.exit_code == 1 and "--yes" in run.stderr
    assert run.mutating == [] and tenant.apps() == []


def test_at_a_terminal_only_yes_applies(cli: Cli, tenant: Tenant) -> None:
    cli.terminal, cli.answer = True, "n\n"
    assert cli.register().exit_code == 1
    assert tenant.apps() == []
    cli.answer = "yes\n"
    assert cli.register().exit_code == 0
    assert len(tenant.apps()) == 1


def test_token_without_permission_exits_4(cli: Cli, tenant: Tenant, home: Path) -> None:
    from ssoctl.sandbox import issue_token, start_sandbox

    with start_sandbox(home) as srv:
        weak = issue_token(srv.tenant_id, scopes=("User.Read",))
        env = {"SSOCTL_GRAPH_ENDPOINT": srv.url, "SSOCTL_ACCESS_TOKEN": weak}
        run = cli.register(
            "--yes",
            "--store",
            "none",
            "--show-secret",
            env=env,
            sandbox=False,
        )
    assert run.exit_code == 4, run.stderr
    assert "Authorization_RequestDenied" in run.stderr


def test_not_signed_in_exits_4(cli: Cli) -> None:
    env = {"PATH": "/nonexistent", "SSOCTL_GRAPH_ENDPOINT": "http://127.0.0.1:9"}
    run = cli.register("--yes", env=env, sandbox=False)
    assert run.exit_code == 4 and "SSOCTL_ACCESS_TOKEN" in run.stderr


def test_reveal_without_registration_is_usage_error(cli: Cli) -> None:
    run = cli("secrets", "reveal", "--portal", "emnify")
    assert run.exit_code == 2 and run.stdout == ""


def test_reveal_picks_between_tenants(cli: Cli, tmp_path: Path, keyring_backend: MemoryKeyring) -> None:
    from ssoctl.sandbox import start_sandbox

    assert cli.register("--yes").exit_code == 0
    with start_sandbox(tmp_path / "other-tenant") as other:
        env = {"SSOCTL_GRAPH_ENDPOINT": other.url, "SSOCTL_ACCESS_TOKEN": other.token}
        assert cli.register("--yes", env=env, sandbox=False).exit_code == 0
        other_tenant = other.tenant_id
    ambiguous = cli("secrets", "reveal", "--portal", "emnify")
    assert ambiguous.exit_code == 2 and "--tenant" in ambiguous.stderr and ambiguous.stdout == ""
    in_sandbox = cli("secrets", "reveal", "--portal", "emnify", "--sandbox").stdout.strip()
    in_other = cli("secrets", "reveal", "--portal", "emnify", "--tenant", other_tenant).stdout.strip()
    assert in_sandbox and in_other and in_sandbox != in_other
    secrets = {v for (_, user), v in keyring_backend.entries.items() if user.endswith("/client_secret")}
    assert secrets == {in_sandbox, in_other}


def test_tenant_secret_lifetime_policy_is_explained(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    cli.faults = ",".join(filter(None, [cli.faults, "max-password-days=90"]))
    refused = cli.register("--yes")
    assert refused.exit_code == 1
    assert "CredentialInvalidLifetimeAsPerAppPolicy" in refused.stderr and "--secret-days" in refused.stderr
    assert tenant.app()["passwordCredentials"] == [] and keyring_backend.entries == {}
    fixed = cli.register("--yes", "--secret-days", "90")
    assert fixed.exit_code == 0, fixed.stderr
    assert len(tenant.app()["passwordCredentials"]) == 1


def test_short_lived_secret_comes_with_a_reminder(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSOCTL_NO_REMINDERS")
    run = cli.register("--yes", "--secret-days", "10", "-o", "json")
    (reminder,) = run.json()["reminders"]
    assert reminder["portal"] == "emnify" and reminder["daysLeft"] == 10
    assert reminder["keyId"] == run.json()["secret"]["keyId"]
    quiet = cli.register("--yes", "-o", "json", env={"SSOCTL_NO_REMINDERS": "1"})
    assert quiet.json()["reminders"] == []


def test_one_env_file_never_mixes_tenants(cli: Cli, tenant: Tenant, tmp_path: Path) -> None:
    """A sandbox try-out must not overwrite, and `sandbox reset` must not delete, real credentials."""
    from ssoctl.sandbox import start_sandbox

    env_file = tmp_path / "emnify.env"
    with start_sandbox(tmp_path / "production") as prod:
        env = {"SSOCTL_GRAPH_ENDPOINT": prod.url, "SSOCTL_ACCESS_TOKEN": prod.token}
        run = cli.register(
            "--yes",
            "--store",
            f"env-file:{env_file}",
            env=env,
            sandbox=False,
        )
        assert run.exit_code == 0, run.stderr
    production = env_file.read_text()
    tryout = cli.register("--yes", "--store", f"env-file:{env_file}")
    assert tryout.exit_code == 2 and "will not overwrite" in tryout.stderr and tryout.mutating == []
    assert tenant.apps() == []
    assert cli("sandbox", "reset", "--yes").exit_code == 0
    assert env_file.read_text() == production


def test_unusable_state_file_stops_before_any_change(cli: Cli, tenant: Tenant, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "state.json").write_text('{"registrations": {"x": {"portal": "emnify"}}}')
    run = cli.register("--yes", "-o", "json")
    assert run.exit_code == 1 and run.json()["error"]["code"] == "store"
    assert run.mutating == [] and tenant.apps() == []


def test_reveal_tells_default_and_named_registrations_apart(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    assert cli.register("--yes").exit_code == 0
    named = cli.register("--name", "emnify staging", "--yes")
    assert named.exit_code == 0
    assert "secrets reveal --portal emnify --name 'emnify staging' --sandbox" in named.stdout
    default = cli("secrets", "reveal", "--portal", "emnify", "--sandbox")
    staging = cli("secrets", "reveal", "--portal", "emnify", "--name", "Emnify Staging", "--sandbox")
    assert default.exit_code == 0 and staging.exit_code == 0
    assert default.stdout != staging.stdout
    missing = cli("secrets", "reveal", "--portal", "emnify", "--name", "prod", "--sandbox")
    assert missing.exit_code == 2 and "emnify staging" in missing.stderr


def test_reveal_as_json(cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring) -> None:
    assert cli.register("--yes").exit_code == 0
    doc = cli("secrets", "reveal", "--portal", "emnify", "--sandbox", "-o", "json").json()
    assert doc["clientId"] == tenant.app()["appId"] and doc["clientSecret"] == stored_secret(keyring_backend)
    missing = cli("secrets", "reveal", "--portal", "emnify", "--name", "nope", "-o", "json")
    assert missing.exit_code == 2 and missing.json()["error"]["code"] == "usage"


def test_replaced_secret_stays_for_the_portal_and_goes_when_expired(
    cli: Cli, tenant: Tenant, home: Path, tmp_path: Path
) -> None:
    assert cli.register("--yes").exit_code == 0  # 180 days
    (old,) = [p["keyId"] for p in tenant.app()["passwordCredentials"]]
    moved = cli.register(
        "--yes",
        "--secret-days",
        "730",
        "--store",
        f"env-file:{tmp_path / 'e.env'}",
    )
    assert moved.exit_code == 0 and "stays until it expires" in moved.stdout
    assert old in [p["keyId"] for p in tenant.app()["passwordCredentials"]]
    (record,) = json.loads((home / "state.json").read_text())["registrations"].values()
    assert record["replacedKeyIds"] == [old]
    calm = cli.register("--yes", "--store", f"env-file:{tmp_path / 'e.env'}")
    assert calm.mutating == []
    cli.days_later = 200  # the old secret has expired, the new one has not
    later = cli.register(
        "--yes",
        "--store",
        f"env-file:{tmp_path / 'e.env'}",
        "-o",
        "json",
    )
    assert later.exit_code == 0, later.stderr
    assert [(c["action"], c["target"]) for c in later.json()["changes"] if c["action"] != "none"] == [
        ("delete", "passwordCredentials")
    ]
    assert later.json()["secret"] is None
    assert old not in [p["keyId"] for p in tenant.app()["passwordCredentials"]]
    (record,) = json.loads((home / "state.json").read_text())["registrations"].values()
    assert record["replacedKeyIds"] == []


def test_from_store_none_to_keyring_deletes_nothing(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    assert cli.register("--yes", "--store", "none", "--show-secret").exit_code == 0
    kept = cli.register("--yes", "-o", "json")  # a registration keeps its store: still none
    assert kept.exit_code == 0 and kept.json()["secret"] is None and not kept.mutating
    run = cli.register("--yes", "--store", "keyring", "-o", "json")
    assert run.exit_code == 0 and run.json()["warnings"] == []
    assert [c for c in run.json()["changes"] if c["action"] == "delete"] == []
    assert stored_secret(keyring_backend)
    again = cli.register("--yes", "--store", "none")
    assert again.exit_code == 2  # moving to none would make a secret that nobody ever sees
    shown = cli.register("--yes", "--show-secret")
    assert shown.exit_code == 0 and "none to show" in shown.stderr


def test_end_of_input_at_the_prompt_cancels(cli: Cli, tenant: Tenant) -> None:
    cli.terminal, cli.answer = True, ""
    run = cli.register()
    assert run.exit_code == 1 and "cancelled" in run.stderr
    assert tenant.apps() == []


def test_reveal_checks_its_tenant_flag(cli: Cli) -> None:
    assert cli.register("--yes").exit_code == 0
    by_domain = cli("secrets", "reveal", "--portal", "emnify", "--tenant", "contoso.onmicrosoft.com")
    assert by_domain.exit_code == 2 and "GUID" in by_domain.stderr
    wrong = cli(
        "secrets",
        "reveal",
        "--portal",
        "emnify",
        "--sandbox",
        "--tenant",
        "00000000-0000-0000-0000-000000000000",
    )
    assert wrong.exit_code == 2 and wrong.stdout == ""
    domain_env = cli(
        "secrets", "reveal", "--portal", "emnify", env={"AZURE_TENANT_ID": "contoso.onmicrosoft.com"}
    )
    assert domain_env.exit_code == 0 and domain_env.stdout.strip()


def test_interrupted_json_run_prints_one_error_document(home: Path, tenant: Tenant) -> None:
    """Ctrl-C (SIGINT) during a `-o json` run: exit 130 and one `{"error": {"code": "interrupted"}}`
    document on stdout, so a script reading it is not left with nothing."""
    import os

    from typer.testing import CliRunner

    from ssoctl.cli import app
    from ssoctl.deps import Deps

    def interrupting_sleep(seconds: float) -> None:  # Ctrl-C while waiting out a throttle
        raise KeyboardInterrupt

    env = {**os.environ, "SSOCTL_SANDBOX_FAULTS": "throttle=3"}
    deps = Deps(env=env, sleep=interrupting_sleep, stdin_is_terminal=lambda: False)
    result = CliRunner().invoke(
        app, ["azure", "register", "--portal", "emnify", "--sandbox", "--yes", "-o", "json"], obj=deps
    )
    assert result.exit_code == 130, result.output
    doc = json.loads(result.stdout)
    assert doc["error"]["code"] == "interrupted" and doc["error"]["message"]

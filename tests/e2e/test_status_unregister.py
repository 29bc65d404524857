"""`ssoctl azure status` (one registration's health, reads only) and `ssoctl azure unregister`
(plan, delete, forget; a second run does nothing) end to end against the sandbox."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from tests.e2e.conftest import Cli, Tenant
from tests.support.memory_keyring import MemoryKeyring

STATUS_KEYS = {"portal", "name", "tenantId", "appId", "healthy", "changes", "secrets"}


def azure_status(cli: Cli, *args: str):
    return cli("azure", "status", "--portal", "emnify", "--sandbox", "-o", "json", *args)


def test_healthy_registration_reads_only_and_exits_0(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    assert cli.register("--yes").exit_code == 0
    run = azure_status(cli)
    assert run.exit_code == 0, run.stdout
    doc = run.json()
    assert set(doc) >= STATUS_KEYS and doc["healthy"] is True
    assert all(c["action"] == "none" for c in doc["changes"])
    (secret,) = doc["secrets"]
    assert secret["status"] == "ok" and secret["store"] == "keyring"
    assert run.mutating == []


def test_expiring_secret_drift_and_lost_store_are_unhealthy(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    assert cli.register("--yes", "--secret-days", "20").exit_code == 0
    expiring = azure_status(cli)
    assert expiring.exit_code == 8 and expiring.json()["healthy"] is False
    assert azure_status(cli, "--within", "10").exit_code == 0
    app = tenant.app()
    assert tenant.call("PATCH", f"/applications/{app['id']}", {"web": {"redirectUris": []}})[0] == 204
    drift = azure_status(cli, "--within", "10")
    assert drift.exit_code == 8
    assert any(c["action"] == "update" for c in drift.json()["changes"])
    human = cli("azure", "status", "--portal", "emnify", "--sandbox", "--within", "10")
    assert "repair: ssoctl azure register --portal emnify --sandbox" in human.stdout
    keyring_backend.entries.clear()  # the store lost the secret
    assert cli.register("--yes").exit_code == 0  # repaired: new secret in the keyring
    assert azure_status(cli, "--within", "10").exit_code == 0


def test_a_registration_that_does_not_exist_is_not_healthy(cli: Cli, tenant: Tenant) -> None:
    missing = azure_status(cli)
    assert missing.exit_code == 8 and missing.json()["healthy"] is False and missing.mutating == []
    assert cli.register("--yes").exit_code == 0
    app = tenant.app()
    assert tenant.call("DELETE", f"/applications/{app['id']}")[0] == 204
    gone = azure_status(cli)
    assert gone.exit_code == 8 and "no longer exists" in " ".join(gone.json()["problems"])


def test_unregister_deletes_app_consent_secret_and_record_and_keeps_the_rest(
    cli: Cli, tenant: Tenant, home: Path, tmp_path: Path
) -> None:
    env_file = tmp_path / "pingone.env"
    env_file.write_text("# mine\nOTHER=keep\n")
    uri = "https://sso.connect.pingidentity.com/sso/rp/callback/x"
    made = cli(
        "azure", "register", "--portal", "pingone", "--redirect-uri", uri, "--store", f"env-file:{env_file}",
        "--yes", "--sandbox",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    assert cli.register("--yes").exit_code == 0  # another registration: must stay
    app = tenant.app("ssoctl-pingone")
    _, sps = tenant.call("GET", f"/servicePrincipals?$filter=appId%20eq%20'{app['appId']}'")
    (sp,) = sps["value"]
    _, grants = tenant.call("GET", f"/oauth2PermissionGrants?$filter=clientId%20eq%20'{sp['id']}'")
    assert grants["value"]
    refused = cli("azure", "unregister", "--portal", "pingone", "--sandbox")
    assert refused.exit_code == 1 and refused.mutating == []  # no terminal, no --yes
    run = cli("azure", "unregister", "--portal", "pingone", "--sandbox", "--yes", "-o", "json")
    assert run.exit_code == 0, run.stdout
    assert [c["action"] for c in run.json()["changes"]] == ["delete", "delete", "delete"]
    assert [r["method"] for r in run.mutating] == ["DELETE"]
    assert [a["uniqueName"] for a in tenant.apps()] == ["ssoctl-emnify"]
    assert tenant.call("GET", f"/servicePrincipals/{sp['id']}")[0] == 404
    _, after = tenant.call("GET", f"/oauth2PermissionGrants?$filter=clientId%20eq%20'{sp['id']}'")
    assert after["value"] == []
    assert env_file.read_text() == "# mine\nOTHER=keep\n"
    records = json.loads((home / "state.json").read_text())["registrations"]
    assert [r["portal"] for r in records.values()] == ["emnify"]
    again = cli("azure", "unregister", "--portal", "pingone", "--sandbox", "--yes")
    assert again.exit_code == 0 and again.mutating == [] and "Nothing to do" in again.stdout


def test_unregister_asks_at_a_terminal_and_no_keeps_everything(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    assert cli.register("--yes", "--name", "emnify eu").exit_code == 0
    cli.terminal, cli.answer = True, "n\n"
    declined = cli(
        "azure", "unregister", "--portal", "emnify", "--name", "emnify eu", "--sandbox", env={"CI": ""}
    )
    assert declined.exit_code == 1 and declined.mutating == [] and len(tenant.apps()) == 1
    cli.answer = "yes\n"
    done = cli(
        "azure", "unregister", "--portal", "emnify", "--name", "emnify eu", "--sandbox", env={"CI": ""}
    )
    assert done.exit_code == 0 and tenant.apps() == []
    assert not [u for (_, u) in keyring_backend.entries if "emnify-eu" in u]


def test_status_fix_commands_run_back(cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring) -> None:
    assert cli.register("--yes", "--name", "emnify eu").exit_code == 0
    app = tenant.app("ssoctl-emnify-emnify-eu")
    assert tenant.call("PATCH", f"/applications/{app['id']}", {"signInAudience": "AzureADMyOrg"})[0] == 204
    human = cli("azure", "status", "--portal", "emnify", "--name", "emnify eu", "--sandbox")
    assert human.exit_code == 8
    (repair,) = [ln.split("repair: ", 1)[1] for ln in human.stdout.splitlines() if "repair: " in ln]
    argv = shlex.split(repair)
    fixed = cli(*argv[1:], "--yes", sandbox=False)
    assert fixed.exit_code == 0, fixed.stderr
    assert tenant.app("ssoctl-emnify-emnify-eu")["signInAudience"] == "AzureADMultipleOrgs"
    assert cli("azure", "status", "--portal", "emnify", "--name", "emnify eu", "--sandbox").exit_code == 0


def test_a_redirect_uri_added_by_hand_is_drift_status_and_verify_flag_and_register_removes(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    assert cli.register("--yes").exit_code == 0
    app = tenant.app()
    rogue = [*app["web"]["redirectUris"], "https://evil.example/cb"]
    assert tenant.call("PATCH", f"/applications/{app['id']}", {"web": {"redirectUris": rogue}})[0] == 204
    status = azure_status(cli)
    assert status.exit_code == 8 and status.json()["healthy"] is False
    verify = cli("azure", "verify", "--portal", "emnify", "--sandbox", "-o", "json")
    assert {c["check"]: c["status"] for c in verify.json()["checks"]}["settings"] == "fail"
    assert cli.register("--yes").exit_code == 0
    assert "https://evil.example/cb" not in tenant.app()["web"]["redirectUris"]
    assert azure_status(cli).exit_code == 0

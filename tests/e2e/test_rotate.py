"""`ssoctl secrets rotate` and `ssoctl secrets prune` end to end against the sandbox: the new secret
is proven with a real token request before the old one goes, and a rotate that cannot prove it
takes itself back."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from ssoctl.cli import app
from ssoctl.credentials import CredentialRef, Credentials
from ssoctl.deps import Deps
from ssoctl.errors import StoreError
from ssoctl.sandbox import start_sandbox
from ssoctl.stores import StoreSpec, open_store
from ssoctl.stores.base import Store
from tests.e2e.conftest import Cli, Run, Tenant
from tests.e2e.test_pingone import REDIRECT
from tests.support.memory_keyring import MemoryKeyring

UNIQUE = "ssoctl-pingone"


def register_pingone(cli: Cli) -> Run:
    run = cli("azure", "register", "--portal", "pingone", "--redirect-uri", REDIRECT, "--yes")
    assert run.exit_code == 0, run.stderr
    return run


def rotate(cli: Cli, *args: str, portal: str = "pingone", env: dict[str, str] | None = None) -> Run:
    return cli("secrets", "rotate", "--portal", portal, "--sandbox", *args, env=env)


def prune(cli: Cli, *args: str) -> Run:
    return cli("secrets", "prune", "--sandbox", *args)


def stored_secret(keyring: MemoryKeyring) -> str:
    (value,) = [v for (_, user), v in keyring.entries.items() if user.endswith("/client_secret")]
    return value


def state_record(home: Path) -> dict[str, Any]:
    (record,) = json.loads((home / "state.json").read_text())["registrations"].values()
    return dict(record)


def token_status(home: Path, app_id: str, secret: str) -> int:
    """What Entra's token endpoint says to this client ID and secret (200 or an error status)."""
    with start_sandbox(home) as server:
        form = {
            "grant_type": "client_credentials",
            "client_id": app_id,
            "client_secret": secret,
            "scope": "https://graph.microsoft.com/.default",
        }
        request = urllib.request.Request(
            f"{server.url}/{server.tenant_id}/oauth2/v2.0/token", data=urllib.parse.urlencode(form).encode()
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


def key_ids(tenant: Tenant, unique: str = UNIQUE) -> list[str]:
    return [c["keyId"] for c in tenant.app(unique)["passwordCredentials"]]


def graph_writes(run: Run) -> list[dict[str, Any]]:
    return [r for r in run.mutating if r["path"].startswith("/v1.0/")]


def test_overlap_zero_leaves_exactly_one_valid_secret_held_by_the_store(
    cli: Cli, tenant: Tenant, home: Path, keyring_backend: MemoryKeyring
) -> None:
    register_pingone(cli)
    old_secret, old_key = stored_secret(keyring_backend), key_ids(tenant)[0]
    run = rotate(cli, "--overlap-days", "0", "--yes", "-o", "json")
    assert run.exit_code == 0, run.stdout + run.stderr
    doc = run.json()
    new_key = doc["secret"]["keyId"]
    assert doc["verified"] is True and doc["secret"]["store"] == "keyring"
    assert doc["previous"] == {"keyId": old_key, "removed": True, "removeAfter": None}
    assert key_ids(tenant) == [new_key]  # exactly one credential: the new one
    new_secret = stored_secret(keyring_backend)
    assert new_secret != old_secret
    assert token_status(home, doc["appId"], new_secret) == 200
    assert token_status(home, doc["appId"], old_secret) == 401
    record = state_record(home)
    assert record["secret"]["keyId"] == new_key and record["replacedKeyIds"] == []
    assert "NEW client secret" in doc["nextSteps"][0] and "now" in doc["nextSteps"][0]
    assert "ssoctl secrets reveal --portal pingone --sandbox" in doc["nextSteps"][0]
    assert new_secret not in run.stdout + run.stderr and old_secret not in run.stdout + run.stderr
    # The printed check acts on the same registration, and passes.
    verify_cmd = doc["nextSteps"][1].split("`")[1].split()[1:]
    checked = cli(*verify_cmd, "-o", "json")
    assert checked.exit_code == 0, checked.stdout


def test_overlap_seven_leaves_the_new_and_the_previous_secret_then_prune_removes_it(
    cli: Cli, tenant: Tenant, home: Path, keyring_backend: MemoryKeyring
) -> None:
    register_pingone(cli)
    old_secret, old_key = stored_secret(keyring_backend), key_ids(tenant)[0]
    run = rotate(cli, "--yes", "-o", "json")  # --overlap-days 7 by default
    assert run.exit_code == 0, run.stdout + run.stderr
    doc = run.json()
    new_key = doc["secret"]["keyId"]
    assert sorted(key_ids(tenant)) == sorted([old_key, new_key])  # the new and the previous, nothing else
    assert doc["previous"]["removed"] is False
    remove_after = datetime.fromisoformat(doc["previous"]["removeAfter"].replace("Z", "+00:00"))
    assert 6.9 < (remove_after - datetime.now(UTC)).total_seconds() / 86400 <= 7.0
    assert f"by {remove_after:%Y-%m-%d}" in doc["nextSteps"][0]
    assert token_status(home, doc["appId"], old_secret) == 200  # the portal keeps working meanwhile
    assert token_status(home, doc["appId"], stored_secret(keyring_backend)) == 200
    record = state_record(home)
    assert record["replacedKeyIds"] == [old_key] and old_key in record["overlapUntil"]

    # Within the overlap, prune finds nothing to do and changes nothing.
    early = prune(cli, "--yes", "-o", "json")
    assert early.exit_code == 0 and early.json()["changes"] == [] and graph_writes(early) == []
    # Eight days later the previous secret goes, and only it.
    cli.days_later = 8
    plan = prune(cli, "-o", "json")  # no terminal, no --yes: the plan, then exit 1
    assert plan.exit_code == 1 and graph_writes(plan) == []
    late = prune(cli, "--yes", "-o", "json")
    assert late.exit_code == 0, late.stdout
    assert [r["keyId"] for r in late.json()["removed"]] == [old_key]
    assert key_ids(tenant) == [new_key]
    assert state_record(home)["replacedKeyIds"] == [] and "overlapUntil" not in state_record(home)
    again = prune(cli, "--yes", "-o", "json")
    assert again.exit_code == 0 and again.json()["changes"] == [] and graph_writes(again) == []


def test_a_secret_entra_rejects_is_taken_back_and_the_old_one_kept(
    cli: Cli, tenant: Tenant, home: Path, keyring_backend: MemoryKeyring
) -> None:
    register_pingone(cli)
    before_state = (home / "state.json").read_text()
    old_secret, old_key = stored_secret(keyring_backend), key_ids(tenant)[0]
    cli.faults = ",".join(filter(None, [cli.faults, "secret-lag=1000"]))  # Entra keeps refusing it
    run = rotate(cli, "--overlap-days", "0", "--yes", env={"SSOCTL_VERIFY_WAIT": "30"})
    assert run.exit_code == 1, run.stdout
    assert "rotation undone" in run.stderr and "AADSTS7000215" in run.stderr
    assert f"previous secret {old_key} is untouched" in run.stderr
    assert key_ids(tenant) == [old_key]
    assert stored_secret(keyring_backend) == old_secret
    assert json.loads((home / "state.json").read_text()) == json.loads(before_state)
    assert token_status(home, tenant.app(UNIQUE)["appId"], old_secret) == 200
    assert sum(cli.sleep.waits[-10:]) >= 30  # it waited the bounded time before giving up


@dataclass
class FailingSaves:
    """The real store, except that writing credentials fails (a full disk, a keyring error)."""

    inner: Store

    @property
    def location(self) -> str:
        return self.inner.location

    def preflight(self, ref: CredentialRef) -> None:
        self.inner.preflight(ref)

    def save(self, ref: CredentialRef, creds: Credentials) -> None:
        raise StoreError("simulated: the store refused the write")

    def load(self, ref: CredentialRef) -> Credentials | None:
        return self.inner.load(ref)

    def delete(self, ref: CredentialRef) -> None:
        self.inner.delete(ref)


def failing_opener(
    spec: StoreSpec, *, home: Path, sandbox: bool, env: Mapping[str, str]
) -> tuple[Store | None, str | None]:
    store, notice = open_store(spec, home=home, sandbox=sandbox, env=env)
    return (FailingSaves(store) if store is not None else None), notice


def test_a_store_that_fails_keeps_the_old_secret(
    cli: Cli, tenant: Tenant, home: Path, keyring_backend: MemoryKeyring
) -> None:
    register_pingone(cli)
    old_secret, old_key = stored_secret(keyring_backend), key_ids(tenant)[0]
    before_state = (home / "state.json").read_text()
    deps = Deps(
        env={**os.environ}, sleep=cli.sleep, stdin_is_terminal=lambda: False, open_store=failing_opener
    )
    result = CliRunner().invoke(
        app,
        ["secrets", "rotate", "--portal", "pingone", "--sandbox", "--yes", "--overlap-days", "0"],
        obj=deps,
    )
    assert result.exit_code == 1, result.stdout
    assert "simulated" in result.stderr and "removed from the app again" in result.stderr
    assert key_ids(tenant) == [old_key]
    assert stored_secret(keyring_backend) == old_secret
    assert (home / "state.json").read_text() == before_state


def test_rotate_moves_to_a_named_store_and_clears_the_old_one(
    cli: Cli, tenant: Tenant, home: Path, keyring_backend: MemoryKeyring, tmp_path: Path
) -> None:
    register_pingone(cli)
    env_file = tmp_path / "pingone.env"
    run = rotate(cli, "--store", f"env-file:{env_file}", "--yes", "-o", "json")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.json()["secret"]["store"] == f"env-file:{env_file}"
    assert not [u for (_, u) in keyring_backend.entries if u.endswith("/client_secret")]
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    # The next rotate keeps that store without being told (the store-remembered rule).
    again = rotate(cli, "--yes", "-o", "json")
    assert again.exit_code == 0 and again.json()["secret"]["store"] == f"env-file:{env_file}"


def test_emnify_without_enterprise_app_rotates_with_a_warning(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    assert cli.register("--yes").exit_code == 0
    run = rotate(cli, "--yes", "-o", "json", portal="emnify")
    assert run.exit_code == 0, run.stdout + run.stderr
    doc = run.json()
    assert doc["verified"] is False and "AADSTS7000229" in doc["verification"]
    assert len(key_ids(tenant, "ssoctl-emnify")) == 2 and doc["warnings"]


def test_prune_removes_orphans_and_leaves_secrets_ssoctl_did_not_make(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    assert cli.register("--yes").exit_code == 0
    app_ = tenant.app("ssoctl-emnify")
    for name in ("ssoctl 2026-01-01 abc123", "made by hand"):
        status, _ = tenant.call(
            "POST", f"/applications/{app_['id']}/addPassword", {"passwordCredential": {"displayName": name}}
        )
        assert status == 200
    run = prune(cli, "--yes", "-o", "json")
    assert run.exit_code == 0, run.stdout
    (removed,) = run.json()["removed"]
    names = {c["displayName"] for c in tenant.app("ssoctl-emnify")["passwordCredentials"]}
    assert "made by hand" in names and "ssoctl 2026-01-01 abc123" not in names and len(names) == 2
    assert removed["portal"] == "emnify"
    again = prune(cli, "--yes", "-o", "json")
    assert again.json()["changes"] == [] and graph_writes(again) == []


def test_bad_overlap_is_a_usage_error_with_no_request(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    register_pingone(cli)
    run = rotate(cli, "--overlap-days", "-1", "--yes")
    assert run.exit_code == 2 and "--overlap-days" in run.stderr
    assert run.requests == []


def test_without_yes_and_terminal_rotate_shows_the_plan_and_changes_nothing(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    register_pingone(cli)
    before = key_ids(tenant)
    run = rotate(cli)
    assert run.exit_code == 1 and "--yes" in run.stderr
    assert "+ passwordCredentials" in run.stdout and "stays until" in run.stdout
    assert key_ids(tenant) == before and graph_writes(run) == []


def test_ctrl_c_while_proving_the_new_secret_leaves_both_working(
    cli: Cli, tenant: Tenant, home: Path, keyring_backend: MemoryKeyring
) -> None:
    """Interrupted during the token retry: the new secret is stored and recorded, the previous
    one still on the app with its overlap date; nothing is half done, and sign-in works."""
    register_pingone(cli)
    old_secret, old_key = stored_secret(keyring_backend), key_ids(tenant)[0]

    def interrupting_sleep(seconds: float) -> None:
        raise KeyboardInterrupt

    env = {**os.environ, "SSOCTL_SANDBOX_FAULTS": "secret-lag=5"}
    deps = Deps(env=env, sleep=interrupting_sleep, stdin_is_terminal=lambda: False)
    result = CliRunner().invoke(
        app,
        ["secrets", "rotate", "--portal", "pingone", "--sandbox", "--yes", "--overlap-days", "0"],
        obj=deps,
    )
    assert result.exit_code == 130, result.stdout
    record = state_record(home)
    new_key = record["secret"]["keyId"]
    assert new_key != old_key and sorted(key_ids(tenant)) == sorted([old_key, new_key])
    assert record["replacedKeyIds"] == [old_key] and old_key in record["overlapUntil"]
    app_id = tenant.app(UNIQUE)["appId"]
    assert token_status(home, app_id, old_secret) == 200  # the portal's copy still works
    assert stored_secret(keyring_backend) != old_secret
    # Running it again converges: the rerun (overlap 0) removes its previous secret and the one the
    # interrupted run replaced (its overlap ended), so prune finds nothing left.
    again = rotate(cli, "--overlap-days", "0", "--yes", "-o", "json")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert prune(cli, "--yes", "-o", "json").json()["removed"] == []
    assert key_ids(tenant) == [again.json()["secret"]["keyId"]]


def test_rotate_plan_says_honestly_whether_the_new_secret_can_be_proven(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    assert cli.register("--yes").exit_code == 0  # emnify: no enterprise app, AADSTS7000229
    unprovable = rotate(cli, "--yes", portal="emnify")
    assert unprovable.exit_code == 0, unprovable.stdout + unprovable.stderr
    assert "proven with a token request" not in unprovable.stdout
    assert "AADSTS7000229" in unprovable.stdout and "kept unproven" in unprovable.stdout
    register_pingone(cli)
    provable = rotate(cli, "--yes")
    assert provable.exit_code == 0, provable.stdout + provable.stderr
    assert "read back and proven with a token request" in provable.stdout

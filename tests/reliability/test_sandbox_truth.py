"""The sandbox tells the truths that used to catch ssoctl out, and ssoctl copes with them:
a new secret that removePassword cannot see yet, tenant policies on client secrets."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Cli, Recorder, Tenant
from tests.support.memory_keyring import MemoryKeyring


def cli(home: Path, faults: str = "") -> Cli:
    return Cli(home=home, sleep=Recorder(), faults=faults)


def test_a_secret_taken_back_right_after_adding_it_is_really_removed(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """The store fails after addPassword, so ssoctl takes the secret back at once: Graph's replica
    answers "No password credential found" twice. ssoctl re-reads the app, sees the secret still
    listed, waits and tries again, instead of taking the answer as "already gone"."""
    home = Path(tmp_path / "ssoctl")
    run = cli(home, "password-lag=2")
    memory_keyring.writes_left = 2  # the preflight probe passes; storing the secret fails part-way
    failed = run.register("--yes")
    assert failed.exit_code == 1 and "removed from the app again" in failed.stderr, failed.stderr
    app = Tenant(home).app()
    assert app["passwordCredentials"] == []  # no secret that nobody holds
    removes = [r["status"] for r in failed.requests if r["path"].endswith("/removePassword")]
    assert removes == [400, 400, 204]
    assert run.sleep.waits  # it waited for replication between the attempts
    again = cli(home).register("--yes")
    assert again.exit_code == 0, again.stderr
    assert len(Tenant(home).app()["passwordCredentials"]) == 1


def test_a_tenant_that_forbids_client_secrets_is_named_and_the_app_stays_consistent(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    home = Path(tmp_path / "ssoctl")
    run = cli(home, "no-secrets=1").register("--yes")
    assert run.exit_code == 1
    assert "CredentialTypeNotAllowedAsPerAppPolicy" in run.stderr or "forbids client secrets" in run.stderr
    assert "exemption" in run.stderr  # what to do about it
    app = Tenant(home).app()
    assert app["passwordCredentials"] == [] and memory_keyring.entries == {}
    assert "Traceback" not in run.stderr
    again = cli(home).register("--yes")  # once the policy allows it, the same command finishes
    assert again.exit_code == 0 and len(Tenant(home).app()["passwordCredentials"]) == 1


def test_a_secret_lifetime_cap_is_named_with_the_flag_that_fits_it(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    home = Path(tmp_path / "ssoctl")
    run = cli(home, "max-password-days=90").register("--yes")
    assert run.exit_code == 1 and "--secret-days" in run.stderr, run.stderr
    assert Tenant(home).app()["passwordCredentials"] == []
    fits = cli(home, "max-password-days=90").register("--yes", "--secret-days", "90")
    assert fits.exit_code == 0, fits.stderr
    assert len(Tenant(home).app()["passwordCredentials"]) == 1

"""A registration keeps its store: without --store, commands use the store holding its secret."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import Cli, Tenant
from tests.support.memory_keyring import MemoryKeyring


def keyring_secrets(keyring: MemoryKeyring) -> list[str]:
    return [v for (_, user), v in keyring.entries.items() if user.endswith("/client_secret")]


def test_plain_rerun_keeps_the_env_file(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring, tmp_path: Path
) -> None:
    env_file = tmp_path / "emnify.env"
    assert cli.register("--yes", "--store", f"env-file:{env_file}").exit_code == 0
    first = env_file.read_text()
    rerun = cli.register("--yes", "-o", "json")
    assert rerun.exit_code == 0, rerun.stderr
    assert rerun.json()["secret"] is None and rerun.mutating == []
    assert env_file.read_text() == first and keyring_secrets(keyring_backend) == []
    assert len(tenant.app()["passwordCredentials"]) == 1
    state = json.loads((Path(cli.home) / "state.json").read_text())
    (record,) = state["registrations"].values()
    assert record["secret"]["store"] == f"env-file:{env_file}"
    # reveal, too, finds it there without being told
    revealed = cli("secrets", "reveal", "--portal", "emnify", "--sandbox")
    assert revealed.exit_code == 0 and revealed.stdout.strip() in first


def test_explicit_store_still_moves_it(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring, tmp_path: Path
) -> None:
    env_file = tmp_path / "emnify.env"
    assert cli.register("--yes", "--store", f"env-file:{env_file}").exit_code == 0
    moved = cli.register("--yes", "--store", "keyring", "-o", "json")
    assert moved.exit_code == 0 and moved.json()["secret"]["store"] == "keyring"
    assert len(keyring_secrets(keyring_backend)) == 1
    assert "CLIENT_SECRET" not in env_file.read_text()
    again = cli.register("--yes", "-o", "json")  # and now it stays in the keyring
    assert again.json()["secret"] is None and again.mutating == []


def test_first_time_without_store_is_the_keyring(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    run = cli.register("--yes", "-o", "json")
    assert run.exit_code == 0 and run.json()["secret"]["store"] == "keyring"
    assert len(keyring_secrets(keyring_backend)) == 1


def test_bad_store_is_refused_before_any_request(cli: Cli) -> None:
    run = cli.register("--yes", "--store", "floppy")
    assert run.exit_code == 2 and run.requests == []

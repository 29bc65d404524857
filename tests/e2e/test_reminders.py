"""Expiry reminders at the end of every interactive command: the window's edges with an injected
clock, the exact command, and silence where a person is not reading (CI, JSON, pipes, opt-out)."""

from __future__ import annotations

import json
import os
import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from ssoctl.cli import app
from ssoctl.deps import Deps
from tests.e2e.conftest import Cli
from tests.support.memory_keyring import MemoryKeyring

# tests/conftest.py turns reminders off for every test; these turn them back on.
NOT_CI = {"CI": "", "SSOCTL_NO_REMINDERS": ""}


def secret_end(home: Path) -> datetime:
    (record,) = json.loads((home / "state.json").read_text())["registrations"].values()
    return datetime.fromisoformat(record["secret"]["endDateTime"].replace("Z", "+00:00"))


def offline(home: Path, now: datetime, *args: str, terminal: bool = True, env: dict[str, str] | None = None):
    """An offline command (no Graph) with ssoctl's clock set to `now`."""
    full = {**os.environ, **NOT_CI, **(env or {})}
    deps = Deps(env=full, clock=lambda: now, stdin_is_terminal=lambda: terminal)
    return CliRunner().invoke(app, list(args), obj=deps, env={**NOT_CI, **(env or {})})


def test_the_window_edges(cli: Cli, home: Path, keyring_backend: MemoryKeyring) -> None:
    assert cli.register("--yes", "--secret-days", "60").exit_code == 0
    end = secret_end(home)
    day = timedelta(days=1)
    outside = offline(home, end - 30 * day - timedelta(seconds=1), "portals", "list")
    assert outside.exit_code == 0 and "reminder" not in outside.stderr  # 30 days and a second: 31
    edge = offline(home, end - 30 * day, "portals", "list")
    assert "reminder: the client secret of emnify in the sandbox tenant expires in 30 day(s)" in edge.stderr
    assert f"on {end:%Y-%m-%d}" in edge.stderr
    assert "`ssoctl secrets rotate --portal emnify --sandbox`" in edge.stderr
    last_moment = offline(home, end - timedelta(seconds=1), "portals", "list")
    assert "expires in 1 day(s)" in last_moment.stderr
    at_end = offline(home, end, "portals", "list")
    assert f"expired on {end:%Y-%m-%d}" in at_end.stderr
    narrow = {"SSOCTL_REMIND_DAYS": "5"}
    assert "reminder" not in offline(home, end - 6 * day, "portals", "list", env=narrow).stderr
    assert "in 5 day(s)" in offline(home, end - 5 * day, "portals", "list", env=narrow).stderr


def test_named_registration_in_a_named_tenant_gets_its_exact_command(
    cli: Cli, home: Path, tmp_path: Path, keyring_backend: MemoryKeyring
) -> None:
    from ssoctl.sandbox import start_sandbox

    env_file = tmp_path / "eu secrets.env"
    with start_sandbox(tmp_path / "real") as real:
        env = {"SSOCTL_GRAPH_ENDPOINT": real.url, "SSOCTL_ACCESS_TOKEN": real.token}
        made = cli.register(
            "--yes", "--name", "emnify eu", "--secret-days", "10", "--store", f"env-file:{env_file}",
            env=env, sandbox=False,
        )  # fmt: skip
        assert made.exit_code == 0, made.stderr
        tenant_id = real.tenant_id
    run = offline(home, datetime.now(UTC), "portals", "list")
    assert f"in tenant {tenant_id}" in run.stderr
    command = run.stderr.split("`")[1]
    assert shlex.split(command) == [
        "ssoctl", "secrets", "rotate", "--portal", "emnify", "--name", "emnify eu",
        "--store", f"env-file:{env_file}", "--tenant", tenant_id,
    ]  # fmt: skip


def test_silent_in_ci_json_pipes_and_when_opted_out(
    cli: Cli, home: Path, keyring_backend: MemoryKeyring
) -> None:
    assert cli.register("--yes", "--secret-days", "5").exit_code == 0
    now = datetime.now(UTC)
    assert "reminder" in offline(home, now, "portals", "list").stderr
    assert "reminder" not in offline(home, now, "portals", "list", env={"CI": "true"}).stderr
    assert "reminder" not in offline(home, now, "portals", "list", env={"SSOCTL_NO_REMINDERS": "1"}).stderr
    assert "reminder" not in offline(home, now, "portals", "list", terminal=False).stderr
    assert "reminder" not in offline(home, now, "portals", "list", "-o", "json").stderr
    assert "reminder" not in offline(home, now, "--help").stderr
    assert "reminder" not in offline(home, now, "azure", "register", "--help").stderr


def test_json_register_carries_them_and_opt_out_empties(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    run = cli.register("--yes", "--secret-days", "5", "-o", "json", env=NOT_CI)
    assert run.exit_code == 0, run.stderr
    (reminder,) = run.json()["reminders"]
    assert (
        reminder["daysLeft"] == 5 and reminder["command"] == "ssoctl secrets rotate --portal emnify --sandbox"
    )
    assert "reminder" not in run.stderr
    quiet = cli.register("--yes", "-o", "json", env={**NOT_CI, "SSOCTL_NO_REMINDERS": "1"})
    assert quiet.json()["reminders"] == []


def test_a_terminal_register_reminds_once(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    cli.terminal = True
    run = cli.register("--yes", "--secret-days", "5", env=NOT_CI)
    assert run.exit_code == 0 and run.stderr.count("reminder:") == 1
    status = cli("secrets", "status", "--sandbox", env=NOT_CI)
    assert status.exit_code == 8 and "reminder:" not in status.stderr  # it shows them itself

"""Damaged or foreign files get a message naming the file and what to do, never exit 3 ("a bug")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ssoctl.cli import app
from tests.support.memory_keyring import MemoryKeyring

REGISTER = ["azure", "register", "--portal", "emnify", "--sandbox", "--yes"]


def invoke(home: Path, *argv: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(argv), env={"SSOCTL_HOME": str(home)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def _damage_tenant(home: Path, env_file: Path) -> None:
    (home / "sandbox" / "tenant.json").write_text("{not json")


def _newer_tenant(home: Path, env_file: Path) -> None:
    path = home / "sandbox" / "tenant.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "version": 99}))


def _damage_state(home: Path, env_file: Path) -> None:
    (home / "state.json").write_text('{"registrations": [1, 2')


def _newer_state(home: Path, env_file: Path) -> None:
    (home / "state.json").write_text(json.dumps({"version": 99, "registrations": {}}))


def _foreign_state(home: Path, env_file: Path) -> None:
    (home / "state.json").write_text(json.dumps({"registrations": {"x": {"portal": 1}}}))


def _damage_env_file(home: Path, env_file: Path) -> None:
    env_file.write_bytes(env_file.read_bytes() + b"\xff\xfe not text\n")


DAMAGE: dict[str, tuple[Callable[[Path, Path], None], str, str]] = {
    # what, (damage, the file the message must name, what it must tell the user to do)
    "damaged sandbox tenant": (_damage_tenant, "sandbox/tenant.json", "sandbox reset"),
    "sandbox tenant from a newer ssoctl": (_newer_tenant, "sandbox/tenant.json", "upgrade ssoctl"),
    "damaged state.json": (_damage_state, "state.json", "fix or"),
    "state.json from a newer ssoctl": (_newer_state, "state.json", "upgrade ssoctl"),
    "foreign state.json": (_foreign_state, "state.json", "move the file away"),
    "env file that is not text": (_damage_env_file, "sso.env", "--store env-file"),
}


@pytest.mark.parametrize("what", sorted(DAMAGE))
def test_a_damaged_file_is_named_with_the_fix(
    what: str, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    home, env_file = tmp_path / "ssoctl", tmp_path / "sso.env"
    code, err = invoke(home, *REGISTER, "--store", f"env-file:{env_file}")
    assert code == 0, err
    damage, named, fix = DAMAGE[what]
    damage(home, env_file)
    code, err = invoke(home, *REGISTER, "--store", f"env-file:{env_file}")
    assert code in (1, 2), err  # never 3, "a bug in ssoctl"
    assert named in err and fix in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2


def test_sandbox_reset_cleans_up_a_damaged_tenant(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    home = tmp_path / "ssoctl"
    assert invoke(home, *REGISTER)[0] == 0
    path = home / "sandbox" / "tenant.json"
    path.write_text(path.read_text()[:-20])  # cut short, as a full disk or a crash leaves it
    code, err = invoke(home, "sandbox", "reset", "--yes")
    assert code == 0, err
    assert "emnify forgotten" in err and memory_keyring.entries == {}
    assert invoke(home, *REGISTER)[0] == 0  # a fresh tenant works
    path.write_text("garbage")  # nothing to salvage: reset still clears the way
    code, err = invoke(home, "sandbox", "reset", "--yes")
    assert code == 0 and not path.exists(), err
    assert invoke(home, *REGISTER)[0] == 0


def test_sandbox_reset_refuses_while_serve_runs(tmp_path: Path) -> None:
    home = tmp_path / "ssoctl"
    env = {**os.environ, "SSOCTL_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ssoctl", "sandbox", "serve", "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 30
        while "SSOCTL_ACCESS_TOKEN" not in proc.stderr.readline():
            assert time.monotonic() < deadline and proc.poll() is None, "serve did not start"
        code, err = invoke(home, "sandbox", "reset", "--yes")
        assert code == 1 and "sandbox serve` is running" in err and "Ctrl-C" in err, err
        assert (home / "sandbox" / "tenant.json").exists()  # the running server's tenant is kept
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    code, err = invoke(home, "sandbox", "reset", "--yes")
    assert code == 0, err

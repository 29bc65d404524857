"""`ssoctl sandbox serve|reset`, and the README's first command in a fresh process."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.e2e.conftest import Cli, Tenant
from tests.support.memory_keyring import MemoryKeyring


def _read_exports(proc: subprocess.Popen[str], timeout: float = 20.0) -> dict[str, str]:
    """The `export NAME=value` lines `sandbox serve` prints, read by a thread so nothing blocks."""
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stderr is not None
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()  # type: ignore[union-attr]
    exports: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(exports) < 3 and time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if "export " in line:
            name, _, value = line.strip().removeprefix("export ").partition("=")
            exports[name] = value
    assert len(exports) == 3, "sandbox serve did not print its URL, token and login host"
    return exports


def test_serve_then_register_through_the_public_endpoint(cli: Cli, tenant: Tenant, home: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ssoctl", "sandbox", "serve", "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "SSOCTL_HOME": str(home)},
    )
    try:
        env = _read_exports(proc)
        assert env["SSOCTL_GRAPH_ENDPOINT"].startswith("http://127.0.0.1:")
        # The path a real tenant takes: SSOCTL_GRAPH_ENDPOINT + SSOCTL_ACCESS_TOKEN, no --sandbox.
        run = cli.register("--yes", env=env, sandbox=False)
        assert run.exit_code == 0, run.stderr
        again = cli.register("--yes", env=env, sandbox=False)
        assert again.exit_code == 0 and again.mutating == [] and len(again.served) == 1
        # The printed login host is where rotate proves the new secret (a real AADSTS answer:
        # emnify's app has no service principal yet, so Entra issues no token, 7000229).
        rotated = cli("secrets", "rotate", "--portal", "emnify", "--yes", "-o", "json", env=env)
        assert rotated.exit_code == 0, rotated.stdout + rotated.stderr
        assert "AADSTS7000229" in rotated.json()["verification"]
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=10)
    assert code == 0
    assert len(tenant.apps()) == 1


def test_reset_forgets_the_sandbox_tenant(
    cli: Cli, tenant: Tenant, home: Path, keyring_backend: MemoryKeyring
) -> None:
    assert cli.register("--yes").exit_code == 0
    assert keyring_backend.entries
    reset = cli("sandbox", "reset", "--yes")
    assert reset.exit_code == 0 and "emnify forgotten" in reset.stderr
    assert not (home / "sandbox").exists()
    assert keyring_backend.entries == {}
    assert cli("secrets", "reveal", "--portal", "emnify").exit_code == 2
    run = cli.register("--yes")
    assert run.exit_code == 0 and len(tenant.apps()) == 1
    assert cli("secrets", "reveal", "--portal", "emnify").exit_code == 0


def test_readme_command_in_a_fresh_process(home: Path) -> None:
    """`ssoctl azure register --portal emnify --sandbox --yes` on a machine with no keyring."""
    env = {**os.environ, "SSOCTL_HOME": str(home), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "ssoctl", "azure", "register", "--portal", "emnify", "--sandbox", "--yes"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Apply complete!" in proc.stdout and "Verify Integration" in proc.stdout
    assert "no OS keyring available" in proc.stderr


def test_reset_needs_yes_without_a_terminal(cli: Cli, home: Path) -> None:
    assert cli.register("--yes").exit_code == 0
    refused = cli("sandbox", "reset")
    assert refused.exit_code == 1 and "--yes" in refused.stderr
    assert (home / "sandbox").exists()


def test_tenant_flag_must_match_the_sandbox(cli: Cli, tenant: Tenant) -> None:
    run = cli.register("--yes", "--tenant", "00000000-0000-0000-0000-000000000001")
    assert run.exit_code == 2 and "not the sandbox tenant" in run.stderr
    assert run.mutating == [] and tenant.apps() == []

"""ssoctl started with SIGINT ignored (SIG_IGN inherited: a background job of a non-interactive
shell, `nohup`-style wrappers) keeps it ignored: its own Ctrl-C guard during apply must not turn
a signal its parent asked it to ignore into a stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def test_ignored_sigint_stays_ignored_during_apply(tmp_path: Path) -> None:
    store = tmp_path / "emnify.env"
    env = {
        **os.environ,
        "SSOCTL_HOME": str(tmp_path / "ssoctl"),
        "HOME": str(tmp_path),
        "SSOCTL_SANDBOX_FAULTS": "latency=150",  # an apply long enough to be hit by a SIGINT
    }
    argv = [sys.executable, "-m", "ssoctl", "azure", "register", "--portal", "emnify", "--sandbox", "--yes"]
    run = subprocess.Popen(
        [*argv, "--store", f"env-file:{store}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # the point of the test
    )
    deadline = time.monotonic() + 60
    while run.poll() is None and time.monotonic() < deadline:
        run.send_signal(signal.SIGINT)  # all through the run, so some land while apply holds Ctrl-C
        time.sleep(0.05)
    _out, err = run.communicate(timeout=10)
    assert run.returncode == 0, err.decode()
    assert "EMNIFY_CLIENT_SECRET=" in store.read_text(encoding="utf-8")

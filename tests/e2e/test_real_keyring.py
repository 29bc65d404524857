"""The main job end to end with the REAL OS keyring (gnome-keyring's Secret Service in CI).

Fresh processes, as a user runs them: register stores into the Secret Service, `secrets reveal`
and `secret-tool` read the same value back, a re-run changes nothing, and `sandbox reset` clears
the keyring entries again. Skips without a Secret Service unless SSOCTL_REQUIRE_SECRET_SERVICE=1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ssoctl.sandbox import read_request_log
from tests.stores.test_keyring_secret_service import real_keyring

__all__ = ["real_keyring"]

pytestmark = pytest.mark.secret_service


def ssoctl(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SSOCTL_HOME": str(home)}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    return subprocess.run(
        [sys.executable, "-m", "ssoctl", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_register_reveal_rerun_reset_with_the_os_keyring(real_keyring: None, tmp_path: Path) -> None:
    home = tmp_path / "ssoctl"
    run = ssoctl(home, "azure", "register", "--portal", "emnify", "--sandbox", "--yes", "-o", "json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["secret"]["store"] == "keyring" and "no OS keyring" not in run.stderr

    secret = ssoctl(home, "secrets", "reveal", "--portal", "emnify", "--sandbox").stdout.rstrip("\n")
    assert len(secret) >= 16 and secret not in run.stdout + run.stderr
    if shutil.which("secret-tool"):
        user = f"{doc['tenantId']}/ssoctl-emnify/client_secret"
        looked_up = subprocess.run(
            ["secret-tool", "lookup", "service", "ssoctl", "username", user],
            capture_output=True,
            text=True,
            check=True,
        )
        assert looked_up.stdout.rstrip("\n") == secret

    before = len(read_request_log(home))
    again = ssoctl(home, "azure", "register", "--portal", "emnify", "--sandbox", "--yes", "-o", "json")
    assert again.returncode == 0 and json.loads(again.stdout)["secret"] is None
    assert len(read_request_log(home)) - before == 1

    assert ssoctl(home, "sandbox", "reset", "--yes").returncode == 0
    import keyring

    assert keyring.get_password("ssoctl", f"{doc['tenantId']}/ssoctl-emnify/client_secret") is None

"""A run that dies at any instant leaves a trace the next run acts on; two runs at once agree.

The ssoctl under test is a real process (`python -m ssoctl`), killed with SIGKILL while its
addPassword request is in flight: the sandbox has already added the secret and holds the answer
back (fault `hang-after`), so the secret exists on the app and no store holds it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ssoctl.sandbox import Faults, read_request_log, start_sandbox

ADD_PASSWORD_AT = 4  # a fresh emnify run: GET 404, PATCH upsert 201, PATCH identifierUris, POST addPassword


def ssoctl(home: Path, env_file: Path, endpoint: str, token: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "SSOCTL_GRAPH_ENDPOINT": endpoint,
        "SSOCTL_ACCESS_TOKEN": token,
        "SSOCTL_HOME": str(home),
    }
    argv = ["azure", "register", "--portal", "emnify", "--yes", "--store", f"env-file:{env_file}"]
    return subprocess.Popen(
        [sys.executable, "-m", "ssoctl", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def passwords(home: Path) -> list[dict[str, Any]]:
    tenant = json.loads((home / "sandbox" / "tenant.json").read_text())
    (app,) = tenant["applications"].values()
    return list(app.get("passwordCredentials", []))


def state(home: Path) -> dict[str, Any]:
    (record,) = json.loads((home / "state.json").read_text())["registrations"].values()
    return dict(record)


def stored_secret(env_file: Path) -> str:
    (line,) = [x for x in env_file.read_text().splitlines() if "CLIENT_SECRET=" in x]
    return line.partition("=")[2].strip().strip("'\"")


def _wait_for_add_password(home: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(r["path"].endswith("/addPassword") for r in read_request_log(home)):
            return
        time.sleep(0.05)
    raise AssertionError("addPassword was never sent")


def test_a_run_killed_during_add_password_is_cleaned_up_by_the_next(tmp_path: Path) -> None:
    home, env_file = tmp_path / "ssoctl", tmp_path / "sso.env"
    with start_sandbox(home, faults=Faults(fail_at=ADD_PASSWORD_AT, fail_mode="hang-after")) as srv:
        proc = ssoctl(home, env_file, srv.url, srv.token)
        try:
            _wait_for_add_password(home)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    (orphan,) = passwords(home)  # the secret Graph made, which nobody holds
    assert state(home)["pendingSecrets"] == [orphan["displayName"]]
    assert not env_file.exists() or "CLIENT_SECRET" not in env_file.read_text()

    with start_sandbox(home) as srv:
        again = ssoctl(home, env_file, srv.url, srv.token)
        out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert "interrupted" in out + err  # the plan says why the old credential goes
    (kept,) = passwords(home)  # one secret: the stored one; the orphan is gone
    assert kept["keyId"] != orphan["keyId"]
    assert stored_secret(env_file).startswith(kept["hint"])
    record = state(home)
    assert record["secret"]["keyId"] == kept["keyId"] and "pendingSecrets" not in record
    assert "Traceback" not in err


def test_a_run_killed_after_storing_adopts_the_stored_secret(tmp_path: Path) -> None:
    """Killed between the store's write and state.json's: the next run recognises the stored secret
    by its hint and keeps it, instead of adding a second one."""
    home, env_file = tmp_path / "ssoctl", tmp_path / "sso.env"
    with start_sandbox(home) as srv:
        first = ssoctl(home, env_file, srv.url, srv.token)
        _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    (secret,) = passwords(home)
    # What a kill -9 right after the store's write leaves: the record still says "pending".
    path = home / "state.json"
    doc = json.loads(path.read_text())
    (record,) = doc["registrations"].values()
    record["secret"], record["pendingSecrets"] = None, [secret["displayName"]]
    path.write_text(json.dumps(doc))

    before = len(read_request_log(home))
    with start_sandbox(home) as srv:
        again = ssoctl(home, env_file, srv.url, srv.token)
        _, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    log = read_request_log(home)[before:]
    assert [r["method"] for r in log] == ["GET"]  # adopted: nothing added or removed
    assert passwords(home) == [secret]
    assert state(home)["secret"]["keyId"] == secret["keyId"]


def test_two_runs_at_once_make_one_app_and_one_secret_and_both_tell_the_truth(tmp_path: Path) -> None:
    home, env_file = tmp_path / "ssoctl", tmp_path / "sso.env"
    with start_sandbox(home, faults=Faults(replication_hits=2)) as srv:
        runs = [ssoctl(home, env_file, srv.url, srv.token) for _ in range(2)]
        results = [(p.wait(timeout=90), *p.communicate()) for p in runs]
    tenant = json.loads((home / "sandbox" / "tenant.json").read_text())
    assert len(tenant["applications"]) == 1
    (kept,) = passwords(home)
    assert stored_secret(env_file).startswith(kept["hint"])
    codes = sorted(code for code, _, _ in results)
    for code, _out, err in results:
        assert "Traceback" not in err
        if code == 1:  # the second waited for the first, then gave up naming it
            assert "another ssoctl run is in progress" in err
        else:
            assert code == 0, err
    # at most one of them created the secret, and the other says so truthfully
    created = [out for code, out, _ in results if code == 0 and "Client secret" in out and "stored" in out]
    assert codes in ([0, 0], [0, 1]) and len(created) >= 1

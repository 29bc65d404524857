"""A write Graph commits but answers only after the client stopped waiting (`timeout-after`):
ssoctl's explicit Graph timeout (SSOCTL_GRAPH_TIMEOUT) ends the wait, and the request is handled as
an answer lost after Graph may have acted. Real CLI, real msgraph-sdk, real HTTP, real timeouts
(short ones: 1 s here, the sandbox holding its answers 3 s)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ssoctl.sandbox import Faults, read_request_log, start_sandbox
from tests.e2e.conftest import Cli, Recorder, Run, Tenant
from tests.e2e.test_pingone import REDIRECT
from tests.reliability.matrix import position_of
from tests.support.memory_keyring import MemoryKeyring

TIMEOUT = {"SSOCTL_GRAPH_TIMEOUT": "1"}
PINGONE = ("azure", "register", "--portal", "pingone", "--redirect-uri", REDIRECT, "--yes")


def run_in(home: Path, argv: tuple[str, ...], faults: str = "") -> Run:
    run = Cli(home=home, sleep=Recorder(), faults=faults)(
        *argv, "--sandbox", env={"SSOCTL_HOME": str(home), **TIMEOUT}, sandbox=False
    )
    assert "Traceback" not in run.stdout + run.stderr and run.exit_code != 3, run.stderr
    return run


def at(tmp_path: Path, argv: tuple[str, ...], method: str, path_end: str) -> str:
    """The fault that times out this request of a clean run of `argv` (the sandbox acts first)."""
    clean = run_in(tmp_path / "clean", argv)
    assert clean.exit_code == 0, clean.stderr
    return f"fail-at={position_of(clean.requests, method, path_end)},fail=timeout-after,hold=3000"


EMNIFY = ("azure", "register", "--portal", "emnify", "--yes")


def test_the_sandbox_acts_then_holds_the_answer_past_the_clients_timeout(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with start_sandbox(home, faults=Faults(fail_at=1, fail_mode="timeout-after", hold_ms=3000)) as server:
        upsert = urllib.request.Request(
            f"{server.url}/v1.0/applications(uniqueName='held')",
            data=json.dumps({"displayName": "held"}).encode(),
            method="PATCH",
            headers={
                "Authorization": f"Bearer {server.token}",
                "Content-Type": "application/json",
                "Prefer": "create-if-missing",
            },
        )
        with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
            urllib.request.urlopen(upsert, timeout=0.3)
    (entry,) = read_request_log(home)
    assert (entry["method"], entry["fault"]) == ("PATCH", "fail-timeout-after")
    (app,) = Tenant(home).apps()  # committed, though the client never heard so
    assert app["uniqueName"] == "held"


def test_a_timed_out_upsert_is_sent_again_and_updates_the_app_it_made(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    faults = at(tmp_path, EMNIFY, "PATCH", "(uniqueName='ssoctl-emnify')")
    home = tmp_path / "ssoctl"
    run = run_in(home, EMNIFY, faults)
    assert run.exit_code == 0, run.stderr
    upserts = [
        (r["status"], r["fault"])
        for r in run.requests
        if r["method"] == "PATCH" and "uniqueName" in r["path"]
    ]
    # made (the client never heard so), sent again after the timeout: found, so updated (204)
    assert [u[1] for u in upserts] == ["fail-timeout-after", None] and upserts[1][0] == 204
    (app,) = Tenant(home).apps()
    assert len(app["passwordCredentials"]) == 1


def test_a_timed_out_add_password_is_looked_for_never_sent_twice(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    faults = at(tmp_path, EMNIFY, "POST", "/addPassword")
    home = tmp_path / "ssoctl"
    first = run_in(home, EMNIFY, faults)
    assert first.exit_code == 1, first.stderr
    assert "gave no answer within 1 s" in first.stderr and "removed 1 unheld secret" in first.stderr
    assert [r["path"].endswith("/addPassword") for r in first.requests].count(True) == 1  # not re-sent
    assert Tenant(home).app()["passwordCredentials"] == []  # the secret it made is gone again
    again = run_in(home, EMNIFY)
    assert again.exit_code == 0, again.stderr
    (password,) = Tenant(home).app()["passwordCredentials"]
    (record,) = json.loads((home / "state.json").read_text())["registrations"].values()
    assert record["secret"]["keyId"] == password["keyId"] and not record.get("pendingSecrets")


def test_a_timed_out_consent_post_is_not_repeated_and_the_next_run_finds_it(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """The delegated grant and the app role assignment are made side by side, so the request at
    the grant's position of a clean run may be either: whichever POST it is, it is sent once, and
    the next run finds what it made (one grant, one assignment)."""
    faults = at(tmp_path, PINGONE, "POST", "/oauth2PermissionGrants")
    home = tmp_path / "ssoctl"
    first = run_in(home, PINGONE, faults)
    (timed_out,) = [r for r in first.requests if r["fault"] == "fail-timeout-after"]
    assert timed_out["method"] == "POST", timed_out
    sent = [r for r in first.requests if (r["method"], r["path"]) == ("POST", timed_out["path"])]
    assert len(sent) == 1, "a POST whose answer was lost is not sent again"
    assert first.exit_code == 1 and "gave no answer within" in first.stderr, first.stderr
    again = run_in(home, PINGONE)
    assert again.exit_code == 0, again.stderr
    status, grants = Tenant(home).call("GET", "/oauth2PermissionGrants")
    assert status == 200 and len(grants["value"]) == 1
    sp = Tenant(home).call(
        "GET", f"/servicePrincipals(appId='{Tenant(home).app('ssoctl-pingone')['appId']}')"
    )[1]
    status, assigned = Tenant(home).call("GET", f"/servicePrincipals/{sp['id']}/appRoleAssignments")
    assert status == 200 and len(assigned["value"]) == 1
    third = run_in(home, PINGONE)
    assert third.exit_code == 0 and third.mutating == []

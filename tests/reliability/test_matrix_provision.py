"""The fault matrix for `ssoctl azure provision --portal federated-directory`.

Each case: a fresh home, fake Federated Directory and directory key; provision runs with one fault
planted at one request position of a clean run (it may fail, with ssoctl's own error, never a
traceback or exit 3); then again without faults: exit 0, exactly one Federated Directory
application and enterprise app (service principal) and one synchronization job, the job Active
with the directory's URL and the token; the token in its store (the keyring) and its salted hash
in state.json with the app and job it names; a third run makes no mutating request.

The "-after" modes are not run at GET positions (`repeats_a_plain_case`): a GET carried out and
then failed leaves the tenant as one not carried out, and ssoctl gets the same answer, so those
cases would repeat the 500/503/reset ones. The token's salted hash in state.json is computed with
1,000 PBKDF2 rounds here instead of 200,000 (`cheap_token_hash`): the same code and comparisons,
without a tenth of a second per run spent hashing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from ssoctl.credentials import Secret
from ssoctl.portals import federated_directory as fd
from ssoctl.resources import synchronization_job
from ssoctl.resources.synchronization_job import same_token
from ssoctl.sandbox.fd_scim import start_fake_federated_directory
from tests.e2e.conftest import Cli, Recorder, Run, Tenant
from tests.reliability.matrix import (
    POSITION_MODES,
    RESULTS,
    WHOLE_RUN_FAULTS,
    FlowResult,
    repeats_a_plain_case,
    shape,
    survive,
)
from tests.support.memory_keyring import MemoryKeyring

FLOW = "federated-directory"
PROVISION = ("azure", "provision", "--portal", fd.NAME, "--token-stdin", "--yes")
_ORDER: list[str] = []  # the clean run's requests in order: position N is the same request in every test


@pytest.fixture(autouse=True)
def cheap_token_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synchronization_job, "HASH_ITERATIONS", 1_000)


class ProvisionCase:
    """One home, one fake Federated Directory, one key: provision with and without a fault."""

    def __init__(self, root: Path, keyring: MemoryKeyring) -> None:
        self.home, self.keyring = root, keyring
        root.mkdir(parents=True)
        keyring.entries.clear()
        self.directory = start_fake_federated_directory(root)
        self.token = self.directory.issue_key()
        self.cli = Cli(home=root, sleep=Recorder(), answer=self.token)

    def run(self, faults: str = "") -> Run:
        self.cli.faults = faults
        run = self.cli(
            *PROVISION,
            "--sandbox",
            "--fd-base-url",
            self.directory.url,
            env={"SSOCTL_HOME": str(self.home)},
        )
        assert "Traceback" not in run.stdout + run.stderr, run.stderr
        assert run.exit_code != 3, run.stderr  # 3 is "a bug in ssoctl"
        return run

    def _listing(self, tenant: Tenant, path: str) -> list[dict[str, Any]]:
        status, body = tenant.call("GET", path)
        assert status == 200, body
        return list(body["value"])

    def check_converged(self) -> None:
        tenant = Tenant(self.home)
        apps = [a for a in tenant.apps() if a["displayName"] == fd.ENTERPRISE_APP]
        sps = [
            s for s in self._listing(tenant, "/servicePrincipals") if s["displayName"] == fd.ENTERPRISE_APP
        ]
        assert len(apps) == 1 and len(sps) == 1, "a duplicate Federated Directory app or enterprise app"
        (app,), (sp,) = apps, sps
        assert sp["appId"] == app["appId"]
        (job,) = self._listing(tenant, f"/servicePrincipals/{sp['id']}/synchronization/jobs")  # no duplicate
        assert job["status"]["code"] == "Active", job["status"]
        status, sync = tenant.call("GET", f"/servicePrincipals/{sp['id']}/synchronization")
        assert status == 200, sync
        secrets: dict[str, Any] = {s["key"]: s["value"] for s in sync["secrets"]}
        assert secrets == {"BaseAddress": self.directory.url, "SecretToken": None, "SyncAll": "false"}
        tenant_file = (self.home / "sandbox" / "tenant.json").read_text()
        assert hashlib.sha256(self.token.encode()).hexdigest() in tenant_file  # the job holds this token
        stored = [v for (_, user), v in self.keyring.entries.items() if user.endswith("/client_secret")]
        assert stored == [self.token], "the store holds the token the job holds"
        (record,) = json.loads((self.home / "state.json").read_text())["registrations"].values()
        assert record["objectId"] == sp["id"] and record["appId"] == sp["appId"]
        assert same_token(Secret(self.token), record["provisioning"]), "state.json's hash is the token's"
        assert record["resources"]["synchronizationJob"] == [job["id"]]

    def close(self) -> None:
        self.directory.stop()


def _survive(case: ProvisionCase, faults: str, result: FlowResult) -> None:
    """The shared case (matrix.survive), then the fake Federated Directory is stopped."""
    try:
        survive(case, faults, result)
    finally:
        case.close()


@pytest.mark.parametrize("mode", [*POSITION_MODES, *WHOLE_RUN_FAULTS])
def test_every_fault_at_every_step_of_provisioning_is_survived(
    mode: str, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    result = RESULTS.setdefault(FLOW, FlowResult())
    clean_case = ProvisionCase(tmp_path / "clean", memory_keyring)
    try:
        clean = clean_case.run()
        assert clean.exit_code == 0, clean.stderr
        clean_case.check_converged()
    finally:
        clean_case.close()
    shapes = [shape(r["method"], r["path"]) for r in clean.requests]
    assert _ORDER in ([], shapes), "position N must be the same request in every clean run"
    _ORDER[:] = shapes
    result.clean = sorted(shapes)
    result.modes.add(mode)
    if mode in WHOLE_RUN_FAULTS:
        _survive(ProvisionCase(tmp_path / "whole", memory_keyring), WHOLE_RUN_FAULTS[mode], result)
        return
    for position, request in enumerate(clean.requests, start=1):
        if repeats_a_plain_case(request["method"], mode):
            result.repeats_skipped += 1
            continue
        _survive(
            ProvisionCase(tmp_path / f"at-{position}", memory_keyring),
            f"fail-at={position},fail={mode}",
            result,
        )

"""The fault matrix: every request position of a clean run x every fault mode, for each flow.

Each case: a fresh home; run the flow with the fault planted (it may fail, but with ssoctl's own
error, never a traceback or exit 3); run it again without faults: exit 0, the tenant exactly as
the guide says, one app / service principal / grant / assignment, one secret on the app and it is
the stored one, no pending trace left; a third run changes nothing. Runs use the real CLI and the
real msgraph-sdk over HTTP against an in-process sandbox; waits are recorded, not slept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli, Recorder, Run, Tenant
from tests.e2e.test_pingone import REDIRECT
from tests.e2e.test_pingone import assert_is_the_guide as assert_pingone_guide
from tests.e2e.test_register import assert_is_the_guide as assert_emnify_guide
from tests.reliability.matrix import (
    COMMIT_MODES,
    POSITION_MODES,
    RESULTS,
    WHOLE_RUN_FAULTS,
    FlowResult,
    case_env,
    fault_cases,
    shape,
    survive,
)
from tests.support.memory_keyring import MemoryKeyring


@dataclass(frozen=True)
class Flow:
    name: str
    argv: tuple[str, ...]
    unique_name: str
    check: Callable[[Tenant], None]


def _emnify(tenant: Tenant) -> None:
    (app,) = tenant.apps()
    assert_emnify_guide(app)


def _pingone(tenant: Tenant) -> None:
    assert len(tenant.apps()) == 1
    assert_pingone_guide(tenant)  # one service principal, one grant, one assignment, one secret


FLOWS = {
    "emnify": Flow("emnify", ("azure", "register", "--portal", "emnify", "--yes"), "ssoctl-emnify", _emnify),
    "pingone": Flow(
        "pingone",
        ("azure", "register", "--portal", "pingone", "--redirect-uri", REDIRECT, "--yes"),
        "ssoctl-pingone",
        _pingone,
    ),
}


class Case:
    """One home, one keyring: run the flow with and without faults and check what is left."""

    def __init__(self, root: Path, keyring: MemoryKeyring, flow: Flow) -> None:
        self.home, self.keyring, self.flow = root, keyring, flow
        root.mkdir(parents=True)
        keyring.entries.clear()
        self.cli = Cli(home=root, sleep=Recorder())

    def run(self, faults: str = "") -> Run:
        self.cli.faults = faults
        env = {"SSOCTL_HOME": str(self.home), **case_env(faults)}
        run = self.cli(*self.flow.argv, "--sandbox", env=env, sandbox=False)
        assert "Traceback" not in run.stdout + run.stderr, run.stderr
        assert run.exit_code != 3, run.stderr  # 3 is "a bug in ssoctl"
        return run

    def check_converged(self) -> None:
        tenant = Tenant(self.home)
        self.flow.check(tenant)
        app = tenant.app(self.flow.unique_name)
        (password,) = app["passwordCredentials"]  # exactly one secret: no orphan, no duplicate
        secrets = [v for (_, user), v in self.keyring.entries.items() if user.endswith("/client_secret")]
        assert len(secrets) == 1 and secrets[0].startswith(password["hint"]), "the stored secret is the app's"
        (record,) = json.loads((self.home / "state.json").read_text())["registrations"].values()
        assert record["secret"]["keyId"] == password["keyId"]
        assert not record.get("pendingSecrets")


def _clean_requests(tmp_path: Path, keyring: MemoryKeyring, flow: Flow) -> list[dict[str, Any]]:
    case = Case(tmp_path / "clean", keyring, flow)
    run = case.run()
    assert run.exit_code == 0, run.stderr
    case.check_converged()
    return run.requests


@pytest.mark.parametrize("flow_name", sorted(FLOWS))
@pytest.mark.parametrize("mode", [*POSITION_MODES, *COMMIT_MODES, *WHOLE_RUN_FAULTS])
def test_every_fault_at_every_step_is_survived(
    flow_name: str, mode: str, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    flow = FLOWS[flow_name]
    result = RESULTS.setdefault(flow_name, FlowResult())
    clean = _clean_requests(tmp_path, memory_keyring, flow)
    result.clean = sorted(shape(r["method"], r["path"]) for r in clean)
    result.modes.add(mode)
    if mode in WHOLE_RUN_FAULTS:
        survive(Case(tmp_path / "whole", memory_keyring, flow), WHOLE_RUN_FAULTS[mode], result)
        return
    for position, faults in fault_cases(clean, mode):
        case = Case(tmp_path / f"at-{position}", memory_keyring, flow)
        survive(case, faults, result)

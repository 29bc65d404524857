"""The fault matrix for `ssoctl secrets rotate`, with `--overlap-days 0` and with the default 7.

Each case: a fresh home with PingOne registered cleanly (keyring store); the rotate runs with one
fault planted at one request position of a clean rotate (it may fail, with ssoctl's own error,
never a traceback or exit 3); then it runs again without faults and must exit 0. What must be left:
the app's secrets are exactly the one the store holds (overlap 0) or the held one plus the
previous ones state.json dates for `secrets prune` (overlap 7, at least the one just replaced);
the stored value is the held secret; no pending trace in state.json. A rotate always rotates, so
there is no "third run changes nothing" here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli, Recorder, Run, Tenant
from tests.e2e.test_pingone import REDIRECT
from tests.reliability.matrix import (
    COMMIT_MODES,
    POSITION_MODES,
    RESULTS,
    WHOLE_RUN_FAULTS,
    FlowResult,
    case_env,
    fault_cases,
    shape,
)
from tests.support.memory_keyring import MemoryKeyring

UNIQUE = "ssoctl-pingone"
REGISTER = ("azure", "register", "--portal", "pingone", "--redirect-uri", REDIRECT, "--yes", "--sandbox")
ROTATE_FLOWS = {
    "rotate-overlap-0": ("secrets", "rotate", "--portal", "pingone", "--overlap-days", "0", "--yes"),
    "rotate-overlap-7": ("secrets", "rotate", "--portal", "pingone", "--yes"),
}


class Registered:
    """A home where PingOne was registered cleanly, and the keyring entries that went with it."""

    def __init__(self, home: Path, keyring: MemoryKeyring) -> None:
        home.mkdir(parents=True)
        keyring.entries.clear()
        registered = Cli(home=home, sleep=Recorder())(
            *REGISTER, env={"SSOCTL_HOME": str(home)}, sandbox=False
        )
        assert registered.exit_code == 0, registered.stderr
        self.home, self.keyring = home, dict(keyring.entries)


_REGISTERED: dict[str, Registered] = {}


class RotateCase:
    """One home, one keyring, PingOne registered: rotate with and without a fault, check what is left."""

    def __init__(
        self, root: Path, keyring: MemoryKeyring, argv: tuple[str, ...], template: Registered
    ) -> None:
        """A copy of the template's home and keyring: PingOne registered, no faults (fast: no re-register)."""
        self.home, self.keyring, self.argv = root, keyring, argv
        shutil.copytree(template.home, root)
        keyring.entries.clear()
        keyring.entries.update(template.keyring)
        self.cli = Cli(home=root, sleep=Recorder())
        self.registered_key = self._record()["secret"]["keyId"]

    def run(self, faults: str = "") -> Run:
        self.cli.faults = faults
        env = {"SSOCTL_HOME": str(self.home), **case_env(faults)}
        run = self.cli(*self.argv, "--sandbox", env=env, sandbox=False)
        assert "Traceback" not in run.stdout + run.stderr, run.stderr
        assert run.exit_code != 3, run.stderr  # 3 is "a bug in ssoctl"
        return run

    def _record(self) -> dict[str, Any]:
        (record,) = json.loads((self.home / "state.json").read_text())["registrations"].values()
        return dict(record)

    def check_converged(self, held_before: str) -> None:
        """After a good rotate that followed a rotate whose secret was `held_before`."""
        app = Tenant(self.home).app(UNIQUE)
        on_app = {c["keyId"]: c for c in app["passwordCredentials"]}
        record = self._record()
        held = record["secret"]["keyId"]
        assert held != held_before, "the good rotate made a new secret"
        assert not record.get("pendingSecrets"), "a pending trace was left"
        secrets = [v for (_, user), v in self.keyring.entries.items() if user.endswith("/client_secret")]
        assert len(secrets) == 1 and held in on_app and secrets[0].startswith(on_app[held]["hint"])
        if "--overlap-days" in self.argv:  # overlap 0: exactly the stored one
            assert list(on_app) == [held], (
                f"left on the app besides the held secret: {sorted(set(on_app) - {held})}"
            )
            return
        # overlap 7: the previous one stays, dated; every other secret on the app is one state.json dates
        assert held_before in on_app and held_before in record["replacedKeyIds"]
        dated = set(record.get("overlapUntil") or {})
        assert set(on_app) - {held} <= dated & set(record["replacedKeyIds"]), (
            "a secret no record accounts for"
        )


def _survive(case: RotateCase, faults: str, result: FlowResult) -> None:
    first = case.run(faults)
    result.cases += 1
    result.first_exit[first.exit_code] += 1
    held_before = case._record()["secret"]["keyId"]
    second = case.run()
    assert second.exit_code == 0, f"{faults}: {second.stderr}"
    try:
        case.check_converged(held_before)
    except AssertionError as exc:
        raise AssertionError(
            f"{faults}: first run exit {first.exit_code}: {first.stderr.strip()}\n{exc}"
        ) from exc
    result.survived += 1


@pytest.mark.parametrize("flow_name", sorted(ROTATE_FLOWS))
@pytest.mark.parametrize("mode", [*POSITION_MODES, *COMMIT_MODES, *WHOLE_RUN_FAULTS])
def test_every_fault_at_every_step_of_a_rotate_is_survived(
    flow_name: str, mode: str, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    argv = ROTATE_FLOWS[flow_name]
    result = RESULTS.setdefault(flow_name, FlowResult())
    if "template" not in _REGISTERED:  # registering takes a while: once for the whole matrix
        _REGISTERED["template"] = Registered(tmp_path / "registered", memory_keyring)
    template = _REGISTERED["template"]
    clean_case = RotateCase(tmp_path / "clean", memory_keyring, argv, template)
    clean = clean_case.run()
    assert clean.exit_code == 0, clean.stderr
    clean_case.check_converged(clean_case.registered_key)
    result.clean = sorted(shape(r["method"], r["path"]) for r in clean.requests)
    result.modes.add(mode)
    if mode in WHOLE_RUN_FAULTS:
        _survive(
            RotateCase(tmp_path / "whole", memory_keyring, argv, template), WHOLE_RUN_FAULTS[mode], result
        )
        return
    for position, faults in fault_cases(clean.requests, mode):
        case = RotateCase(tmp_path / f"at-{position}", memory_keyring, argv, template)
        _survive(case, faults, result)

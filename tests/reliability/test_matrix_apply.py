"""The fault matrix for `ssoctl apply -f FILE --yes --concurrency 1`, a file with emnify and PingOne.

`--concurrency 1` reads, plans and applies the registrations one after another in file order, so
request N of a run is the same request in every run (each test checks its clean run against the
first one's). Each case: a fresh home and keyring; apply runs with one fault planted at one
request position of a clean run (it may fail, with ssoctl's own error, never a traceback or exit
3); then again without faults: exit 0, the tenant exactly as each portal's guide says (emnify's
app; PingOne's app, service principal, grant and app role assignment, one of each), each app with
exactly one client secret and it is the one its store (the keyring) holds and state.json names, no
pending trace; a third run makes no mutating request.

The "-after" modes are not run at GET positions (`repeats_a_plain_case`): a GET carried out and
then failed leaves the tenant as one not carried out, and ssoctl gets the same answer, so those
cases would repeat the 500/503/reset ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Recorder, Run, Tenant
from tests.e2e.test_pingone import REDIRECT, listing
from tests.e2e.test_pingone import assert_is_the_guide as assert_pingone_guide
from tests.e2e.test_register import assert_is_the_guide as assert_emnify_guide
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

FLOW = "apply"
FILE_NAME = "sso.toml"
APPLY = ("apply", "-f", FILE_NAME, "--yes", "--concurrency", "1")
APPLY_FILE = f"""\
[[registration]]
portal = "emnify"

[[registration]]
portal = "pingone"
redirect_uris = ["{REDIRECT}"]
"""
UNIQUE_NAMES = ("ssoctl-emnify", "ssoctl-pingone")
_ORDER: list[str] = []  # the clean run's requests in order: position N is the same request in every test


class ApplyCase:
    """One home, one keyring, one apply file: apply with and without a fault, check what is left."""

    def __init__(self, root: Path, keyring: MemoryKeyring) -> None:
        self.home, self.keyring = root, keyring
        root.mkdir(parents=True)
        keyring.entries.clear()
        self.file = root / FILE_NAME
        self.file.write_text(APPLY_FILE, encoding="utf-8")
        self.cli = Cli(home=root, sleep=Recorder())

    def run(self, faults: str = "") -> Run:
        self.cli.faults = faults
        argv = [str(self.file) if a == FILE_NAME else a for a in APPLY]
        run = self.cli(*argv, "--sandbox", env={"SSOCTL_HOME": str(self.home)})
        assert "Traceback" not in run.stdout + run.stderr, run.stderr
        assert run.exit_code != 3, run.stderr  # 3 is "a bug in ssoctl"
        return run

    def check_converged(self) -> None:
        tenant = Tenant(self.home)
        apps = {a["uniqueName"]: a for a in tenant.apps()}
        assert sorted(apps) == sorted(UNIQUE_NAMES), f"apps in the tenant: {sorted(apps)}"
        assert_emnify_guide(apps["ssoctl-emnify"])
        emnify_sps = listing(
            tenant, f"/servicePrincipals?$filter=appId eq '{apps['ssoctl-emnify']['appId']}'"
        )
        assert emnify_sps == [], "emnify's guide makes no service principal"
        assert_pingone_guide(tenant)  # one service principal, one grant, one assignment, one secret
        records = {
            r["uniqueName"]: r
            for r in json.loads((self.home / "state.json").read_text())["registrations"].values()
        }
        assert sorted(records) == sorted(UNIQUE_NAMES)
        stored = {
            user.split("/")[-2]: value
            for (_, user), value in self.keyring.entries.items()
            if user.endswith("/client_secret")
        }
        assert sorted(stored) == sorted(UNIQUE_NAMES), f"secrets stored: {sorted(stored)}"
        for unique in UNIQUE_NAMES:
            (password,) = apps[unique]["passwordCredentials"]  # exactly one secret: no orphan, no duplicate
            assert stored[unique].startswith(password["hint"]), f"{unique}: the stored secret is the app's"
            assert records[unique]["secret"]["keyId"] == password["keyId"], unique
            assert not records[unique].get("pendingSecrets"), f"{unique}: a pending trace was left"


@pytest.mark.parametrize("mode", [*POSITION_MODES, *WHOLE_RUN_FAULTS])
def test_every_fault_at_every_step_of_an_apply_is_survived(
    mode: str, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    result = RESULTS.setdefault(FLOW, FlowResult())
    clean_case = ApplyCase(tmp_path / "clean", memory_keyring)
    clean = clean_case.run()
    assert clean.exit_code == 0, clean.stderr
    clean_case.check_converged()
    shapes = [shape(r["method"], r["path"]) for r in clean.requests]
    assert _ORDER in ([], shapes), "position N must be the same request in every clean run"
    _ORDER[:] = shapes
    result.clean = sorted(shapes)
    result.modes.add(mode)
    if mode in WHOLE_RUN_FAULTS:
        survive(ApplyCase(tmp_path / "whole", memory_keyring), WHOLE_RUN_FAULTS[mode], result)
        return
    for position, request in enumerate(clean.requests, start=1):
        if repeats_a_plain_case(request["method"], mode):
            result.repeats_skipped += 1
            continue
        survive(
            ApplyCase(tmp_path / f"at-{position}", memory_keyring), f"fail-at={position},fail={mode}", result
        )

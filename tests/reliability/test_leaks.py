"""Leak scan: after every flow, in table and JSON output, no secret or token appears anywhere but
its store: not in stdout/stderr, state.json, the sandbox's files and log, or any file under
SSOCTL_HOME, HOME or the working folder. Files holding secrets are 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ssoctl.deps import Deps
from tests.e2e.conftest import Cli, Recorder, Run
from tests.e2e.test_pingone import REDIRECT
from tests.support.memory_keyring import MemoryKeyring

FLOWS = {
    "emnify": ("azure", "register", "--portal", "emnify", "--sandbox", "--yes"),
    "pingone": ("azure", "register", "--portal", "pingone", "--redirect-uri", REDIRECT, "--sandbox", "--yes"),
}


def _files(*roots: Path, skip: Path) -> list[Path]:
    found = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and path.resolve() != skip.resolve():
                found.append(path)
    return found


@pytest.mark.parametrize("output", ["table", "json"])
@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_no_secret_outside_its_store(
    flow: str, output: str, tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    home = Path(os.environ["SSOCTL_HOME"])
    store = tmp_path / "store" / "sso.env"
    store.parent.mkdir()
    cli = Cli(home=home, sleep=Recorder())
    token_env = {"AZURE_CLIENT_SECRET": "leak-canary-client-secret-value"}
    runs: list[Run] = []
    argv = (*FLOWS[flow], "-o", output, "--store", f"env-file:{store}")
    runs.append(cli(*argv, env=token_env, sandbox=False))
    runs.append(cli(*argv, env=token_env, sandbox=False))  # the second, unchanged run too
    runs.append(cli(*argv, "--plan", sandbox=False))
    assert [r.exit_code for r in runs] == [0, 0, 0], [(r.exit_code, r.stdout[-300:], r.stderr) for r in runs]
    secret_line = next(x for x in store.read_text().splitlines() if "CLIENT_SECRET=" in x)
    secret = secret_line.partition("=")[2].strip().strip("'\"")
    assert len(secret) >= 32
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    canaries = [secret, "leak-canary-client-secret-value"]
    for run in runs:
        for canary in canaries:
            assert canary not in run.stdout + run.stderr
    for path in _files(home, Path(os.environ["HOME"]), work, skip=store):
        text = path.read_bytes().decode("utf-8", errors="replace")
        for canary in canaries:
            assert canary not in text, f"{canary[:4]}… found in {path}"
    assert stat.S_IMODE((home / "state.json").stat().st_mode) == 0o600


def test_nothing_holding_the_environment_prints_it() -> None:
    deps = Deps(env={"AZURE_CLIENT_SECRET": "leak-canary", "SSOCTL_ACCESS_TOKEN": "eyJleak"})
    assert "leak-canary" not in repr(deps) and "eyJleak" not in repr(deps)

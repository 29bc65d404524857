"""Graph requests per `ssoctl azure provision --portal federated-directory`, measured against the sandbox.

Runs the command as a user would (a new process each time, the sandbox in-process on loopback, the
fake Federated Directory in this process, an env-file store for the token) for a fresh tenant, an
unchanged re-run and a token rotation, with the sandbox calm and with every third request throttled
and new objects lagging. Prints the requests Graph acted on, the mutating ones, the injected fault
answers and the wall time.

    python benchmarks/provision.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ssoctl.sandbox.fd_scim import start_fake_federated_directory

PY = sys.executable
FAULTS = {"calm": "", "faults": "throttle=3,replication=2,retry-after=1"}
# (fresh, unchanged re-run, new token): requests Graph acted on, and how many of them change something.
BUDGETS = {"fresh": (10, 5), "unchanged": (5, 0), "new token": (7, 2)}


def run(home: Path, url: str, token: str, faults: str) -> tuple[float, list[dict[str, object]]]:
    env = {
        **os.environ,
        "SSOCTL_HOME": str(home),
        "HOME": str(home),
        "SSOCTL_SANDBOX_FAULTS": faults,
        "NO_COLOR": "1",
    }
    log = home / "sandbox" / "requests.jsonl"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    cmd = [
        PY, "-m", "ssoctl", "azure", "provision", "--portal", "federated-directory", "--sandbox",
        "--token-stdin", "--fd-base-url", url, "--store", f"env-file:{home}/fd.env", "--yes",
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(
        cmd, input=token.encode(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env
    )
    wall = time.perf_counter() - start
    return wall, [json.loads(line) for line in log.read_text().splitlines()[before:]]


def main() -> None:
    print(
        f"{'sandbox':<7} {'run':<10} {'acted on':>8} {'budget':>6} {'mutating':>8} {'budget':>6} {'faults':>6} {'wall ms':>8}"
    )
    for label, faults in FAULTS.items():
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            with start_fake_federated_directory(home) as directory:
                first = directory.issue_key()
                for which, token in (
                    ("fresh", first),
                    ("unchanged", first),
                    ("new token", directory.issue_key()),
                ):
                    wall, requests = run(home, directory.url, token, faults)
                    injected = [r for r in requests if r.get("fault") is not None]
                    acted = len(requests) - len(injected)
                    mutating = sum(1 for r in requests if r["mutating"] and r.get("fault") is None)
                    budget, budget_mutating = BUDGETS[which]
                    flag = "" if acted <= budget and mutating <= budget_mutating else "  OVER BUDGET"
                    print(
                        f"{label:<7} {which:<10} {acted:>8} {budget:>6} {mutating:>8} {budget_mutating:>6} "
                        f"{len(injected):>6} {wall * 1000:>8.0f}{flag}"
                    )


if __name__ == "__main__":
    main()

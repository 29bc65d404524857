"""Graph requests per register, per portal: the issue's budgets, measured against the sandbox.

Runs `ssoctl azure register` as a user would (a new process each time, the sandbox on loopback, an
env-file store) for a fresh registration and an unchanged re-run, with the sandbox calm and with
every third request throttled and new objects lagging. Prints all requests, the mutating ones and
the injected fault answers (429s and replication 400/404s, as the request log marks them)
separately, and the wall time.

    python benchmarks/request_counts.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
PORTALS = {
    "emnify": ["--portal", "emnify"],
    "pingone": [
        "--portal",
        "pingone",
        "--redirect-uri",
        "https://sso.connect.pingidentity.com/sso/rp/callback/x",
    ],
}
BUDGETS = {"emnify": (4, 1), "pingone": (9, 4)}  # fresh, unchanged re-run (requests Graph acted on)
FAULTS = {"calm": "", "faults": "throttle=3,replication=2,retry-after=1"}


def _fault(r: dict[str, object]) -> bool:
    """An answer the injected faults gave (the sandbox's request log says which)."""
    return r.get("fault") is not None


def run(home: Path, args: list[str], faults: str) -> tuple[float, list[dict[str, object]]]:
    env = {
        **os.environ,
        "SSOCTL_HOME": str(home),
        "HOME": str(home),
        "SSOCTL_SANDBOX": "1",
        "SSOCTL_SANDBOX_FAULTS": faults,
        "NO_COLOR": "1",
    }
    log = home / "sandbox" / "requests.jsonl"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    cmd = [PY, "-m", "ssoctl", "azure", "register", *args, "--yes", "--store", f"env-file:{home}/x.env"]
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
    wall = time.perf_counter() - start
    return wall, [json.loads(line) for line in log.read_text().splitlines()[before:]]


def main() -> None:
    print(
        f"{'portal':<9} {'sandbox':<7} {'run':<9} {'acted on':>8} {'budget':>6} {'mutating':>8} {'faults':>6} {'wall ms':>8}"
    )
    for portal, args in PORTALS.items():
        for label, faults in FAULTS.items():
            with tempfile.TemporaryDirectory() as tmp:
                for which, budget in zip(("fresh", "unchanged"), BUDGETS[portal], strict=True):
                    wall, requests = run(Path(tmp), args, faults)
                    injected = [r for r in requests if _fault(r)]
                    acted = len(requests) - len(injected)
                    mutating = sum(1 for r in requests if r["mutating"] and not _fault(r))
                    flag = "" if acted <= budget else "  OVER BUDGET"
                    print(
                        f"{portal:<9} {label:<7} {which:<9} {acted:>8} {budget:>6} {mutating:>8} "
                        f"{len(injected):>6} {wall * 1000:>8.0f}{flag}"
                    )


if __name__ == "__main__":
    main()

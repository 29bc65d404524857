"""Requests and wall time of the lifecycle commands: verify, rotate (overlap 7 and 0), prune.

Each command runs as a user would (a new process, the sandbox on loopback, an env-file store),
after a register, with the sandbox calm and with a brand-new secret refused twice (`secret-lag=2`,
the retry really sleeps 2 + 4 s). Graph requests and login-server (token, metadata) requests are
counted apart, from the sandbox's request log.

    python benchmarks/lifecycle.py
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
FAULTS = {"calm": "", "secret-lag": "secret-lag=2"}


def run(home: Path, args: list[str], faults: str) -> tuple[float, int, list[dict[str, object]]]:
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
    start = time.perf_counter()
    done = subprocess.run(
        [PY, "-m", "ssoctl", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    wall = time.perf_counter() - start
    return wall, done.returncode, [json.loads(line) for line in log.read_text().splitlines()[before:]]


def main() -> None:
    print(
        f"{'portal':<8} {'sandbox':<10} {'command':<22} {'exit':>4} {'graph':>5} {'writes':>6} {'login':>5} {'wall ms':>8}"
    )
    for portal, args in PORTALS.items():
        portal_args = args[:2]
        for label, faults in FAULTS.items():
            with tempfile.TemporaryDirectory() as tmp:
                home = Path(tmp)
                store = ["--store", f"env-file:{home}/x.env"]
                commands = {
                    "register": ["azure", "register", *args, *store, "--yes"],
                    "verify": ["azure", "verify", *portal_args],
                    "rotate --overlap-days 7": ["secrets", "rotate", *portal_args, "--yes"],
                    "rotate --overlap-days 0": [
                        "secrets",
                        "rotate",
                        *portal_args,
                        "--overlap-days",
                        "0",
                        "--yes",
                    ],
                    "prune": ["secrets", "prune", "--yes"],
                }
                for name, command in commands.items():
                    wall, code, requests = run(home, command, faults)
                    graph = [r for r in requests if str(r["path"]).startswith("/v1.0/")]
                    writes = sum(1 for r in graph if r["mutating"])
                    login = len(requests) - len(graph)
                    print(
                        f"{portal:<8} {label:<10} {name:<22} {code:>4} {len(graph):>5} {writes:>6} {login:>5} {wall * 1000:>8.0f}"
                    )


if __name__ == "__main__":
    main()

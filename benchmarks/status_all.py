"""`ssoctl secrets status --all` in a sandbox tenant with 10,000 app registrations.

The issue's bar: at most 11 Graph requests (10,000 applications in pages of 999) and done within
3 s, process start to exit, as a user runs it. One registration is made by ssoctl for real (a
20-day secret, so the run exits 8); the other 9,999 are written straight into the sandbox's tenant
document (each a complete application as Graph would return it, with one client secret, a few
with certificates), which takes a second instead of 10,000 requests.

    python benchmarks/status_all.py [--apps 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ssoctl.sandbox.resources.applications import new_application
from ssoctl.sandbox.resources.common import graph_time
from ssoctl.sandbox.schema import load_schema
from ssoctl.sandbox.state import TenantStore

PY = sys.executable
BUDGET_REQUESTS = 11
BUDGET_SECONDS = 3.0


def env_for(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SSOCTL_HOME": str(home),
        "HOME": str(home),
        "NO_COLOR": "1",
        "SSOCTL_SANDBOX_FAULTS": "",
    }


def seed(home: Path, count: int) -> float:
    """Add `count` applications directly to the sandbox tenant; returns the seconds it took."""
    start = time.perf_counter()
    now = datetime.now(UTC)
    store = TenantStore(home)
    with store.transaction() as state:
        domain = state["verifiedDomains"][0]["name"]
        template = new_application(load_schema(), object_id="", app_id="", now=now, domain=domain)
        apps = state["applications"]
        for n in range(count):
            app = copy.deepcopy(template)
            object_id, app_id = str(uuid.uuid4()), str(uuid.uuid4())
            created = now - timedelta(days=1, seconds=n)
            app.update(id=object_id, appId=app_id, displayName=f"bulk app {n:05d}")
            app["createdDateTime"] = graph_time(created)
            app["passwordCredentials"] = [
                {
                    "customKeyIdentifier": None,
                    "displayName": f"secret {n}",
                    "endDateTime": graph_time(now + timedelta(days=(n * 7) % 900 - 30)),
                    "hint": "abc",
                    "keyId": str(uuid.uuid4()),
                    "secretText": None,
                    "startDateTime": graph_time(created),
                }
            ]
            if n % 50 == 0:
                app["keyCredentials"] = [
                    {
                        "customKeyIdentifier": None,
                        "displayName": f"CN=bulk {n}",
                        "endDateTime": graph_time(now + timedelta(days=365)),
                        "key": None,
                        "keyId": str(uuid.uuid4()),
                        "startDateTime": graph_time(created),
                        "type": "AsymmetricX509Cert",
                        "usage": "Verify",
                    }
                ]
            apps[object_id] = app
    return time.perf_counter() - start


def run_status(home: Path) -> tuple[float, float, int, int, dict[str, object]]:
    """Wall and CPU seconds (user + system, the sandbox's server thread included), requests, exit."""
    log = home / "sandbox" / "requests.jsonl"
    before = len(log.read_text().splitlines())
    cmd = [PY, "-m", "ssoctl", "secrets", "status", "--all", "--sandbox", "-o", "json"]
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, env=env_for(home), check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - used.ru_utime) + (after.ru_stime - used.ru_stime)
    requests = [json.loads(line) for line in log.read_text().splitlines()[before:]]
    return wall, cpu, len(requests), done.returncode, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        subprocess.run(
            [PY, "-m", "ssoctl", "azure", "register", "--portal", "emnify", "--sandbox", "--yes",
             "--secret-days", "20", "--store", f"env-file:{home}/emnify.env"],
            env=env_for(home), check=True, capture_output=True,
        )  # fmt: skip
        seconds = seed(home, args.apps - 1)
        size = (home / "sandbox" / "tenant.json").stat().st_size
        print(f"seeded {args.apps - 1} applications in {seconds:.1f} s (tenant.json {size / 1e6:.0f} MB)")
        walls: list[float] = []
        for n in range(args.runs):
            wall, cpu, requests, code, doc = run_status(home)
            walls.append(wall)
            secrets = doc["secrets"]
            assert isinstance(secrets, list)
            apps = len({s["appId"] for s in secrets})
            over = "  OVER BUDGET" if requests > BUDGET_REQUESTS or wall > BUDGET_SECONDS else ""
            print(
                f"run {n + 1}: {wall:.2f} s wall, {cpu:.2f} s CPU, {requests} Graph requests, exit {code}, "
                f"{len(secrets)} credentials of {apps} applications{over}"
            )
        print(
            f"median {statistics.median(walls):.2f} s (budget {BUDGET_SECONDS} s), "
            f"requests budget {BUDGET_REQUESTS}"
        )


if __name__ == "__main__":
    main()

"""`ssoctl apply` at scale: a 50-registration file against the sandbox with 100 ms per request.

Runs `ssoctl apply -f FILE --sandbox --yes -o json` as a user would (a new process, the sandbox
answering every request 100 ms late, as a distant Graph region does), for each concurrency given,
on a fresh tenant; then checks every app is correct three ways: the run's JSON (50 `ok`), the
tenant itself (50 applications with the expected uniqueNames, each app ID in the env file), and a
second `apply --plan` (exit 0, every registration `unchanged`, no mutating request).

    python benchmarks/apply.py                       # concurrency 4 (the default) and 8
    python benchmarks/apply.py --concurrency 1 4 8 16 --latency-ms 100 --count 50
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

PY = sys.executable
PINGONE_URI = "https://sso.connect.pingidentity.com/sso/rp/callback/bench"


def write_file(folder: Path, count: int) -> Path:
    """`count` registrations: every tenth a PingOne (admin consent, 7 requests fresh), the rest emnify."""
    lines = ['store = "env-file:bench.env"', "secret_days = 180", ""]
    for i in range(1, count + 1):
        lines.append("[[registration]]")
        if i % 10 == 0:
            lines += ['portal = "pingone"', f'name = "PingOne {i}"', f'redirect_uris = ["{PINGONE_URI}{i}"]']
        else:
            lines += ['portal = "emnify"', f'name = "emnify {i}"']
        lines.append("")
    path = folder / "bench.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def ssoctl(home: Path, args: list[str], latency_ms: int) -> tuple[int, float, str]:
    env = {
        **os.environ,
        "SSOCTL_HOME": str(home),
        "HOME": str(home),
        "SSOCTL_SANDBOX_FAULTS": f"latency={latency_ms}",
        "SSOCTL_NO_REMINDERS": "1",
        "NO_COLOR": "1",
        "CI": "1",
    }
    start = time.perf_counter()
    proc = subprocess.run([PY, "-m", "ssoctl", *args], capture_output=True, text=True, env=env, check=False)
    return proc.returncode, time.perf_counter() - start, proc.stdout


def log(home: Path) -> list[dict[str, Any]]:
    path = home / "sandbox" / "requests.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def tenant_apps(home: Path) -> dict[str, str]:
    """uniqueName -> appId, read straight from the sandbox (not through ssoctl)."""
    from ssoctl.sandbox import start_sandbox

    with start_sandbox(home) as srv:
        request = urllib.request.Request(
            f"{srv.url}/v1.0/applications?$select=uniqueName,appId",
            headers={"Authorization": f"Bearer {srv.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.loads(response.read())
    return {a["uniqueName"]: a["appId"] for a in body["value"]}


def one(count: int, concurrency: int, latency_ms: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        home = folder / "home"
        path = write_file(folder, count)
        base = ["apply", "-f", str(path), "--sandbox", "--concurrency", str(concurrency)]
        code, wall, out = ssoctl(home, [*base, "--yes", "-o", "json"], latency_ms)
        requests = log(home)
        doc = json.loads(out) if out.strip().startswith("{") else {"registrations": []}
        ok = sum(r["status"] == "ok" for r in doc["registrations"])
        apps = tenant_apps(home)
        expected = {r["uniqueName"]: r["appId"] for r in doc["registrations"]}
        env_text = (folder / "bench.env").read_text() if (folder / "bench.env").exists() else ""
        in_env = sum(f"'{app_id}'" in env_text for app_id in apps.values())
        correct = apps == expected and len(apps) == count and in_env == count
        before = len(log(home))
        code2, wall2, out2 = ssoctl(home, [*base, "--plan", "-o", "json"], latency_ms)
        again = log(home)[before:]
        unchanged = sum(r["status"] == "unchanged" for r in json.loads(out2)["registrations"])
        mutating = sum(1 for r in again if r["mutating"])
        most = max((r.get("concurrent", 0) for r in requests), default=0)
        print(
            f"{count:>5} {concurrency:>5} {latency_ms:>6} | {code:>4} {wall:>7.2f} {len(requests):>5} "
            f"{most:>5} {ok:>4} {'yes' if correct else 'NO':>7} | {code2:>4} {wall2:>7.2f} {len(again):>5} "
            f"{mutating:>5} {unchanged:>5}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--latency-ms", type=int, default=100)
    args = parser.parse_args()
    print("                     |            apply --yes                  |        apply --plan (second)")
    print("count  conc latency | exit    wall  reqs  peak   ok correct | exit    wall  reqs   mut unchg")
    for concurrency in args.concurrency:
        one(args.count, concurrency, args.latency_ms)


if __name__ == "__main__":
    main()

"""Sign-in cost: `ssoctl whoami` in a new process after `ssoctl login`, with the cached access token
and after it expired (silent refresh), against the sandbox's https login server.

Prints the median wall time of each over --runs runs and the login-server requests each made
(the bar: none while the cached token is valid).

    python benchmarks/signin.py --runs 5
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from ssoctl.cli import app
from ssoctl.deps import Deps
from ssoctl.sandbox import read_request_log, start_sandbox


class Person(io.StringIO):
    """Enters the device code shown on stderr at the sandbox's sign-in page."""

    def __init__(self, login_url: str, tenant: str, ca: str) -> None:
        super().__init__()
        self.login_url, self.tenant, self.ca, self.done = login_url, tenant, ca, False

    def write(self, text: str) -> int:
        written = super().write(text)
        match = re.search(r"enter the code:\s+([A-Z0-9]{9})\s", self.getvalue())
        if match and not self.done:
            self.done = True
            form = urllib.parse.urlencode({"user_code": match.group(1)}).encode()
            url = f"{self.login_url}/{self.tenant}/_sandbox/devicecode/approve"
            request = urllib.request.Request(
                url, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
            urllib.request.urlopen(
                request, context=ssl.create_default_context(cafile=self.ca), timeout=10
            ).read()
        return written


def login_requests(home: Path, tenant: str) -> int:
    return sum(1 for r in read_request_log(home) if r["path"].startswith(f"/{tenant}/"))


def whoami(env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one `ssoctl whoami` process: CPU is what a busy machine cannot inflate."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "ssoctl", "whoami", "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(proc.stdout + proc.stderr)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    home = Path(tempfile.mkdtemp(prefix="ssoctl-bench-signin-"))
    with start_sandbox(home, login=True) as srv:
        env = {
            **os.environ,
            "SSOCTL_HOME": str(home),
            "AZURE_AUTHORITY_HOST": srv.login_url,
            "SSOCTL_GRAPH_ENDPOINT": srv.url,
            "AZURE_TENANT_ID": srv.tenant_id,
            "REQUESTS_CA_BUNDLE": str(srv.ca_file),
            "SSL_CERT_FILE": str(srv.ca_file),
            "NO_PROXY": "127.0.0.1,localhost",
            "PATH": tempfile.mkdtemp(),  # no az: the login cache is what signs in
        }
        os.environ.update({k: env[k] for k in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSOCTL_HOME")})
        person = Person(srv.login_url, srv.tenant_id, str(srv.ca_file))
        deps = Deps(env=env, stdin_is_terminal=lambda: True, stderr=lambda: person)
        result = CliRunner().invoke(app, ["login", "--device-code", "--plaintext-cache"], obj=deps)
        if result.exit_code != 0:
            raise SystemExit(f"login failed: {person.getvalue()} {result.output}")
        cache = home / "msal-token-cache.json"
        cached: list[tuple[float, float]] = []
        refreshed: list[tuple[float, float]] = []
        cached_reqs: list[int] = []
        refresh_reqs: list[int] = []
        for _ in range(runs):
            before = login_requests(home, srv.tenant_id)
            cached.append(whoami(env))
            cached_reqs.append(login_requests(home, srv.tenant_id) - before)
            data = json.loads(cache.read_text())
            for entry in data["AccessToken"].values():
                entry["expires_on"] = "1000"
            cache.write_text(json.dumps(data))
            before = login_requests(home, srv.tenant_id)
            refreshed.append(whoami(env))
            refresh_reqs.append(login_requests(home, srv.tenant_id) - before)
    for label, times, reqs in (
        ("cached token", cached, cached_reqs),
        ("after expiry", refreshed, refresh_reqs),
    ):
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        print(f"whoami, {label:<12}: median wall {wall:.2f} s, CPU {cpu:.2f} s, login requests {reqs}")


if __name__ == "__main__":
    main()

"""End-to-end harness: the real CLI, the real msgraph-sdk, real HTTP to the sandbox on 127.0.0.1.

`run(...)` invokes the Typer app in-process with a Deps whose sleep only records (so throttling
and replication back-off cost no wall time) and whose stdin is not a terminal (as in CI).
`tenant` reads the sandbox over plain HTTP, independently of ssoctl's Graph client.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ssoctl.cli import app
from ssoctl.deps import Deps
from ssoctl.sandbox import read_request_log, start_sandbox
from tests.support.fixtures import memory_keyring, no_keyring
from tests.support.memory_keyring import MemoryKeyring

__all__ = ["memory_keyring", "no_keyring"]

MUTATING = {"POST", "PATCH", "PUT", "DELETE"}


@dataclass
class Recorder:
    """A fake sleep with state: how long ssoctl would have waited, call by call."""

    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


FAULTS = {"off": "", "on": "throttle=3,replication=2,retry-after=2"}


def _fault_answer(request: dict[str, Any]) -> bool:
    """An answer the sandbox's injected faults gave (429, replication lag): Graph did nothing."""
    return request.get("fault") is not None


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    requests: list[dict[str, Any]]  # every sandbox request this invocation made, retries included

    @property
    def served(self) -> list[dict[str, Any]]:
        """The requests Graph acted on: what the request budget counts."""
        return [r for r in self.requests if not _fault_answer(r)]

    @property
    def mutating(self) -> list[dict[str, Any]]:
        return [r for r in self.served if r["method"] in MUTATING]

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Cli:
    home: Path
    sleep: Recorder
    terminal: bool = False
    answer: str = ""
    faults: str = ""  # SSOCTL_SANDBOX_FAULTS for in-process --sandbox runs
    days_later: int = 0  # ssoctl's clock runs this many days ahead (the sandbox's does not)

    def __call__(self, *args: str, env: dict[str, str] | None = None, sandbox: bool = True) -> Run:
        env = {"SSOCTL_SANDBOX_FAULTS": self.faults, **(env or {})}
        full_env = {**os.environ, **env}
        deps = Deps(
            env=full_env,
            clock=lambda: datetime.now(UTC) + timedelta(days=self.days_later),
            sleep=self.sleep,
            stdin_is_terminal=lambda: self.terminal,
        )
        before = len(read_request_log(self.home)) if (self.home / "sandbox").exists() else 0
        argv = list(args) + (["--sandbox"] if sandbox and args[:2] == ("azure", "register") else [])
        result = CliRunner().invoke(app, argv, obj=deps, env=env, input=self.answer)
        log = read_request_log(self.home) if (self.home / "sandbox").exists() else []
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr, log[before:])

    def register(self, *args: str, env: dict[str, str] | None = None, sandbox: bool = True) -> Run:
        """`ssoctl azure register --portal emnify ARGS` (plus --sandbox unless told otherwise)."""
        return self("azure", "register", "--portal", "emnify", *args, env=env, sandbox=sandbox)


@pytest.fixture
def home() -> Path:
    return Path(os.environ["SSOCTL_HOME"])


@pytest.fixture
def keyring_backend(memory_keyring: MemoryKeyring) -> MemoryKeyring:
    return memory_keyring


@pytest.fixture(params=sorted(FAULTS))
def faults(request: pytest.FixtureRequest) -> str:
    """Every end-to-end test runs twice: a calm tenant, and one that throttles and lags."""
    return FAULTS[request.param]


@pytest.fixture
def cli(home: Path, keyring_backend: MemoryKeyring, faults: str) -> Cli:
    return Cli(home=home, sleep=Recorder(), faults=faults)


@dataclass
class Tenant:
    """Direct HTTP access to the sandbox tenant, as an independent Graph client would see it."""

    home: Path

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One request; a read the sandbox answered from a lagging replica (logged `fault:
        replication`: something new left out) is asked again, as a patient client would, so
        checks see the tenant as it is, not as replication lag shows it for a moment."""
        for _ in range(20):
            status, answer = self._call_once(method, path, body)
            log = read_request_log(self.home)
            if method != "GET" or not log or log[-1].get("fault") != "replication":
                return status, answer
        return status, answer

    def _call_once(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        with start_sandbox(self.home) as srv:
            data = json.dumps(body).encode() if body is not None else None
            req = urllib.request.Request(
                f"{srv.url}/v1.0{path}",
                data=data,
                method=method,
                headers={"Authorization": f"Bearer {srv.token}", "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    raw = resp.read()
                    return resp.status, json.loads(raw) if raw else None
            except urllib.error.HTTPError as err:
                return err.code, json.loads(err.read() or b"null")

    def app(self, unique_name: str = "ssoctl-emnify") -> dict[str, Any]:
        status, body = self.call("GET", f"/applications(uniqueName='{unique_name}')")
        assert status == 200, body
        return body

    def apps(self) -> list[dict[str, Any]]:
        status, body = self.call("GET", "/applications")
        assert status == 200, body
        return body["value"]


@pytest.fixture
def tenant(home: Path) -> Iterator[Tenant]:
    yield Tenant(home)

"""The fault matrix's data: flows, fault modes, and what each case found (for docs/reliability.md).

A case is one flow run with one fault planted at one request position of its clean run (sandbox
fault `fail-at=N,fail=MODE`), then run again without faults. `RESULTS` collects what the tests saw
so `test_report.py` can write the matrix into docs/reliability.md.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tests.e2e.conftest import Run
from typing import Any

# Every mode at every position; "lag" and "throttle" are whole-run faults (one case per flow).
POSITION_MODES = ("429", "500", "503", "reset", "500-after", "503-after", "reset-after")
# A committed write answered by a client timeout: planted at every *writing* position of the clean
# run only (a read that times out is handled as `reset-after` is, covered above), so the matrix
# grows by a few cases per flow. The faulted run waits CLIENT_TIMEOUT seconds for each one.
COMMIT_MODES = ("timeout-after",)
CLIENT_TIMEOUT = "1"  # SSOCTL_GRAPH_TIMEOUT of a run with a COMMIT_MODES fault (seconds)
HOLD_MS = 3000  # the sandbox holds that answer back longer than the client waits
WHOLE_RUN_FAULTS = {"lag": "replication=3", "throttle": "throttle=2,retry-after=1"}
MODE_MEANING = {
    "429": "429 TooManyRequests, not acted on",
    "500": "500, not acted on",
    "503": "503, not acted on",
    "reset": "connection dropped, not acted on",
    "500-after": "acted on (committed), answered 500",
    "503-after": "acted on (committed), answered 503",
    "reset-after": "acted on (committed), connection dropped before the answer",
    "timeout-after": f"acted on (committed), no answer within the client's timeout (SSOCTL_GRAPH_TIMEOUT={CLIENT_TIMEOUT}); "
    "writing requests only",
    "lag": "every new application, client secret and service principal invisible to the next 3 requests "
    "that would show it (404 by id or uniqueName, left out of lists and of passwordCredentials)",
    "throttle": "every 2nd request 429 with Retry-After",
}

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_QUOTED = re.compile(r"'[^']*'")
_JOB_ID = re.compile(r"\b\w+\.[0-9a-f]{32}\.[0-9a-f]{32}\b")  # a synchronization job: template.hex.hex


def repeats_a_plain_case(method: str, mode: str) -> bool:
    """Whether `mode` at a `method` request only repeats the case of the mode without "-after".

    A GET the sandbox carried out before failing changes nothing in the tenant, and ssoctl gets
    the same answer as when it was not carried out, so its "-after" case proves nothing new.
    """
    return method == "GET" and mode.endswith("-after") and mode.removesuffix("-after") in POSITION_MODES


def shape(method: str, path: str) -> str:
    """`GET /v1.0/applications/{id}`: a request without its ids and literals, for the docs."""
    path = _JOB_ID.sub("{jobId}", path.split("?", 1)[0].removeprefix("/v1.0"))
    return f"{method} {_QUOTED.sub(lambda m: m.group(0) if _GUID.search(m.group(0)) is None else '{id}', _GUID.sub('{id}', path))}"


def fault_cases(requests: list[dict[str, Any]], mode: str) -> list[tuple[int, str]]:
    """(position, SSOCTL_SANDBOX_FAULTS) of every case of a position mode, from a clean run's
    request log: each request position, or for COMMIT_MODES each Graph write's position (the
    sandbox counts Graph requests only, so logins are not positions)."""
    if mode not in COMMIT_MODES:
        return [(p, f"fail-at={p},fail={mode}") for p in range(1, len(requests) + 1)]
    graph = [r for r in requests if r["path"].startswith("/v1.0/")]
    return [
        (p, f"fail-at={p},fail={mode},hold={HOLD_MS}")
        for p, r in enumerate(graph, 1)
        if r["method"] in ("POST", "PATCH", "PUT", "DELETE")
    ]


def case_env(faults: str) -> dict[str, str]:
    """What a faulted run's environment adds: a short Graph timeout for a COMMIT_MODES fault."""
    return {"SSOCTL_GRAPH_TIMEOUT": CLIENT_TIMEOUT} if any(m in faults for m in COMMIT_MODES) else {}


def position_of(requests: list[dict[str, Any]], method: str, path_end: str) -> int:
    """The sandbox position (`fail-at`) of the first Graph request with this method and path end."""
    graph = [r for r in requests if r["path"].startswith("/v1.0/")]
    return next(
        p
        for p, r in enumerate(graph, 1)
        if r["method"] == method and r["path"].split("?")[0].endswith(path_end)
    )


@dataclass
class FlowResult:
    clean: list[str] = field(default_factory=list)  # shapes of the clean run's requests
    cases: int = 0
    survived: int = 0  # second run exit 0, tenant as the guide says, nothing duplicated or orphaned
    first_exit: Counter[int] = field(default_factory=Counter)  # exit codes of the faulted runs
    modes: set[str] = field(default_factory=set)
    repeats_skipped: int = 0  # "-after" cases at a GET not run (repeats_a_plain_case)


RESULTS: dict[str, FlowResult] = {}
BAD_INPUT: list[tuple[str, str, str]] = []  # (what, command line, the error's first line)


class MatrixCase(Protocol):
    """One home (tenant, store, state) that a flow runs in, with and without a planted fault."""

    def run(self, faults: str = "") -> Run: ...

    def check_converged(self) -> None: ...


def survive(case: MatrixCase, faults: str, result: FlowResult) -> None:
    """One case: the flow with `faults` (any exit but ssoctl's own error is the case's check), then
    without: exit 0 and converged (a failure names what the faulted run said), then a third run
    with no mutating request. Counted in `result` for docs/reliability.md."""
    first = case.run(faults)
    result.cases += 1
    result.first_exit[first.exit_code] += 1
    second = case.run()
    assert second.exit_code == 0, f"{faults}: {second.stderr}"
    try:
        case.check_converged()
    except AssertionError as exc:
        raise AssertionError(
            f"{faults}: first run exit {first.exit_code}: {first.stderr.strip()}\n{exc}"
        ) from exc
    third = case.run()
    assert third.exit_code == 0 and third.mutating == [], f"{faults}: not idempotent after recovery"
    result.survived += 1

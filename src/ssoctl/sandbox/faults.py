"""Injected faults: the throttling, replication lag and tenant policy real Entra shows.

All are off by default. They count requests instead of using timers, so a test that turns one
on gets the same sequence of responses on every run, in milliseconds.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ssoctl.errors import UsageError

ENV_VAR = "SSOCTL_SANDBOX_FAULTS"
_KEYS = {
    "throttle": "throttle_every",
    "retry-after": "retry_after",
    "replication": "replication_hits",
    "max-password-days": "max_password_days",
    "secret-lag": "secret_lag_hits",
    "latency": "latency_ms",
    "fail-at": "fail_at",
    "fail": "fail_mode",
    "no-secrets": "forbid_secrets",
    "password-lag": "password_lag_hits",
    "hold": "hold_ms",
}
# Position faults (`fail_at`): what happens to the Nth Graph request of one server. "-after" modes
# let the sandbox carry the request out first (Graph committed the write, the answer was lost).
FAIL_MODES = (
    "429",
    "500",
    "503",
    "reset",
    "500-after",
    "503-after",
    "reset-after",
    "hang-after",
    "timeout-after",
)
HANG_SECONDS = 30.0  # "hang-after": how long the answer is held back before the connection drops
TIMEOUT_HOLD_MS = 120_000  # "timeout-after" without `hold`: longer than any sane client timeout


@dataclass(frozen=True)
class Faults:
    """What the sandbox does wrong on purpose.

    throttle_every: every Nth request gets 429 TooManyRequests (not executed); 0 = never.
    retry_after: seconds in the 429's Retry-After header.
    replication_hits: after an application or a service principal is created, the next K
        requests addressing it (by object id; a service principal also by appId or as a grant's
        clientId or an assignment's principalId) get what Entra answers while it replicates:
        404 Request_ResourceNotFound, NoBackingApplicationObject, "Not a valid reference update."
        (replication.py).
    max_password_days: a tenant app-management policy capping secret lifetime (None = no cap).
    secret_lag_hits: a brand-new client secret is refused at the token endpoint (AADSTS7000215,
        as Entra may answer for a short while after addPassword) for its next K token requests.
    latency_ms: every request is answered this many milliseconds late, as a distant Graph region
        is; requests wait side by side, so this measures how well a client overlaps them. The one
        fault that uses a timer: it changes timing only, never an answer.
    fail_at, fail_mode: the fail_at-th Graph request this server handles (1-based; 0 = none) fails
        as fail_mode says (FAIL_MODES): 429/500/503 or a dropped connection ("reset") without
        acting, or "500-after"/"503-after"/"reset-after": acted on, then that answer instead;
        "hang-after": acted on, then no answer for HANG_SECONDS (a client to kill mid-request);
        "timeout-after": acted on, then no answer for `hold_ms` (default TIMEOUT_HOLD_MS), longer
        than the client waits: Graph committed the write and the client timed out.
    hold_ms: how long "timeout-after" holds the answer back before dropping the connection; set
        it just above the client's timeout (SSOCTL_GRAPH_TIMEOUT) to keep tests fast.
    forbid_secrets: a tenant app-management policy that forbids client secrets on applications
        (addPassword -> 400 CredentialTypeNotAllowedAsPerAppPolicy).
    password_lag_hits: a new client secret has not reached the replica that answers removePassword:
        the next K removePassword calls for it get 400 "No password credential found" (not acted on).
    """

    throttle_every: int = 0
    retry_after: int = 1
    replication_hits: int = 0
    max_password_days: int | None = None
    secret_lag_hits: int = 0
    latency_ms: int = 0
    fail_at: int = 0
    fail_mode: str = ""
    forbid_secrets: bool = False
    password_lag_hits: int = 0
    hold_ms: int = 0

    @property
    def hold_seconds(self) -> float:
        """How long a "timeout-after" answer is held back."""
        return (self.hold_ms or TIMEOUT_HOLD_MS) / 1000

    def __post_init__(self) -> None:
        if self.fail_at and self.fail_mode not in FAIL_MODES:
            raise UsageError(
                f"sandbox fault fail={self.fail_mode!r} is not one of {', '.join(FAIL_MODES)}",
                hint="for example fail-at=3,fail=503-after",
            )
        numbers = (
            "throttle_every",
            "retry_after",
            "replication_hits",
            "secret_lag_hits",
            "latency_ms",
            "fail_at",
            "password_lag_hits",
            "hold_ms",
        )
        for name in numbers:
            if getattr(self, name) < 0:
                raise UsageError(f"sandbox fault {name} must be >= 0")
        if self.max_password_days is not None and self.max_password_days < 1:
            raise UsageError("sandbox fault max_password_days must be >= 1")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Faults:
        """Parse SSOCTL_SANDBOX_FAULTS, e.g. `throttle=3,replication=2,retry-after=1,secret-lag=2,latency=100`."""
        text = env.get(ENV_VAR, "").strip()
        if not text:
            return cls()
        values: dict[str, Any] = {}
        for item in text.split(","):
            item = item.strip()
            if not item:
                continue
            key, sep, raw = item.partition("=")
            key = key.strip().lower().replace("_", "-")
            if not sep or key not in _KEYS:
                raise UsageError(
                    f"{ENV_VAR}: cannot read {item!r}",
                    hint=f"use comma-separated key=number pairs with keys {', '.join(_KEYS)}",
                )
            if key == "fail":
                values[_KEYS[key]] = raw.strip()
                continue
            try:
                number = int(raw.strip())
            except ValueError:
                raise UsageError(
                    f"{ENV_VAR}: {key} needs a whole number, not {raw.strip()!r}",
                    hint="for example throttle=3,replication=2",
                ) from None
            values[_KEYS[key]] = bool(number) if key == "no-secrets" else number
        return cls(**values)


class InFlight:
    """How many requests the server is answering at once (thread-safe): each request's log
    entry carries the count at its arrival, so a test can check a client's concurrency bound."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def enter(self) -> int:
        with self._lock:
            self._count += 1
            return self._count

    def leave(self) -> None:
        with self._lock:
            self._count -= 1


class PositionFault:
    """Counts one server's Graph requests and says what to do with the fail_at-th (thread-safe)."""

    def __init__(self, at: int, mode: str) -> None:
        self._at, self._mode = at, mode
        self._count = 0
        self._lock = threading.Lock()

    def next(self) -> str | None:
        """Count a request; the fault mode when it is the chosen one, else None."""
        if self._at <= 0:
            return None
        with self._lock:
            self._count += 1
            return self._mode if self._count == self._at else None


class ThrottleCounter:
    """Counts one server's requests and says which ones to throttle (thread-safe)."""

    def __init__(self, every: int) -> None:
        self._every = every
        self._count = 0
        self._lock = threading.Lock()

    def hit(self) -> bool:
        """Count a request; True when it is the Nth and must be refused."""
        if self._every <= 0:
            return False
        with self._lock:
            self._count += 1
            return self._count % self._every == 0

"""When a failed Graph request may be sent again, and how long to wait first. Pure: no I/O.

The rules (DESIGN.md "Eventual consistency is normal"):
- 429 and 503: wait `Retry-After` (or 1 s, then 2 s), each wait capped at `max_wait`, at most
  `MAX_THROTTLE_RETRIES` times. Except addPassword on 503: Graph may have issued the secret, and
  a second call would issue another, so the caller raises `GraphOutcomeUnknown` instead.
- 404 `Request_ResourceNotFound` on calls addressed by object id, 400
  `NoBackingApplicationObject`, and (for writes that reference a just-created service principal)
  400 "Not a valid reference update.": the object was just created and has not replicated yet. Back off
  exponentially from 0.5 s until `max_wait` seconds have been spent waiting in total.
- 500, 502, 504, a connection dropped without an answer and no answer within SSOCTL_GRAPH_TIMEOUT
  (all three: Graph may have acted), on requests that are safe to repeat
  (GET, PATCH: sending them twice leaves the tenant as sending them once): wait 1 s, then 2 s, at
  most `MAX_TRANSIENT_RETRIES` times. A POST is not repeated (it could create a second grant or
  secret); the next run reads what it did.
- Nothing else. Every loop is bounded.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field

from ssoctl.errors import GraphError

MAX_THROTTLE_RETRIES = 5
MAX_TRANSIENT_RETRIES = 2
TRANSIENT_STATUSES = (0, 500, 502, 504)  # 0: no answer (reset, timeout)
REPLICATION_FIRST_WAIT = 0.5
REPLICATION_MAX_RETRIES = 12  # a backstop: the time budget normally ends the loop first
THROTTLE_DEFAULT_WAITS = (1.0, 2.0)

RESOURCE_NOT_FOUND = "Request_ResourceNotFound"
NO_BACKING_APPLICATION = "NoBackingApplicationObject"
# Entra's answer to an app role assignment whose principal has not replicated yet.
REFERENCE_NOT_REPLICATED = "not a valid reference update"


class GraphOutcomeUnknown(GraphError):
    """addPassword failed in a way that does not say whether Graph acted (5xx, timeout, dropped
    connection). A secret may exist that nobody holds: the caller should look for credentials with
    ssoctl's display name and remove the strays, or tell the user exactly what to check."""


@dataclass(frozen=True)
class Failure:
    """What ssoctl needs to know about one failed request; never the request or response body."""

    status: int  # 0: no HTTP response (network error, timeout)
    code: str = ""
    message: str = ""
    request_id: str = ""
    detail_codes: tuple[str, ...] = ()
    retry_after: str | None = None  # the raw header value
    sent: bool = True  # False when the request provably never left (connection refused)
    timed_out: bool = False  # no answer within SSOCTL_GRAPH_TIMEOUT (Graph may have acted)

    def has_code(self, code: str) -> bool:
        return self.code == code or code in self.detail_codes


@dataclass
class RetryState:
    """Counters for one logical call across its attempts."""

    throttle_retries: int = 0
    transient_retries: int = 0
    replication_retries: int = 0
    replication_waited: float = 0.0
    waits: list[float] = field(default_factory=list)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date; None if absent."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def next_wait(
    failure: Failure,
    state: RetryState,
    *,
    by_object_id: bool,
    issues_secret: bool = False,
    references_new_object: bool = False,
    repeatable: bool = False,
    max_wait: float = 60.0,
) -> float | None:
    """Seconds to wait before sending the same request again, or None to give up now.

    Updates `state` when it returns a wait. `by_object_id`: the URL names an object by its id, so
    a 404 may just be replication lag. `issues_secret`: addPassword, never repeated unless Graph
    said it did nothing (429, 404). `references_new_object`: the body names an object created
    moments ago (a grant's clientId, an assignment's principalId), so Entra's "not a valid
    reference" 400 is lag too. `repeatable`: sending the request twice does what sending it once
    does (GET, PATCH), so a server error or a lost answer may be retried.
    """
    if repeatable and not issues_secret and failure.sent and failure.status in TRANSIENT_STATUSES:
        if state.transient_retries >= MAX_TRANSIENT_RETRIES:
            return None
        index = min(state.transient_retries, len(THROTTLE_DEFAULT_WAITS) - 1)
        pause = min(THROTTLE_DEFAULT_WAITS[index], max_wait)
        state.transient_retries += 1
        state.waits.append(pause)
        return pause
    if failure.status == 429 or (failure.status == 503 and not issues_secret):
        if state.throttle_retries >= MAX_THROTTLE_RETRIES:
            return None
        wait = parse_retry_after(failure.retry_after)
        if wait is None:
            index = min(state.throttle_retries, len(THROTTLE_DEFAULT_WAITS) - 1)
            wait = THROTTLE_DEFAULT_WAITS[index]
        wait = min(wait, max_wait)
        state.throttle_retries += 1
        state.waits.append(wait)
        return wait

    replication = (
        (failure.status == 404 and failure.code == RESOURCE_NOT_FOUND and by_object_id)
        or (failure.status == 400 and failure.has_code(NO_BACKING_APPLICATION))
        or (
            references_new_object
            and failure.status == 400
            and REFERENCE_NOT_REPLICATED in failure.message.lower()
        )
    )
    if replication:
        remaining = max_wait - state.replication_waited
        if remaining <= 0 or state.replication_retries >= REPLICATION_MAX_RETRIES:
            return None
        wait = min(REPLICATION_FIRST_WAIT * float(2**state.replication_retries), remaining)
        state.replication_retries += 1
        state.replication_waited += wait
        state.waits.append(wait)
        return wait
    return None

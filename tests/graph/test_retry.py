"""The retry rules as a pure function: what is retried, how long to wait, and that it always ends."""

from __future__ import annotations

import email.utils

import pytest

from ssoctl.graph.retry import Failure, RetryState, next_wait, parse_retry_after


def test_parse_retry_after() -> None:
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(date, now=1_000_000) == pytest.approx(30)


@pytest.mark.parametrize(
    ("failure", "kw", "retried"),
    [
        (Failure(429), {}, True),
        (Failure(429), {"issues_secret": True}, True),
        (Failure(503), {}, True),
        (Failure(503), {"issues_secret": True}, False),
        (Failure(504), {}, False),
        (Failure(500), {}, False),
        (Failure(0), {}, False),
        (Failure(404, "Request_ResourceNotFound"), {"by_object_id": True}, True),
        (Failure(404, "Request_ResourceNotFound"), {}, False),
        (Failure(404, "SomethingElse"), {"by_object_id": True}, False),
        (Failure(400, "NoBackingApplicationObject"), {}, True),
        (Failure(400, "Request_BadRequest", detail_codes=("NoBackingApplicationObject",)), {}, True),
        (Failure(400, "Request_BadRequest"), {"by_object_id": True}, False),
        (Failure(403, "Authorization_RequestDenied"), {"by_object_id": True}, False),
        (Failure(409), {}, False),
    ],
)
def test_what_is_retried(failure: Failure, kw: dict[str, bool], retried: bool) -> None:
    kw.setdefault("by_object_id", False)
    assert (next_wait(failure, RetryState(), **kw) is not None) is retried


def test_every_loop_ends() -> None:
    for failure, by_id in (
        (Failure(429, retry_after="0"), False),
        (Failure(404, "Request_ResourceNotFound"), True),
    ):
        state = RetryState()
        waits = 0
        while next_wait(failure, state, by_object_id=by_id, max_wait=60) is not None:
            waits += 1
            assert waits < 20
        assert sum(state.waits) <= 60


def test_replication_backoff_shape() -> None:
    state = RetryState()
    failure = Failure(404, "Request_ResourceNotFound")
    waits = []
    while (w := next_wait(failure, state, by_object_id=True, max_wait=20)) is not None:
        waits.append(w)
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 4.5]

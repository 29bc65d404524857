"""Injected faults: throttling, replication lag, and parsing SSOCTL_SANDBOX_FAULTS."""

from __future__ import annotations

from typing import Any

import pytest

from ssoctl.errors import UsageError
from ssoctl.sandbox import Faults, read_request_log


def test_every_nth_request_is_throttled_and_not_executed(faulty: Any, home: Any) -> None:
    graph = faulty(Faults(throttle_every=2, retry_after=3))
    assert graph.call("GET", "/applications").status == 200
    throttled = graph.upsert("k", {"displayName": "x"})  # the 2nd request
    assert throttled.status == 429
    assert throttled.code == "TooManyRequests"
    assert throttled.headers["retry-after"] == "3"
    assert graph.call("GET", "/applications(uniqueName='k')").status == 404  # 3rd: nothing created
    assert graph.call("GET", "/applications").status == 429  # 4th
    assert graph.upsert("k", {"displayName": "x"}).status == 201  # 5th: executed
    statuses = [entry["status"] for entry in read_request_log(home)]
    assert statuses == [200, 429, 404, 429, 201]


def test_replication_lag_after_create(faulty: Any) -> None:
    graph = faulty(Faults(replication_hits=2))
    app = graph.create("lagging")
    by_id = f"/applications/{app['id']}"
    first = graph.call("PATCH", by_id, {"identifierUris": [f"api://{app['appId']}"]})
    assert first.status == 404 and first.code == "Request_ResourceNotFound"
    # The alternate key is not counted: only object-id addressing lags.
    assert graph.call("GET", "/applications(uniqueName='lagging')").status == 200
    assert graph.call("POST", f"{by_id}/addPassword", {}).status == 404
    assert graph.call("PATCH", by_id, {"identifierUris": [f"api://{app['appId']}"]}).status == 204
    assert graph.call("GET", by_id).body["identifierUris"] == [f"api://{app['appId']}"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Faults()),
        ("throttle=3", Faults(throttle_every=3)),
        (
            "throttle=3,replication=2,retry-after=0,max-password-days=365",
            Faults(throttle_every=3, replication_hits=2, retry_after=0, max_password_days=365),
        ),
        (" replication = 1 , ", Faults(replication_hits=1)),
    ],
)
def test_faults_from_env(text: str, expected: Faults) -> None:
    assert Faults.from_env({"SSOCTL_SANDBOX_FAULTS": text}) == expected
    assert Faults.from_env({}) == Faults()


@pytest.mark.parametrize(
    "text", ["throttle", "bogus=1", "throttle=x", "replication=-1", "max-password-days=0"]
)
def test_bad_fault_text_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError):
        Faults.from_env({"SSOCTL_SANDBOX_FAULTS": text})

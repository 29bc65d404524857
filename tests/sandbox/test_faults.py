"""Injected faults: throttling, replication lag, and parsing SSOCTL_SANDBOX_FAULTS."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ssoctl.errors import UsageError
from ssoctl.sandbox import Faults, read_request_log, start_sandbox
from tests.sandbox.conftest import GRAPH_APP, GROUP_READ_ALL_ROLE, Graph, query


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
    # The log says which answers the fault gave: a 404 of Entra's own is not one of them.
    assert [entry["fault"] for entry in read_request_log(home)] == [None, "throttle", None, "throttle", None]


def test_replication_refusals_are_marked_in_the_log(faulty: Any, home: Any) -> None:
    graph = faulty(Faults(replication_hits=1))
    app = graph.create("lagging")
    assert graph.call("GET", f"/applications/{app['id']}").status == 404  # lag
    assert graph.call("GET", "/applications/00000000-0000-0000-0000-000000000001").status == 404  # missing
    sp = graph.create_sp(app)
    assert graph.call("GET", f"/servicePrincipals/{sp['id']}").status == 404  # lag
    log = read_request_log(home)
    assert [(e["status"], e["fault"]) for e in log[-4:]] == [
        (404, "replication"),
        (404, None),
        (201, None),
        (404, "replication"),
    ]


def test_replication_lag_after_create(faulty: Any) -> None:
    graph = faulty(Faults(replication_hits=3))
    app = graph.create("lagging")
    by_id = f"/applications/{app['id']}"
    first = graph.call("PATCH", by_id, {"identifierUris": [f"api://{app['appId']}"]})
    assert first.status == 404 and first.code == "Request_ResourceNotFound"
    # A read by the alternate key lags too; a write by it (the upsert) finds the app: no duplicate.
    by_key = graph.call("GET", "/applications(uniqueName='lagging')")
    assert by_key.status == 404 and by_key.code == "Request_ResourceNotFound"
    assert graph.upsert("lagging", {"displayName": "lagging"}).status == 204
    assert graph.call("POST", f"{by_id}/addPassword", {}).status == 404
    assert graph.call("PATCH", by_id, {"identifierUris": [f"api://{app['appId']}"]}).status == 204
    assert graph.call("GET", by_id).body["identifierUris"] == [f"api://{app['appId']}"]


def _lag(graph: Any, path: str, status: int = 404) -> None:
    reply = graph.call("GET", path)
    assert reply.status == status, reply.body


def test_a_new_service_principal_lags_by_id_and_by_app_id(faulty: Any) -> None:
    graph = faulty(Faults(replication_hits=3))
    app = graph.create("lagging")
    for _ in range(3):  # the application's own lag, on its object id
        assert graph.call("GET", f"/applications/{app['id']}").status == 404
    sp = graph.create_sp(app)
    by_id, by_key = f"/servicePrincipals/{sp['id']}", f"/servicePrincipals(appId='{app['appId']}')"
    first = graph.call("GET", by_id)
    assert first.status == 404 and first.code == "Request_ResourceNotFound"
    assert (
        first.message
        == f"Resource '{sp['id']}' does not exist or one of its queried reference-property objects are not present."
    )
    patched = graph.call("PATCH", by_key, {"notes": "x"})
    assert patched.status == 404 and patched.message.startswith(f"Resource '{app['appId']}'")
    assert graph.upsert_sp(app["appId"], {"notes": "x"}).status == 404  # the upsert too: it exists, unseen
    assert graph.call("GET", by_key).status == 200  # three requests later
    assert graph.upsert_sp(app["appId"], {"notes": "y"}).status == 204
    assert graph.call("GET", by_id).body["notes"] == "y"


def test_service_principal_for_a_lagging_application_is_no_backing_application(faulty: Any) -> None:
    graph = faulty(Faults(replication_hits=2))
    app = graph.create("lagging")
    first = graph.call("POST", "/servicePrincipals", {"appId": app["appId"]})
    assert first.status == 400 and first.code == "Request_BadRequest"
    assert first.body["error"]["details"][0]["code"] == "NoBackingApplicationObject"
    assert first.message == (
        f"The appId '{app['appId']}' of the service principal does not reference a valid application object."
    )
    second = graph.upsert_sp(app["appId"])
    assert second.status == 400 and second.body["error"]["details"][0]["code"] == "NoBackingApplicationObject"
    created = graph.upsert_sp(app["appId"])  # the application has replicated now
    assert created.status == 201
    assert graph.call("GET", f"/servicePrincipals/{created.body['id']}").status == 404  # and now it lags


def test_a_lagging_service_principal_is_left_out_of_lists(faulty: Any) -> None:
    graph = faulty(Faults(replication_hits=1))
    app = graph.create("lagging")
    graph.call("GET", f"/applications/{app['id']}")  # uses up the application's lag
    sp = graph.create_sp(app)
    wanted = query(filter=f"appId in ('{app['appId']}','{GRAPH_APP}')", select="id,appId")
    first = graph.call("GET", "/servicePrincipals" + wanted).body["value"]
    assert [s["appId"] for s in first] == [GRAPH_APP]  # what a lagging read replica answers
    second = graph.call("GET", "/servicePrincipals" + wanted).body["value"]
    assert {s["id"] for s in second} == {sp["id"], graph.graph_sp()["id"]}


def test_grants_and_assignments_naming_a_lagging_service_principal(faulty: Any) -> None:
    graph = faulty(Faults(replication_hits=2))
    app = graph.create("lagging")
    graph.call("GET", f"/applications/{app['id']}")
    graph.call("GET", f"/applications/{app['id']}")
    sp = graph.create_sp(app)
    resource = graph.graph_sp()
    grant = graph.grant(sp["id"], resource["id"])
    assert grant.status == 404 and grant.code == "Request_ResourceNotFound"
    assert (
        grant.message
        == f"Resource '{sp['id']}' does not exist or one of its queried reference-property objects are not present."
    )
    assigned = graph.assign(resource["id"], sp["id"], GROUP_READ_ALL_ROLE)
    assert assigned.status == 400 and assigned.code == "Request_BadRequest"
    assert assigned.message == "Not a valid reference update."
    assert "details" not in assigned.body["error"]
    assert graph.grant(sp["id"], resource["id"]).status == 201  # replicated after two requests
    assert graph.assign(resource["id"], sp["id"], GROUP_READ_ALL_ROLE).status == 201


def test_a_lag_refusal_is_kept_across_servers(faulty: Any) -> None:
    """The used-up hit is saved although the request failed: a second server sees it."""
    graph = faulty(Faults(replication_hits=1))
    app = graph.create("lagging")
    assert graph.call("POST", "/servicePrincipals", {"appId": app["appId"]}).status == 400
    other = faulty(Faults())
    assert other.call("POST", "/servicePrincipals", {"appId": app["appId"]}).status == 201


def test_throttling_and_the_request_log_cover_consent_routes(faulty: Any, home: Any) -> None:
    graph = faulty(Faults(throttle_every=3))
    app = graph.create("t")  # 1
    sp = graph.create_sp(app)  # 2
    throttled = graph.call("GET", f"/servicePrincipals(appId='{GRAPH_APP}')")  # 3
    assert throttled.status == 429 and throttled.code == "TooManyRequests"
    resource = graph.graph_sp()  # 4
    assert graph.grant(sp["id"], resource["id"]).status == 201  # 5
    assert graph.assign(resource["id"], sp["id"], GROUP_READ_ALL_ROLE).status == 429  # 6: not executed
    assert graph.call("GET", f"/servicePrincipals/{sp['id']}/appRoleAssignments").body["value"] == []  # 7
    log = read_request_log(home)
    assert [(e["method"], e["status"], e["mutating"]) for e in log] == [
        ("PATCH", 201, True),
        ("PATCH", 201, True),
        ("GET", 429, False),
        ("GET", 200, False),
        ("POST", 201, True),
        ("POST", 429, True),
        ("GET", 200, False),
    ]
    assert log[4]["path"] == "/v1.0/oauth2PermissionGrants"
    acted_on = [e for e in log if e["mutating"] and e["status"] < 400]
    assert len(acted_on) == 3


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


def test_latency_is_read_from_the_environment_and_delays_every_answer(home: Path) -> None:
    assert Faults.from_env({"SSOCTL_SANDBOX_FAULTS": "latency=100"}).latency_ms == 100
    with pytest.raises(UsageError):
        Faults(latency_ms=-1)
    with start_sandbox(home, faults=Faults(latency_ms=150)) as srv:
        started = time.monotonic()
        reply = Graph(srv).call("GET", "/applications")
        assert reply.status == 200
        assert time.monotonic() - started >= 0.15


@pytest.mark.parametrize(
    ("mode", "status", "acted"),
    [
        ("429", 429, False),
        ("500", 500, False),
        ("503", 503, False),
        ("500-after", 500, True),
        ("503-after", 503, True),
    ],
)
def test_the_chosen_request_fails_before_or_after_acting(
    faulty: Any, home: Any, mode: str, status: int, acted: bool
) -> None:
    graph = faulty(Faults(fail_at=2, fail_mode=mode))
    assert graph.call("GET", "/applications").status == 200
    assert graph.upsert("k", {"displayName": "x"}).status == status  # the 2nd request
    created = graph.call("GET", "/applications(uniqueName='k')").status == 200
    assert created is acted
    assert [e["fault"] for e in read_request_log(home)] == [None, f"fail-{mode}", None]


@pytest.mark.parametrize(("mode", "acted"), [("reset", False), ("reset-after", True)])
def test_a_reset_drops_the_connection_before_or_after_acting(
    faulty: Any, home: Any, mode: str, acted: bool
) -> None:
    import http.client

    graph = faulty(Faults(fail_at=1, fail_mode=mode))
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        graph.upsert("k", {"displayName": "x"})
    assert (graph.call("GET", "/applications(uniqueName='k')").status == 200) is acted


def test_a_policy_can_forbid_client_secrets(faulty: Any) -> None:
    graph = faulty(Faults(forbid_secrets=True))
    app = graph.create("k")
    reply = graph.call("POST", f"/applications/{app['id']}/addPassword", {"passwordCredential": {}})
    assert (reply.status, reply.code) == (400, "CredentialTypeNotAllowedAsPerAppPolicy")
    assert graph.call("GET", f"/applications/{app['id']}").body["passwordCredentials"] == []


def test_position_faults_parse_from_the_environment() -> None:
    env = {"SSOCTL_SANDBOX_FAULTS": "fail-at=3,fail=503-after,no-secrets=1"}
    assert Faults.from_env(env) == Faults(fail_at=3, fail_mode="503-after", forbid_secrets=True)
    with pytest.raises(UsageError, match="fail='teapot'"):
        Faults.from_env({"SSOCTL_SANDBOX_FAULTS": "fail-at=1,fail=teapot"})

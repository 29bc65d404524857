"""The provisioning calls on the wire: URLs and bodies as GRAPH.md gives them, lag retried on the
new enterprise app, and creating calls never repeated where Graph may have acted."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ssoctl.credentials import Secret
from ssoctl.errors import GraphError
from tests.graph.scripted import Reply, ScriptedGraph, graph_error

SP = "sp-1"
JOB = "federatedDirectory.abc.def"
TOKEN = "fd_wire-token"


def test_enterprise_app_is_found_by_display_name(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("GET", "/servicePrincipals", Reply(200, {"value": [{"id": SP, "appId": "a"}]}))
    assert make_graph(scripted.url).find_service_principals("Federated Directory") == [
        {"id": SP, "appId": "a"}
    ]
    query = parse_qs(urlsplit(scripted.requests[0].raw_path).query)
    assert query["$filter"] == ["displayName eq 'Federated Directory'"]


def test_instantiate_is_not_repeated_after_a_server_error(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("POST", "/applicationTemplates/t-1/instantiate", graph_error(500, "UnknownError"))
    with pytest.raises(GraphError):
        make_graph(scripted.url).instantiate_template("t-1", "Federated Directory")
    assert len(scripted.requests) == 1  # a second call could add a second enterprise app


def test_instantiate_is_repeated_after_throttling(
    scripted: ScriptedGraph, make_graph: Any, sleeps: list[float]
) -> None:
    path = "/applicationTemplates/t-1/instantiate"
    scripted.script("POST", path, graph_error(429, "TooManyRequests", headers={"Retry-After": "3"}))
    scripted.script("POST", path, Reply(201, {"application": {}, "servicePrincipal": {"id": SP}}))
    made = make_graph(scripted.url).instantiate_template("t-1", "Federated Directory")
    assert made["servicePrincipal"]["id"] == SP and sleeps == [3.0]
    assert [r.json() for r in scripted.requests] == [{"displayName": "Federated Directory"}] * 2


def test_job_creation_waits_for_the_new_enterprise_app(
    scripted: ScriptedGraph, make_graph: Any, sleeps: list[float]
) -> None:
    path = f"/servicePrincipals/{SP}/synchronization/jobs"
    scripted.script("POST", path, graph_error(404, "Request_ResourceNotFound"))
    scripted.script("POST", path, Reply(201, {"id": JOB, "templateId": "federatedDirectory"}))
    job = make_graph(scripted.url).create_sync_job(SP, "federatedDirectory")
    assert job["id"] == JOB and sleeps == [0.5]
    assert scripted.requests[1].json() == {"templateId": "federatedDirectory"}


def test_test_connection_and_save_send_the_documented_bodies(
    scripted: ScriptedGraph, make_graph: Any
) -> None:
    base = f"/servicePrincipals/{SP}/synchronization"
    scripted.script("POST", f"{base}/jobs/{JOB}/validateCredentials", Reply(204))
    scripted.script("PUT", f"{base}/secrets", Reply(204))
    scripted.script("POST", f"{base}/jobs/{JOB}/start", Reply(204))
    graph = make_graph(scripted.url)
    url = "https://api.federated.directory/v2"
    graph.validate_credentials(SP, JOB, url, Secret(TOKEN))
    graph.put_sync_secrets(SP, url, Secret(TOKEN), "false")
    graph.start_sync_job(SP, JOB)
    validate, save, start = scripted.requests
    assert validate.json() == {
        "useSavedCredentials": False,
        "credentials": [{"key": "BaseAddress", "value": url}, {"key": "SecretToken", "value": TOKEN}],
    }
    assert save.method == "PUT" and save.json() == {
        "value": [
            {"key": "BaseAddress", "value": url},
            {"key": "SecretToken", "value": TOKEN},
            {"key": "SyncAll", "value": "false"},
        ]
    }
    assert start.method == "POST" and start.path.endswith(f"/jobs/{JOB}/start")


def test_a_refused_test_connection_is_not_retried_and_names_no_token(
    scripted: ScriptedGraph, make_graph: Any
) -> None:
    scripted.script(
        "POST",
        f"/servicePrincipals/{SP}/synchronization/jobs/{JOB}/validateCredentials",
        graph_error(400, "Request_BadRequest", "Failed to validate credentials."),
    )
    with pytest.raises(GraphError) as caught:
        make_graph(scripted.url).validate_credentials(SP, JOB, "https://x.example/v2", Secret(TOKEN))
    assert len(scripted.requests) == 1
    assert TOKEN not in str(caught.value) + (caught.value.hint or "") + json.dumps(caught.value.message)


def test_unknown_user_is_none(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("GET", "/users/nobody@example.com", graph_error(404, "Request_ResourceNotFound"))
    assert make_graph(scripted.url).get_user("nobody@example.com") is None


def test_saved_credentials_that_cannot_be_read_are_empty(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("GET", f"/servicePrincipals/{SP}/synchronization", graph_error(405, "Request_BadRequest"))
    assert make_graph(scripted.url).get_sync_secrets(SP) == []
    assert len(scripted.requests) == 1

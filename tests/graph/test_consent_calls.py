"""The admin-consent calls on the wire: URLs, headers and bodies exactly as GRAPH.md gives them,
and the retry rules for objects that have not replicated yet."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ssoctl.errors import GraphError
from tests.graph.scripted import Reply, ScriptedGraph, graph_error

APP_ID = "11111111-2222-3333-4444-555555555555"
GRAPH = "00000003-0000-0000-c000-000000000000"


def test_service_principals_of_the_app_and_graph_in_one_request(
    scripted: ScriptedGraph, make_graph: Any
) -> None:
    scripted.script("GET", "/servicePrincipals", Reply(200, {"value": [{"id": "g", "appId": GRAPH}]}))
    assert make_graph(scripted.url).list_service_principals([APP_ID, GRAPH]) == [{"id": "g", "appId": GRAPH}]
    (req,) = scripted.requests
    query = parse_qs(urlsplit(req.raw_path).query)
    assert query["$filter"] == [f"appId in ('{APP_ID}','{GRAPH}')"]
    assert query["$select"] == ["id,appId,displayName"]


def test_list_follows_next_link(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script(
        "GET",
        "/servicePrincipals/sp-1/appRoleAssignments",
        Reply(
            200, {"value": [{"id": "a1"}], "@odata.nextLink": f"{scripted.url}/v1.0/next-page?$skiptoken=x"}
        ),
    )
    scripted.script("GET", "/next-page", Reply(200, {"value": [{"id": "a2"}]}))
    assert [a["id"] for a in make_graph(scripted.url).list_app_role_assignments("sp-1")] == ["a1", "a2"]


def test_service_principal_upsert_waits_for_the_new_application(
    scripted: ScriptedGraph, make_graph: Any, sleeps: list[float]
) -> None:
    path = f"/servicePrincipals(appId='{APP_ID}')"
    scripted.script(
        "PATCH", path, graph_error(400, "Request_BadRequest", details=["NoBackingApplicationObject"])
    )
    scripted.script("PATCH", path, Reply(201, {"id": "sp-1", "appId": APP_ID}))
    created = make_graph(scripted.url).upsert_service_principal(APP_ID, {"displayName": "pingone"})
    assert created == {"id": "sp-1", "appId": APP_ID}
    first, second = scripted.requests
    assert first.body == second.body  # the same request again, not a different one
    assert second.headers["prefer"] == "create-if-missing" and second.body == b'{"displayName":"pingone"}'
    assert sleeps == [0.5]


def test_grant_body_and_lag_on_a_new_client(
    scripted: ScriptedGraph, make_graph: Any, sleeps: list[float]
) -> None:
    body = {
        "clientId": "sp-1",
        "consentType": "AllPrincipals",
        "resourceId": "graph-sp",
        "scope": "User.Read",
    }
    scripted.script(
        "POST",
        "/oauth2PermissionGrants",
        graph_error(
            404,
            "Request_ResourceNotFound",
            "Resource 'sp-1' does not exist or one of its queried reference-property objects are not present.",
        ),
    )
    scripted.script("POST", "/oauth2PermissionGrants", Reply(201, {"id": "grant-1", **body}))
    assert make_graph(scripted.url).create_permission_grant(body)["id"] == "grant-1"
    assert (
        scripted.requests[-1].body
        == b'{"clientId":"sp-1","consentType":"AllPrincipals","resourceId":"graph-sp","scope":"User.Read"}'
    )
    assert len(sleeps) == 1


def test_duplicate_grant_is_not_retried(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script(
        "POST", "/oauth2PermissionGrants", graph_error(409, "Request_MultipleObjectsWithSameKeyValue")
    )
    with pytest.raises(GraphError) as err:
        make_graph(scripted.url).create_permission_grant({"clientId": "sp-1"})
    assert err.value.graph_code == "Request_MultipleObjectsWithSameKeyValue" and len(scripted.requests) == 1


def test_assignment_waits_out_an_unreplicated_principal(
    scripted: ScriptedGraph, make_graph: Any, sleeps: list[float]
) -> None:
    path = "/servicePrincipals/graph-sp/appRoleAssignedTo"
    scripted.script("POST", path, graph_error(400, "Request_BadRequest", "Not a valid reference update."))
    scripted.script("POST", path, Reply(201, {"id": "assign-1"}))
    body = {
        "principalId": "sp-1",
        "resourceId": "graph-sp",
        "appRoleId": "5b567255-7703-4780-807c-7be8301ae99b",
    }
    assert make_graph(scripted.url).assign_app_role("graph-sp", body) == {"id": "assign-1"}
    assert len(sleeps) == 1


def test_consent_403_names_the_roles(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script(
        "POST",
        "/servicePrincipals/graph-sp/appRoleAssignedTo",
        graph_error(403, "Authorization_RequestDenied"),
    )
    with pytest.raises(GraphError) as err:
        make_graph(scripted.url).assign_app_role("graph-sp", {})
    assert err.value.exit_code == 4 and "Privileged Role Administrator" in (err.value.hint or "")

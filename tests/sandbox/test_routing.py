"""Paths the sandbox does not serve get Graph's own answers, not a bare 404 page."""

from __future__ import annotations

from tests.sandbox.conftest import Graph


def test_unknown_segment_is_400(graph: Graph) -> None:
    reply = graph.call("GET", "/applicationz")
    assert reply.status == 400
    assert reply.code == "BadRequest"
    assert reply.message == "Resource not found for the segment 'applicationz'."
    app = graph.create()
    deeper = graph.call("POST", f"/applications/{app['id']}/addSecret", {})
    assert deeper.message == "Resource not found for the segment 'addSecret'."


def test_unsupported_method_is_405(graph: Graph) -> None:
    app = graph.create()
    reply = graph.call("PUT", f"/applications/{app['id']}", {"displayName": "x"})
    assert reply.status == 405
    assert reply.code == "Request_BadRequest"
    assert reply.message == "Specified HTTP method is not allowed for the request target."


def test_unknown_version_is_404(graph: Graph) -> None:
    reply = graph.call("GET", "/v2.0/applications")
    assert reply.status == 404
    assert reply.message == "Invalid version: v2.0"


def test_odata_key_literals(graph: Graph) -> None:
    graph.create("o''brien")  # the key o'brien, its quote doubled as OData requires
    assert graph.call("GET", "/applications(uniqueName='o''brien')").status == 200
    assert graph.call("GET", "/applications(uniqueName='o%27%27brien')").status == 200
    assert graph.call("GET", "/applications%28uniqueName%3D%27o%27%27brien%27%29").status == 200
    lone = graph.call("GET", "/applications(uniqueName='o%27brien')")  # an undoubled quote
    assert lone.status == 400 and lone.message == "Bad Request - Error in query syntax."
    assert graph.call("GET", "/applications(displayName='x')").status == 400


def test_object_ids_must_be_guids(graph: Graph) -> None:
    reply = graph.call("GET", "/applications/not-a-guid")
    assert reply.status == 400
    assert reply.message == "Invalid object identifier 'not-a-guid'."


def test_myorganization_is_an_alias_for_every_path(graph: Graph) -> None:
    app = graph.create("aliased")
    via = graph.call("GET", f"/myorganization/applications/{app['id']}")
    assert via.status == 200 and via.body["id"] == app["id"]
    assert via.body["@odata.context"].endswith("/v1.0/$metadata#applications/$entity")
    upsert = graph.call(
        "PATCH",
        f"/myorganization/servicePrincipals(appId='{app['appId']}')",
        {},
        headers={"Prefer": "create-if-missing"},
    )
    assert upsert.status == 201
    listed = graph.call("GET", "/MyOrganization/servicePrincipals?$select=id")
    assert upsert.body["id"] in {s["id"] for s in listed.body["value"]}
    grants = graph.call("GET", "/myorganization/oauth2PermissionGrants")
    assert grants.status == 200 and grants.body["value"] == []
    missing = graph.call("GET", "/myorganization/applicationz")
    assert missing.status == 400 and missing.message == "Resource not found for the segment 'applicationz'."


def test_consent_paths_graph_does_not_serve(graph: Graph) -> None:
    sp = graph.graph_sp()
    reply = graph.call("PUT", f"/servicePrincipals/{sp['id']}", {})
    assert reply.status == 405
    grant = graph.call("PATCH", "/oauth2PermissionGrants", {})
    assert grant.status == 405
    deeper = graph.call("GET", f"/servicePrincipals/{sp['id']}/appRoleAssignedTo/x/y")
    assert deeper.status == 400 and deeper.message == "Resource not found for the segment 'y'."

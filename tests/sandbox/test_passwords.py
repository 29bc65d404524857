"""addPassword / removePassword: the secret text exists in one response and nowhere else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ssoctl.sandbox import Faults, sandbox_dir
from tests.sandbox.conftest import Graph


def _parse(text: str) -> datetime:
    head, frac = text.rstrip("Z").split(".")
    return datetime.fromisoformat(head).replace(tzinfo=UTC) + timedelta(microseconds=int(frac[:6]))


def _add(graph: Graph, app: dict[str, Any], credential: dict[str, Any] | None = None) -> Any:
    body = None if credential is None else {"passwordCredential": credential}
    return graph.call("POST", f"/applications/{app['id']}/addPassword", body)


def test_add_password_returns_the_text_once_and_never_stores_it(graph: Graph, home: Path) -> None:
    app = graph.create()
    reply = _add(graph, app, {"displayName": "ssoctl-managed"})
    assert reply.status == 200
    cred = reply.body
    text = cred["secretText"]
    assert 16 <= len(text) <= 64 and len(text) == 40
    assert cred["hint"] == text[:3]
    assert cred["displayName"] == "ssoctl-managed"
    assert cred["@odata.context"].endswith("$metadata#microsoft.graph.passwordCredential")
    lifetime = _parse(cred["endDateTime"]) - _parse(cred["startDateTime"])
    assert timedelta(days=730) <= lifetime <= timedelta(days=731)  # two years by default

    stored = graph.call("GET", f"/applications/{app['id']}?$select=passwordCredentials").body
    [meta] = stored["passwordCredentials"]
    assert meta["keyId"] == cred["keyId"] and meta["hint"] == cred["hint"]
    assert meta["secretText"] is None
    listed = graph.call("GET", "/applications?$select=id,passwordCredentials").body["value"]
    assert listed[0]["passwordCredentials"][0]["secretText"] is None

    for path in sandbox_dir(home).iterdir():
        assert text not in path.read_text(encoding="utf-8", errors="replace"), path


def test_add_password_with_an_explicit_lifetime(graph: Graph) -> None:
    app = graph.create()
    end = "2030-01-01T00:00:00Z"
    reply = _add(graph, app, {"displayName": "short", "endDateTime": end})
    assert reply.body["endDateTime"] == "2030-01-01T00:00:00.0000000Z"
    assert _add(graph, app).status == 200  # the parameter itself is optional


def test_add_password_refuses_generated_and_unknown_fields(graph: Graph) -> None:
    app = graph.create()
    assert _add(graph, app, {"secretText": "mine"}).message == (
        "Property 'secretText' is read-only and cannot be set."
    )
    unknown = graph.call("POST", f"/applications/{app['id']}/addPassword", {"password": {}})
    assert unknown.status == 400
    assert "is not a valid parameter for the operation 'addPassword'" in unknown.message
    naive = _add(graph, app, {"endDateTime": "2030-01-01T00:00:00"})  # a naive datetime from the SDK
    assert naive.status == 400 and "time zone information is missing" in naive.message
    past = _add(graph, app, {"startDateTime": "2030-01-02T00:00:00Z", "endDateTime": "2030-01-01T00:00:00Z"})
    assert past.status == 400


def test_remove_password(graph: Graph) -> None:
    app = graph.create()
    key_id = _add(graph, app).body["keyId"]
    path = f"/applications/{app['id']}/removePassword"
    assert graph.call("POST", path, {"keyId": key_id}).status == 204
    assert graph.call("GET", f"/applications/{app['id']}").body["passwordCredentials"] == []
    again = graph.call("POST", path, {"keyId": key_id})
    assert again.status == 400
    assert again.message == f"No password credential found with keyId {key_id}."
    missing = graph.call("POST", path, {})
    assert missing.status == 400 and "The missing parameters are: keyId." in missing.message


def test_tenant_policy_caps_secret_lifetime(faulty: Any) -> None:
    graph = faulty(Faults(max_password_days=365))
    app = graph.create()
    refused = _add(graph, app, {"displayName": "default two years"})
    assert refused.status == 400
    assert refused.code == "CredentialInvalidLifetimeAsPerAppPolicy"
    assert refused.message.startswith(
        "Credential lifetime exceeds the max value allowed as per assigned policy"
    )
    assert refused.body["error"]["details"][0] == {
        "code": "InvalidKeyEndDate",
        "message": refused.message,
        "target": "EndDate",
    }
    end = (datetime.now(UTC) + timedelta(days=364)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _add(graph, app, {"endDateTime": end}).status == 200

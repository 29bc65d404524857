"""The gallery (applicationTemplates, instantiate), users, and SCIM provisioning jobs, on the wire.

The fake Federated Directory (sandbox/fd_scim.py) is the SCIM app: "Test Connection", cycles and
provisioning on demand really call it over loopback with the job's token.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ssoctl.sandbox import Faults
from ssoctl.sandbox.fd_scim import FakeFederatedDirectory, start_fake_federated_directory
from ssoctl.sandbox.resources.synchronization import USER_RULE_ID
from tests.sandbox.conftest import Graph, query

FD = "Federated Directory"


@pytest.fixture
def fd(home: Path) -> Iterator[FakeFederatedDirectory]:
    with start_fake_federated_directory(home) as server:
        yield server


def _instantiate(graph: Graph) -> dict[str, Any]:
    templates = graph.call("GET", "/applicationTemplates" + query(filter=f"displayName eq '{FD}'"))
    assert templates.status == 200, templates.body
    (template,) = templates.body["value"]
    reply = graph.call("POST", f"/applicationTemplates/{template['id']}/instantiate", {"displayName": FD})
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _job(graph: Graph, sp_id: str) -> dict[str, Any]:
    reply = graph.call(
        "POST", f"/servicePrincipals/{sp_id}/synchronization/jobs", {"templateId": "federatedDirectory"}
    )
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _creds(url: str, token: str) -> list[dict[str, str]]:
    return [{"key": "BaseAddress", "value": url}, {"key": "SecretToken", "value": token}]


def test_instantiate_adds_application_and_service_principal(graph: Graph) -> None:
    made = _instantiate(graph)
    app, sp = made["application"], made["servicePrincipal"]
    assert made["@odata.context"].endswith("$metadata#microsoft.graph.applicationServicePrincipal")
    assert app["appId"] == sp["appId"] and app["applicationTemplateId"] == sp["applicationTemplateId"]
    assert sp["displayName"] == FD and "WindowsAzureActiveDirectoryIntegratedApp" in sp["tags"]
    found = graph.call("GET", "/servicePrincipals" + query(filter=f"displayName eq '{FD}'"))
    assert [s["id"] for s in found.body["value"]] == [sp["id"]]


def test_unknown_template_and_bad_instantiate_body(graph: Graph) -> None:
    missing = graph.call("POST", "/applicationTemplates/00000000-0000-0000-0000-00000000abcd/instantiate", {})
    assert missing.status == 404 and missing.code == "Request_ResourceNotFound"
    (template,) = graph.call("GET", "/applicationTemplates" + query(filter=f"displayName eq '{FD}'")).body[
        "value"
    ]
    bad = graph.call("POST", f"/applicationTemplates/{template['id']}/instantiate", {"name": "x"})
    assert bad.status == 400 and "not a valid parameter" in bad.message


def test_new_service_principal_lags_for_synchronization_too(home: Path, faulty: Any) -> None:
    graph = faulty(Faults(replication_hits=2))
    sp = _instantiate(graph)["servicePrincipal"]
    for _ in range(2):
        lagging = graph.call("GET", f"/servicePrincipals/{sp['id']}/synchronization/templates")
        assert lagging.status == 404 and lagging.code == "Request_ResourceNotFound"
    assert graph.call("GET", f"/servicePrincipals/{sp['id']}/synchronization/templates").status == 200


def test_only_federated_directory_has_a_template(graph: Graph) -> None:
    other = graph.create_sp(graph.create())
    assert (
        graph.call("GET", f"/servicePrincipals/{other['id']}/synchronization/templates").body["value"] == []
    )
    refused = graph.call(
        "POST", f"/servicePrincipals/{other['id']}/synchronization/jobs", {"templateId": "federatedDirectory"}
    )
    assert refused.status == 400


def test_validate_credentials_calls_the_scim_api(graph: Graph, fd: FakeFederatedDirectory) -> None:
    sp = _instantiate(graph)["servicePrincipal"]
    job = _job(graph, sp["id"])
    assert job["status"]["code"] == "NotConfigured" and job["templateId"] == "federatedDirectory"
    path = f"/servicePrincipals/{sp['id']}/synchronization/jobs/{job['id']}/validateCredentials"
    wrong = graph.call("POST", path, {"useSavedCredentials": False, "credentials": _creds(fd.url, "nope")})
    assert wrong.status == 400 and "CredentialValidationUnauthorized" in wrong.message
    token = fd.issue_key()
    ok = graph.call("POST", path, {"useSavedCredentials": False, "credentials": _creds(fd.url, token)})
    assert ok.status == 204
    assert [r["status"] for r in fd.requests] == [401, 200] and all(r["bearer"] for r in fd.requests)


def test_validate_credentials_refuses_non_loopback(graph: Graph) -> None:
    sp = _instantiate(graph)["servicePrincipal"]
    job = _job(graph, sp["id"])
    path = f"/servicePrincipals/{sp['id']}/synchronization/jobs/{job['id']}/validateCredentials"
    far = graph.call("POST", path, {"credentials": _creds("https://api.federated.directory/v2", "t")})
    assert far.status == 400 and "only SCIM endpoints on loopback" in far.message


def test_secrets_are_saved_without_the_token(graph: Graph, fd: FakeFederatedDirectory, home: Path) -> None:
    sp = _instantiate(graph)["servicePrincipal"]
    token = fd.issue_key()
    pairs = [*_creds(fd.url, token), {"key": "SyncAll", "value": "false"}]
    reply = graph.call("PUT", f"/servicePrincipals/{sp['id']}/synchronization/secrets", {"value": pairs})
    assert reply.status == 204
    shown = graph.call("GET", f"/servicePrincipals/{sp['id']}/synchronization").body["secrets"]
    assert shown == [
        {"key": "BaseAddress", "value": fd.url},
        {"key": "SecretToken", "value": None},
        {"key": "SyncAll", "value": "false"},
    ]
    tenant = (home / "sandbox" / "tenant.json").read_text()
    assert token not in tenant and hashlib.sha256(token.encode()).hexdigest() in tenant
    bad_key = graph.call(
        "PUT",
        f"/servicePrincipals/{sp['id']}/synchronization/secrets",
        {"value": [{"key": "Nope", "value": "x"}]},
    )
    assert bad_key.status == 400 and "not a valid enumeration" in bad_key.message


def test_start_runs_a_cycle_and_a_refused_token_quarantines(graph: Graph, fd: FakeFederatedDirectory) -> None:
    sp = _instantiate(graph)["servicePrincipal"]
    job = _job(graph, sp["id"])
    base = f"/servicePrincipals/{sp['id']}/synchronization"
    not_ready = graph.call("POST", f"{base}/jobs/{job['id']}/start")
    assert not_ready.status == 400
    token = fd.issue_key()
    graph.call(
        "PUT", f"{base}/secrets", {"value": [*_creds(fd.url, token), {"key": "SyncAll", "value": "true"}]}
    )
    assert graph.call("POST", f"{base}/jobs/{job['id']}/start").status == 204
    status = graph.call("GET", f"{base}/jobs/{job['id']}").body["status"]
    assert status["code"] == "Active" and status["lastExecution"]["state"] == "Succeeded"
    assert status["lastExecution"]["countExported"] == 3 and len(fd.users()) == 3  # SyncAll: every user
    assert graph.call("POST", f"{base}/jobs/{job['id']}/pause").status == 204
    assert graph.call("GET", f"{base}/jobs/{job['id']}").body["status"]["code"] == "Paused"
    fd.revoke(token)
    assert graph.call("POST", f"{base}/jobs/{job['id']}/start").status == 204
    status = graph.call("GET", f"{base}/jobs/{job['id']}").body["status"]
    assert status["code"] == "Quarantine"
    assert status["quarantine"]["reason"] == "EncounteredQuarantineException"
    assert "CredentialValidationUnauthorized" in status["quarantine"]["error"]["code"]
    listed = graph.call("GET", f"{base}/jobs").body["value"]
    assert [j["id"] for j in listed] == [job["id"]]


def test_provision_on_demand_creates_then_updates_the_user(graph: Graph, fd: FakeFederatedDirectory) -> None:
    sp = _instantiate(graph)["servicePrincipal"]
    job = _job(graph, sp["id"])
    base = f"/servicePrincipals/{sp['id']}/synchronization"
    graph.call("PUT", f"{base}/secrets", {"value": _creds(fd.url, fd.issue_key())})
    domain = graph.call("GET", "/organization").body["value"][0]["verifiedDomains"][0]["name"]
    user = graph.call("GET", f"/users/adele.vance@{domain}")
    assert user.status == 200 and user.body["displayName"] == "Adele Vance"
    body = {
        "parameters": [
            {"ruleId": USER_RULE_ID, "subjects": [{"objectId": user.body["id"], "objectTypeName": "User"}]}
        ]
    }
    first = graph.call("POST", f"{base}/jobs/{job['id']}/provisionOnDemand", body)
    assert first.status == 200 and first.body["key"]
    steps = json.loads(first.body["value"])["provisioningSteps"]
    assert steps[-1]["name"] == "EntryExportAdd" and steps[-1]["status"] == "Success"
    again = json.loads(graph.call("POST", f"{base}/jobs/{job['id']}/provisionOnDemand", body).body["value"])
    assert again["provisioningSteps"][-1]["name"] == "EntryExportUpdate"
    assert [u["userName"] for u in fd.users()] == [f"adele.vance@{domain}"]
    schema = graph.call("GET", f"{base}/jobs/{job['id']}/schema").body
    mappings = schema["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
    assert {"userPrincipalName": "userName"}.items() <= {
        m["source"]["name"]: m["targetAttributeName"] for m in mappings
    }.items()
    assert graph.call("GET", "/users/nobody@example.com").status == 404


def test_fake_federated_directory_api(fd: FakeFederatedDirectory) -> None:
    import urllib.error
    import urllib.request

    def call(method: str, path: str, token: str | None, body: Any = None) -> tuple[int, Any]:
        req = urllib.request.Request(
            fd.url + path, data=json.dumps(body).encode() if body else None, method=method
        )
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        req.add_header("Content-Type", "application/scim+json")
        try:
            with urllib.request.urlopen(req, timeout=5) as answer:
                raw = answer.read()
                return answer.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    status, body = call("GET", "/Users?count=1", None)
    assert status == 401 and body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == "401"
    token = fd.issue_key()
    status, body = call("GET", "/Users?count=1", token)
    assert status == 200 and body["totalResults"] == 0 and body["Resources"] == []
    status, made = call("POST", "/Users", token, {"userName": "a@b.example", "displayName": "A"})
    assert status == 201 and made["meta"]["resourceType"] == "User"
    assert call("POST", "/Users", token, {"userName": "A@b.example", "displayName": "A"})[0] == 409
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "B"}],
    }
    status, changed = call("PATCH", f"/Users/{made['id']}", token, patch)
    assert status == 200 and changed["displayName"] == "B"
    assert call("GET", f"/Users/{made['id']}", token)[1]["displayName"] == "B"
    status, found = call("GET", "/Users?filter=userName%20eq%20%22a%40b.example%22", token)
    assert found["totalResults"] == 1

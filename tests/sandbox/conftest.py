"""A started sandbox per test and a tiny urllib client for it (no SDK: these tests pin the wire)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ssoctl.sandbox import Faults, SandboxServer, start_sandbox

GRAPH_APP = "00000003-0000-0000-c000-000000000000"
USER_READ = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"
EMAIL = "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0"
GROUP_READ_ALL_ROLE = "5b567255-7703-4780-807c-7be8301ae99b"
USER_READ_ALL_ROLE = "df021288-bdef-4463-88db-98f22de89214"


def query(**params: str) -> str:
    """`?$filter=…&$select=…` percent-encoded as clients send it: query(filter="appId eq 'x'")."""
    return "?" + urllib.parse.urlencode({f"${k}": v for k, v in params.items()}, quote_via=urllib.parse.quote)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def code(self) -> str:
        return str(self.body["error"]["code"])

    @property
    def message(self) -> str:
        return str(self.body["error"]["message"])


class Graph:
    """Calls one sandbox over plain HTTP with its token (or another one)."""

    def __init__(self, server: SandboxServer, token: str | None = None) -> None:
        self.server = server
        self.token = server.token if token is None else token

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        token: str | None = None,
    ) -> Reply:
        url = self.server.url + (path if path.startswith("/v") or path == "/" else "/v1.0" + path)
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        auth = self.token if token is None else token
        if auth:
            request.add_header("Authorization", f"Bearer {auth}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, head, payload = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, head, payload = error.code, dict(error.headers), error.read()
        return Reply(
            status, {k.lower(): v for k, v in head.items()}, json.loads(payload) if payload else None
        )

    def upsert(self, unique_name: str, body: dict[str, Any]) -> Reply:
        return self.call(
            "PATCH",
            f"/applications(uniqueName='{unique_name}')",
            body,
            headers={"Prefer": "create-if-missing"},
        )

    def create(self, unique_name: str = "ssoctl-test", **props: Any) -> dict[str, Any]:
        reply = self.upsert(unique_name, {"displayName": "Test app", **props})
        assert reply.status == 201, reply.body
        return dict(reply.body)

    def upsert_sp(self, app_id: str, body: dict[str, Any] | None = None) -> Reply:
        return self.call(
            "PATCH",
            f"/servicePrincipals(appId='{app_id}')",
            body or {},
            headers={"Prefer": "create-if-missing"},
        )

    def create_sp(self, app: dict[str, Any]) -> dict[str, Any]:
        """The service principal of an application created with `create` (admin consent, step 1)."""
        reply = self.upsert_sp(app["appId"])
        assert reply.status == 201, reply.body
        return dict(reply.body)

    def graph_sp(self) -> dict[str, Any]:
        """Microsoft Graph's service principal in this tenant."""
        reply = self.call("GET", f"/servicePrincipals(appId='{GRAPH_APP}')")
        assert reply.status == 200, reply.body
        return dict(reply.body)

    def grant(self, client_id: str, resource_id: str, scope: str = "User.Read", **extra: Any) -> Reply:
        body = {
            "clientId": client_id,
            "consentType": "AllPrincipals",
            "resourceId": resource_id,
            "scope": scope,
        }
        return self.call("POST", "/oauth2PermissionGrants", {**body, **extra})

    def assign(self, resource_id: str, principal_id: str, app_role_id: str, **extra: Any) -> Reply:
        body = {"principalId": principal_id, "resourceId": resource_id, "appRoleId": app_role_id}
        return self.call("POST", f"/servicePrincipals/{resource_id}/appRoleAssignedTo", {**body, **extra})


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "ssoctl-home"


@pytest.fixture
def server(home: Path) -> Iterator[SandboxServer]:
    with start_sandbox(home) as srv:
        yield srv


@pytest.fixture
def graph(server: SandboxServer) -> Graph:
    return Graph(server)


@pytest.fixture
def faulty(home: Path) -> Iterator[Any]:
    """Start a sandbox with the given faults: `faulty(Faults(...))` -> Graph."""
    started: list[SandboxServer] = []

    def start(faults: Faults) -> Graph:
        srv = start_sandbox(home, faults=faults)
        started.append(srv)
        return Graph(srv)

    yield start
    for srv in started:
        srv.stop()

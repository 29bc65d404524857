"""The login server: client-credentials tokens for the right app + a current secret, Entra's
AADSTS errors for everything else, the OpenID Connect metadata, and no secret text on disk."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ssoctl.sandbox import Faults, SandboxServer, read_request_log, sandbox_dir
from ssoctl.sandbox.auth import tenant_domain
from tests.sandbox.conftest import USER_READ_ALL_ROLE, Graph, Reply

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def post_token(
    server: SandboxServer,
    form: dict[str, str] | None,
    *,
    tenant: str | None = None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
) -> Reply:
    url = f"{server.url}/{tenant or server.tenant_id}/oauth2/v2.0/token"
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, head, payload = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, head, payload = error.code, dict(error.headers), error.read()
    return Reply(status, {k.lower(): v for k, v in head.items()}, json.loads(payload) if payload else None)


def claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def new_secret(graph: Graph, app: dict[str, Any], **credential: str) -> dict[str, Any]:
    reply = graph.call("POST", f"/applications/{app['id']}/addPassword", {"passwordCredential": credential})
    assert reply.status == 200, reply.body
    return dict(reply.body)


def app_with_secret(graph: Graph) -> tuple[dict[str, Any], dict[str, Any]]:
    app = graph.create()
    graph.create_sp(app)
    return app, new_secret(graph, app, displayName="ssoctl test")


def assert_entra_error(reply: Reply, status: int, error: str, code: int) -> None:
    assert reply.status == status, reply.body
    body = reply.body
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert f"Trace ID: {body['trace_id']}" in body["error_description"]
    assert f"Correlation ID: {body['correlation_id']}" in body["error_description"]
    assert body["timestamp"].endswith("Z") and len(body["timestamp"]) == 20
    assert reply.headers["content-type"].startswith("application/json")
    assert "odata-version" not in reply.headers


def test_a_current_secret_of_the_app_gets_an_app_only_token(graph: Graph, server: SandboxServer) -> None:
    app, cred = app_with_secret(graph)
    reply = post_token(
        server,
        {
            "grant_type": "client_credentials",
            "client_id": app["appId"],
            "client_secret": cred["secretText"],
            "scope": GRAPH_SCOPE,
        },
    )
    assert reply.status == 200, reply.body
    assert reply.body["token_type"] == "Bearer" and reply.body["expires_in"] == 3599
    token = claims(reply.body["access_token"])
    assert token["appid"] == app["appId"] and token["tid"] == server.tenant_id
    assert token["aud"] == "https://graph.microsoft.com" and token["idtyp"] == "app"
    assert "upn" not in token and "scp" not in token and "roles" not in token


def test_the_token_carries_the_graph_app_roles_granted_and_graph_accepts_it(
    graph: Graph, server: SandboxServer
) -> None:
    app, cred = app_with_secret(graph)
    sp = graph.call("GET", f"/servicePrincipals(appId='{app['appId']}')").body
    assert graph.assign(graph.graph_sp()["id"], sp["id"], USER_READ_ALL_ROLE).status == 201
    form = {"grant_type": "client_credentials", "scope": GRAPH_SCOPE}
    basic = base64.b64encode(f"{app['appId']}:{cred['secretText']}".encode()).decode()
    reply = post_token(server, form, headers={"Authorization": f"Basic {basic}"})  # client_secret_basic
    assert reply.status == 200, reply.body
    assert claims(reply.body["access_token"])["roles"] == ["User.Read.All"]
    # Graph answers it: authenticated, and refused only for lack of permission.
    denied = graph.call("GET", "/applications", token=reply.body["access_token"])
    assert denied.status == 403 and denied.code == "Authorization_RequestDenied"


def test_a_verified_domain_names_the_tenant_too(graph: Graph, server: SandboxServer) -> None:
    app, cred = app_with_secret(graph)
    form = {
        "grant_type": "client_credentials",
        "client_id": app["appId"],
        "client_secret": cred["secretText"],
        "scope": GRAPH_SCOPE,
    }
    assert post_token(server, form, tenant=tenant_domain(server.tenant_id)).status == 200


def test_wrong_secret_is_7000215_and_the_secret_id_is_not_the_secret(
    graph: Graph, server: SandboxServer
) -> None:
    app, cred = app_with_secret(graph)
    for wrong in ("not-the-secret", cred["keyId"], cred["secretText"] + "x"):
        reply = post_token(
            server,
            {
                "grant_type": "client_credentials",
                "client_id": app["appId"],
                "client_secret": wrong,
                "scope": GRAPH_SCOPE,
            },
            headers={"client-request-id": "11111111-2222-3333-4444-555555555555"},
        )
        assert_entra_error(reply, 401, "invalid_client", 7000215)
        assert reply.body["correlation_id"] == "11111111-2222-3333-4444-555555555555"
        assert app["appId"] in reply.body["error_description"]


def test_a_removed_secret_no_longer_works(graph: Graph, server: SandboxServer) -> None:
    app, cred = app_with_secret(graph)
    assert (
        graph.call("POST", f"/applications/{app['id']}/removePassword", {"keyId": cred["keyId"]}).status
        == 204
    )
    form = {
        "grant_type": "client_credentials",
        "client_id": app["appId"],
        "client_secret": cred["secretText"],
        "scope": GRAPH_SCOPE,
    }
    assert_entra_error(post_token(server, form), 401, "invalid_client", 7000215)


def test_an_expired_secret_is_7000222(graph: Graph, server: SandboxServer) -> None:
    app = graph.create()
    graph.create_sp(app)
    old = new_secret(graph, app, startDateTime="2020-01-01T00:00:00Z", endDateTime="2021-01-01T00:00:00Z")
    form = {
        "grant_type": "client_credentials",
        "client_id": app["appId"],
        "client_secret": old["secretText"],
        "scope": GRAPH_SCOPE,
    }
    assert_entra_error(post_token(server, form), 401, "invalid_client", 7000222)


def test_an_app_of_no_tenant_app_is_700016_and_an_unknown_tenant_90002(
    graph: Graph, server: SandboxServer
) -> None:
    app, cred = app_with_secret(graph)
    form = {
        "grant_type": "client_credentials",
        "client_id": "0f0f0f0f-0000-0000-0000-000000000000",
        "client_secret": cred["secretText"],
        "scope": GRAPH_SCOPE,
    }
    reply = post_token(server, form)
    assert_entra_error(reply, 400, "unauthorized_client", 700016)
    assert server.tenant_id in reply.body["error_description"]
    form["client_id"] = app["appId"]
    other = "ffffffff-0000-0000-0000-000000000000"
    assert_entra_error(post_token(server, form, tenant=other), 400, "invalid_tenant", 90002)
    assert_entra_error(post_token(server, form, tenant="fabrikam.com"), 400, "invalid_tenant", 90002)


def test_an_app_without_service_principal_is_7000229(graph: Graph, server: SandboxServer) -> None:
    app = graph.create()
    cred = new_secret(graph, app)
    form = {
        "grant_type": "client_credentials",
        "client_id": app["appId"],
        "client_secret": cred["secretText"],
        "scope": GRAPH_SCOPE,
    }
    assert_entra_error(post_token(server, form), 401, "invalid_client", 7000229)
    form["client_secret"] = "wrong"
    assert_entra_error(post_token(server, form), 401, "invalid_client", 7000215)  # client first


@pytest.mark.parametrize(
    ("form", "status", "error", "code"),
    [
        ({}, 400, "invalid_request", 900144),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
        ({"grant_type": "client_credentials", "client_id": "{app}"}, 401, "invalid_client", 7000218),
        (
            {"grant_type": "client_credentials", "client_id": "{app}", "client_secret": "{secret}"},
            400,
            "invalid_request",
            900144,
        ),
        (
            {
                "grant_type": "client_credentials",
                "client_id": "{app}",
                "client_secret": "{secret}",
                "scope": "User.Read",
            },
            400,
            "invalid_scope",
            1002012,
        ),
        (
            {
                "grant_type": "client_credentials",
                "client_id": "{app}",
                "client_secret": "{secret}",
                "scope": "api://nothing-here/.default",
            },
            400,
            "invalid_resource",
            500011,
        ),
    ],
)
def test_malformed_requests_get_entras_answers(
    graph: Graph, server: SandboxServer, form: dict[str, str], status: int, error: str, code: int
) -> None:
    app, cred = app_with_secret(graph)
    filled = {k: v.format(app=app["appId"], secret=cred["secretText"]) for k, v in form.items()}
    assert_entra_error(post_token(server, filled), status, error, code)


def test_get_on_the_token_endpoint_is_refused(server: SandboxServer) -> None:
    assert_entra_error(post_token(server, None, method="GET"), 400, "invalid_request", 900561)


def test_a_brand_new_secret_may_fail_for_a_few_requests(faulty: Any, home: Path) -> None:
    graph = faulty(Faults(secret_lag_hits=2))
    app, cred = app_with_secret(graph)
    form = {
        "grant_type": "client_credentials",
        "client_id": app["appId"],
        "client_secret": cred["secretText"],
        "scope": GRAPH_SCOPE,
    }
    answers = [post_token(graph.server, form).status for _ in range(3)]
    assert answers == [401, 401, 200]
    log = [e for e in read_request_log(home) if e["path"].endswith("/token")]
    assert [e["fault"] for e in log] == ["replication", "replication", None]


def test_a_wrong_secret_does_not_use_up_the_lag(faulty: Any) -> None:
    graph = faulty(Faults(secret_lag_hits=1))
    app, cred = app_with_secret(graph)
    form = {"grant_type": "client_credentials", "client_id": app["appId"], "scope": GRAPH_SCOPE}
    assert post_token(graph.server, {**form, "client_secret": "wrong"}).status == 401
    assert post_token(graph.server, {**form, "client_secret": cred["secretText"]}).status == 401  # lag
    assert post_token(graph.server, {**form, "client_secret": cred["secretText"]}).status == 200


def test_no_secret_text_on_disk_or_in_the_log(graph: Graph, server: SandboxServer, home: Path) -> None:
    app, cred = app_with_secret(graph)
    form = {
        "grant_type": "client_credentials",
        "client_id": app["appId"],
        "client_secret": cred["secretText"],
        "scope": GRAPH_SCOPE,
    }
    assert post_token(server, form).status == 200
    for path in sandbox_dir(home).iterdir():
        assert cred["secretText"] not in path.read_text(encoding="utf-8", errors="replace"), path


def test_openid_configuration_names_this_sandbox(server: SandboxServer) -> None:
    for tenant in (server.tenant_id, tenant_domain(server.tenant_id)):
        url = f"{server.url}/{tenant}/v2.0/.well-known/openid-configuration"
        with urllib.request.urlopen(url, timeout=10) as response:
            doc = json.loads(response.read())
        root = f"{server.url}/{server.tenant_id}"
        assert doc["issuer"] == f"{root}/v2.0"
        assert doc["token_endpoint"] == f"{root}/oauth2/v2.0/token"
        assert doc["jwks_uri"] == f"{root}/discovery/v2.0/keys"
    with urllib.request.urlopen(
        f"{server.url}/{server.tenant_id}/discovery/v2.0/keys", timeout=10
    ) as response:
        assert json.loads(response.read()) == {"keys": []}
    try:
        urllib.request.urlopen(
            f"{server.url}/nobody.example/v2.0/.well-known/openid-configuration", timeout=10
        )
        raise AssertionError("an unknown tenant has no metadata")
    except urllib.error.HTTPError as error:
        assert error.code == 400
        assert json.loads(error.read())["error_codes"] == [90002]

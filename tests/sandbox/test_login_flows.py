"""The https login server with the real MSAL and azure-identity code: device code (the test plays
the user), refresh tokens, certificate and federated client assertions, and Entra's refusals."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ssoctl.sandbox import SandboxServer, start_sandbox
from ssoctl.sandbox.federation import mint_assertion
from tests.sandbox.conftest import USER_READ_ALL_ROLE, Graph
from tests.support.certificates import self_signed_certificate

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GRAPH_CLI = "14d82eec-204b-4c2f-b7e8-296a70dab67e"


@pytest.fixture
def server(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    with start_sandbox(home, login=True) as srv:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(srv.ca_file))
        yield srv


def claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def approve(server: SandboxServer, user_code: str, **fields: str) -> int:
    context = ssl.create_default_context(cafile=str(server.ca_file))
    data = urllib.parse.urlencode({"user_code": user_code, **fields}).encode()
    request = urllib.request.Request(
        f"{server.login_url}/{server.tenant_id}/_sandbox/devicecode/approve",
        data=data,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, context=context, timeout=10) as reply:
        return int(reply.status)


def public_app(server: SandboxServer) -> Any:
    import msal

    return msal.PublicClientApplication(
        GRAPH_CLI, authority=f"{server.login_url}/{server.tenant_id}", instance_discovery=False
    )


def test_device_code_then_refresh_with_msal(server: SandboxServer) -> None:
    app = public_app(server)
    flow = app.initiate_device_flow(scopes=[GRAPH_SCOPE])
    assert flow["user_code"] in flow["message"] and flow["verification_uri"].startswith("https://127.0.0.1")
    # before the person enters the code, polling is told to wait
    pending = app.client.obtain_token_by_device_flow(flow, exit_condition=lambda _: True)
    assert pending["error"] == "authorization_pending"
    assert approve(server, flow["user_code"], upn="dev@contoso.test", wids="") == 200
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    token = claims(result["access_token"])
    assert token["upn"] == "dev@contoso.test" and token["tid"] == server.tenant_id
    assert token["wids"] == ["b79fbf4d-3ef9-4689-8143-76b194e85509"]  # no admin role
    assert "Application.ReadWrite.All" in token["scp"].split()
    (account,) = app.get_accounts()
    assert account["username"] == "dev@contoso.test"
    refreshed = app.acquire_token_silent([GRAPH_SCOPE], account=account, force_refresh=True)
    assert refreshed and refreshed["token_source"] == "identity_provider"
    assert claims(refreshed["access_token"])["upn"] == "dev@contoso.test"


def test_unknown_public_client_and_wrong_code_are_refused(server: SandboxServer) -> None:
    import msal

    stranger = msal.PublicClientApplication(
        "99999999-0000-0000-0000-000000000009",
        authority=f"{server.login_url}/{server.tenant_id}",
        instance_discovery=False,
    )
    flow = stranger.initiate_device_flow(scopes=[GRAPH_SCOPE])
    assert "AADSTS700016" in flow["error_description"]
    with pytest.raises(urllib.error.HTTPError):
        approve(server, "NOSUCHCODE")


def app_with_role(graph: Graph) -> dict[str, Any]:
    """An app whose service principal holds Microsoft Graph's User.Read.All application role."""
    app = graph.create("ci-app")
    sp = graph.create_sp(app)
    assert graph.assign(graph.graph_sp()["id"], sp["id"], USER_READ_ALL_ROLE).status == 201
    return app


def test_certificate_credential_gets_an_app_token(server: SandboxServer, tmp_path: Path) -> None:
    from azure.identity import CertificateCredential

    graph = Graph(server)
    app = app_with_role(graph)
    pem, der = self_signed_certificate()
    key = {"type": "AsymmetricX509Cert", "usage": "Verify", "key": base64.b64encode(der).decode()}
    assert graph.call("PATCH", f"/applications/{app['id']}", {"keyCredentials": [key]}).status == 204
    path = tmp_path / "ci.pem"
    path.write_bytes(pem)
    cred = CertificateCredential(
        server.tenant_id, app["appId"], str(path), authority=server.login_url, disable_instance_discovery=True
    )
    token = claims(cred.get_token(GRAPH_SCOPE).token)
    assert token["appid"] == app["appId"] and token["roles"] == ["User.Read.All"] and "scp" not in token
    # a certificate the app does not have is refused with Entra's code
    other, _ = self_signed_certificate()
    stranger = tmp_path / "other.pem"
    stranger.write_bytes(other)
    from azure.core.exceptions import ClientAuthenticationError

    bad = CertificateCredential(
        server.tenant_id,
        app["appId"],
        str(stranger),
        authority=server.login_url,
        disable_instance_discovery=True,
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        bad.get_token(GRAPH_SCOPE)


def test_federated_credential_accepts_the_test_issuer(server: SandboxServer, home: Path) -> None:
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import ClientAssertionCredential

    graph = Graph(server)
    app = app_with_role(graph)
    subject = "repo:contoso/sso:ref:refs/heads/main"
    fic = {
        "name": "github-main",
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": subject,
        "audiences": ["api://AzureADTokenExchange"],
    }
    assert graph.call("POST", f"/applications/{app['id']}/federatedIdentityCredentials", fic).status == 201

    def credential(sub: str) -> ClientAssertionCredential:
        return ClientAssertionCredential(
            server.tenant_id,
            app["appId"],
            lambda: mint_assertion(home, subject=sub),
            authority=server.login_url,
            disable_instance_discovery=True,
        )

    token = claims(credential(subject).get_token(GRAPH_SCOPE).token)
    assert token["appid"] == app["appId"] and token["roles"] == ["User.Read.All"]
    with pytest.raises(ClientAuthenticationError, match="AADSTS700213"):
        credential("repo:contoso/sso:pull_request").get_token(GRAPH_SCOPE)

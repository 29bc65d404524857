"""Bearer tokens: 401 for missing, garbled, expired or foreign tokens; 403 for missing permissions."""

from __future__ import annotations

import base64
import json

import pytest

from ssoctl.sandbox import issue_token
from tests.sandbox.conftest import Graph


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_server_token_shape(graph: Graph) -> None:
    token = graph.server.token
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "none" and token.endswith(".")
    claims = _claims(token)
    assert claims["tid"] == graph.server.tenant_id
    # What registration, "Grant admin consent" and SCIM provisioning need, as an admin's consented scopes.
    assert claims["scp"] == (
        "Application.ReadWrite.All AppRoleAssignment.ReadWrite.All DelegatedPermissionGrant.ReadWrite.All"
        " Synchronization.ReadWrite.All User.Read.All Policy.Read.All"
    )
    assert str(claims["upn"]).startswith("admin@contoso-")
    assert isinstance(claims["exp"], int)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "Access token is empty."),
        ("not-a-jwt", "IDX14100: JWT is not well formed, there are no dots (.)."),
        ("a.b.c", "IDX14100: JWT is not well formed, there are no dots (.)."),
    ],
)
def test_missing_or_garbled_token_is_401(graph: Graph, token: str, message: str) -> None:
    reply = graph.call("GET", "/applications", token=token)
    assert reply.status == 401
    assert reply.code == "InvalidAuthenticationToken"
    assert reply.message.startswith(message)


def test_expired_and_foreign_tokens_are_401(graph: Graph) -> None:
    expired = issue_token(graph.server.tenant_id, lifetime=-10)
    assert graph.call("GET", "/applications", token=expired).message == (
        "Lifetime validation failed, the token is expired."
    )
    foreign = issue_token("11111111-1111-1111-1111-111111111111")
    reply = graph.call("GET", "/applications", token=foreign)
    assert reply.status == 401 and reply.code == "InvalidAuthenticationToken"


def test_read_permission_cannot_write(graph: Graph) -> None:
    reader = issue_token(graph.server.tenant_id, scopes=["Application.Read.All"])
    assert graph.call("GET", "/applications", token=reader).status == 200
    reply = graph.call(
        "PATCH",
        "/applications(uniqueName='x')",
        {"displayName": "x"},
        headers={"Prefer": "create-if-missing"},
        token=reader,
    )
    assert reply.status == 403
    assert reply.code == "Authorization_RequestDenied"
    assert reply.message == "Insufficient privileges to complete the operation."
    nothing = issue_token(graph.server.tenant_id, scopes=["User.Read"])
    assert graph.call("GET", "/applications", token=nothing).status == 403


def test_application_role_works_like_the_scope(graph: Graph) -> None:
    app_only = issue_token(graph.server.tenant_id, scopes=(), roles=["Application.ReadWrite.All"])
    assert "scp" not in _claims(app_only)
    reply = graph.call(
        "PATCH",
        "/applications(uniqueName='by-role')",
        {"displayName": "r"},
        headers={"Prefer": "create-if-missing"},
        token=app_only,
    )
    assert reply.status == 201

"""Bearer tokens for the sandbox tenant: minted here, checked the way Graph checks them.

The tokens are unsigned JWTs (`alg: none`) and the sandbox does NOT verify signatures: it runs on
loopback for one user, and a signature check would only force every test to carry a key. What it
does check is what changes a client's behaviour against real Graph: a missing or garbled token
(401), an expired one (401), one for another tenant (401), and missing permissions (403).

A user's token (it has `scp`) also carries `wids`, the user's directory role template ids; the
sandbox takes them as the user's role assignments (roles.py decides what they allow). The default
token is a Global Administrator's, so `--sandbox` can do everything; tests mint weaker ones.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ssoctl.directory_roles import GLOBAL_ADMINISTRATOR, USER
from ssoctl.sandbox import graph_errors as ge

GRAPH_AUDIENCE = "https://graph.microsoft.com"
TOKEN_LIFETIME_SECONDS = 3600
# What the sandbox's own token carries: enough for everything ssoctl does, registration and
# "Grant admin consent" alike (the delegated scopes an admin consents to for that, GRAPH.md).
SANDBOX_SCOPES = (
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "Synchronization.ReadWrite.All",
    "User.Read.All",
    "Policy.Read.All",
)
# The default signed-in user's directory roles: a Global Administrator (and, like every member, "User").
SANDBOX_WIDS = (GLOBAL_ADMINISTRATOR, USER)

Permission = str | tuple[str, ...]
"""One way to be allowed: a permission name, or names that must all be present
(`("AppRoleAssignment.ReadWrite.All", "Application.Read.All")`, as Graph's tables write "A and B")."""


def tenant_domain(tenant_id: str) -> str:
    """The sandbox tenant's initial verified domain, derived from its id so tokens can name it."""
    return f"contoso-{tenant_id.replace('-', '')[:8]}.onmicrosoft.com"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def default_user_id(tenant_id: str) -> str:
    """The object id of the sandbox's default signed-in user (its administrator)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-admin/{tenant_id}"))


def issue_token(
    tenant_id: str,
    *,
    scopes: Iterable[str] = SANDBOX_SCOPES,
    roles: Iterable[str] = (),
    upn: str | None = None,
    wids: Iterable[str] | None = None,
    oid: str | None = None,
    app_id: str | None = None,
    lifetime: int = TOKEN_LIFETIME_SECONDS,
    claims: Mapping[str, Any] | None = None,
) -> str:
    """An unsigned access token for the sandbox tenant with Graph's usual claims.

    `scopes` become the delegated `scp` claim (space-separated), `roles` the application `roles`.
    A token with scopes is a user's (`idtyp` user, `upn`, `wids`: by default a Global
    Administrator's); one with only roles is an application's (`idtyp` app, no user claims).
    `claims` override or add claims (a None value drops one, e.g. `wids`).
    """
    now = int(time.time())
    scp = " ".join(scopes)
    payload: dict[str, Any] = {
        "aud": GRAPH_AUDIENCE,
        "iss": f"https://sts.windows.net/{tenant_id}/",
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "tid": tenant_id,
        "oid": oid or default_user_id(tenant_id),
        "ver": "1.0",
    }
    if app_id:
        payload["appid"] = app_id
    if scp:
        payload["scp"] = scp
        payload["idtyp"] = "user"
        payload["upn"] = upn or f"admin@{tenant_domain(tenant_id)}"
        payload["wids"] = list(SANDBOX_WIDS if wids is None else wids)
    else:
        payload["idtyp"] = "app"
    role_list = list(roles)
    if role_list:
        payload["roles"] = role_list
    for name, value in (claims or {}).items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    header = {"alg": "none", "typ": "JWT"}
    parts = (json.dumps(header, separators=(",", ":")), json.dumps(payload, separators=(",", ":")))
    return ".".join(_b64url(p.encode()) for p in parts) + "."


@dataclass(frozen=True)
class Principal:
    """Who is calling, as far as authorisation goes: delegated scopes and application roles."""

    tenant_id: str
    scopes: frozenset[str]
    roles: frozenset[str]
    object_id: str = ""
    wids: frozenset[str] = frozenset()
    is_user: bool = False  # a delegated (user) token: directory roles and ownership matter

    def has_any(self, permissions: Collection[Permission]) -> bool:
        """True when the token satisfies one of `permissions` (a tuple needs all its names)."""
        held = self.scopes | self.roles
        return any(
            (option in held) if isinstance(option, str) else set(option) <= held for option in permissions
        )


def _decode_segment(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def authenticate(headers: Mapping[str, str], tenant_id: str, *, now: float | None = None) -> Principal:
    """Check the Authorization header; raise the GraphFault Graph would send, else who it is."""
    raw = headers.get("authorization", "").strip()
    scheme, _, token = raw.partition(" ")
    token = token.strip()
    if not raw or scheme.lower() != "bearer" or not token:
        raise ge.token_empty()
    parts = token.split(".")
    if len(parts) != 3:
        raise ge.token_malformed()
    try:
        _decode_segment(parts[0])
        claims = _decode_segment(parts[1])
    except (ValueError, binascii.Error, UnicodeError):
        raise ge.token_malformed() from None
    if not isinstance(claims, dict):
        raise ge.token_malformed()
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= (time.time() if now is None else now):
        raise ge.token_expired()
    if claims.get("tid") != tenant_id:
        raise ge.token_wrong_tenant()
    scp = claims.get("scp")
    roles = claims.get("roles")
    wids = claims.get("wids")
    oid = claims.get("oid")
    return Principal(
        tenant_id=tenant_id,
        scopes=frozenset(scp.split()) if isinstance(scp, str) else frozenset(),
        roles=frozenset(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else frozenset(),
        object_id=oid.lower() if isinstance(oid, str) else "",
        wids=frozenset(w.lower() for w in wids if isinstance(w, str))
        if isinstance(wids, list)
        else frozenset(),
        is_user=isinstance(scp, str) or claims.get("idtyp") == "user",
    )


def require(principal: Principal, permissions: Collection[Permission]) -> None:
    """403 Authorization_RequestDenied unless the token satisfies one of `permissions`."""
    if not principal.has_any(permissions):
        raise ge.insufficient_privileges()

"""`/oauth2PermissionGrants`: delegated permission grants (the delegated half of admin consent).

Behaviour follows the Graph v1.0 pages (oauth2permissiongrant-list, -get, -post, -update,
-delete). A grant lets a client service principal call a resource service principal with the
`scope` names (space-separated) for all users (`AllPrincipals`) or one (`Principal`). There is
one grant per client, resource and user: Graph's grant id is that triple itself, the three
GUIDs' bytes base64url-encoded (the ids in oauth2permissiongrant examples decode that way), so
a second grant for the same triple is the 409 Entra gives, and a client updates `scope` instead.

Graph does not check `scope` against the resource's published scopes (a grant may name scopes
the API does not define, or none); the sandbox keeps it as given. Users are not modelled: a
`Principal` grant accepts any well-formed principalId.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from ssoctl.ids import is_guid
from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox import replication
from ssoctl.sandbox.odata import Key, parse_filter
from ssoctl.sandbox.resources import service_principals
from ssoctl.sandbox.resources.common import (
    GRANT_READ,
    GRANT_WRITE,
    JSON,
    check_filter,
    context_url,
    matches,
    page,
    project,
)
from ssoctl.sandbox.roles import require_consent_granter
from ssoctl.sandbox.router import Context, Response, Router
from ssoctl.sandbox.schema import Validator, load_schema

TYPE = "oAuth2PermissionGrant"
RESOURCE = "OAuth2PermissionGrant"
ENTITY_SET = "oauth2PermissionGrants"
CONSENT_TYPES = ("AllPrincipals", "Principal")
# oAuth2PermissionGrant resource page: clientId, consentType, principalId, resourceId "Supports
# $filter (eq only)".
FILTERABLE = {"eq": ("clientId", "consentType", "principalId", "resourceId", "id")}
# Only scope changes (oauth2permissiongrant-update); the rest is the grant's identity.
FIXED = ("id", "clientId", "consentType", "principalId", "resourceId")


def register(router: Router) -> None:
    router.add("GET", "/oauth2PermissionGrants", list_grants, permissions=GRANT_READ)
    router.add("POST", "/oauth2PermissionGrants", create_grant, permissions=GRANT_WRITE, authorize=may_grant)
    router.add("GET", "/oauth2PermissionGrants/{grant}", get_grant, permissions=GRANT_READ)
    router.add(
        "PATCH", "/oauth2PermissionGrants/{grant}", patch_grant, permissions=GRANT_WRITE, authorize=may_grant
    )
    router.add(
        "DELETE",
        "/oauth2PermissionGrants/{grant}",
        delete_grant,
        permissions=GRANT_WRITE,
        authorize=may_grant,
    )


def may_grant(ctx: Context) -> None:
    """Tenant-wide delegated consent by a user needs an admin role (sandbox/roles.py)."""
    require_consent_granter(ctx, graph_app_role=False)


def grant_id(client_id: str, resource_id: str, principal_id: str | None) -> str:
    """Graph's id for a grant: base64url of the GUIDs' bytes (little-endian, as .NET writes a
    Guid), client then resource then, for a one-user grant, the user; no padding."""
    raw = uuid.UUID(client_id).bytes_le + uuid.UUID(resource_id).bytes_le
    if principal_id is not None:
        raw += uuid.UUID(principal_id).bytes_le
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _grants(ctx: Context) -> dict[str, JSON]:
    grants: dict[str, JSON] = ctx.state["oauth2PermissionGrants"]
    return grants


def _lookup(ctx: Context) -> JSON:
    segment = ctx.params["grant"]
    wanted = segment.value if isinstance(segment, Key) else segment
    grant = _grants(ctx).get(wanted)
    if grant is None:
        raise ge.resource_not_found(wanted)
    return grant


def _entity_response(ctx: Context, grant: JSON, status: int = 200) -> Response:
    select = ctx.request.query.select if status == 200 else None
    body = project(grant, select, load_schema().properties(TYPE))
    headers = {"Location": f"{ctx.base_url}/{ENTITY_SET}/{grant['id']}"} if status == 201 else {}
    return Response(
        status,
        {"@odata.context": context_url(ctx.base_url, ENTITY_SET, select, entity=True), **body},
        headers,
    )


# --- Reads ------------------------------------------------------------------------------------


def list_grants(ctx: Context) -> Response:
    query = ctx.request.query
    conditions = parse_filter(query.filter, resource=RESOURCE) if query.filter else []
    known = load_schema().properties(TYPE)
    check_filter(conditions, known, FILTERABLE, RESOURCE)
    grants = [g for g in _grants(ctx).values() if matches(g, conditions)]
    return page(ctx, grants, path=ENTITY_SET, context=ENTITY_SET, known=known, shown=dict)


def get_grant(ctx: Context) -> Response:
    return _entity_response(ctx, _lookup(ctx))


# --- Writes -----------------------------------------------------------------------------------


def _validate(body: Any) -> JSON:
    Validator().check_object(body, TYPE, top_level=True)
    assert isinstance(body, dict)
    return body


def _service_principal(ctx: Context, value: str) -> JSON:
    """The service principal a grant names; missing, or not replicated yet, is Entra's 404."""
    sp = service_principals.by_id(ctx, value)
    if sp is None:
        raise ge.resource_not_found(value)
    if replication.consume(ctx.state, sp["id"]):
        raise replication.refuse(ge.resource_not_found(value))
    return sp


def create_grant(ctx: Context) -> Response:
    """201 + the grant; 404 for a client or resource that is not (yet) a service principal here;
    409 when the same client, resource and user already have a grant."""
    body = _validate(ctx.json_body())
    if "id" in body:
        raise ge.read_only("id")
    for name in ("clientId", "consentType", "resourceId"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise ge.required_missing(name)
    consent = body["consentType"]
    if consent not in CONSENT_TYPES:
        raise ge.invalid_value("consentType", RESOURCE)
    principal = body.get("principalId")
    if consent == "AllPrincipals" and principal is not None:
        raise ge.invalid_value("principalId", RESOURCE)
    if consent == "Principal":
        if not isinstance(principal, str) or not principal.strip():
            raise ge.required_missing("principalId")
        if not is_guid(principal):
            raise ge.invalid_value("principalId", RESOURCE)
        principal = principal.lower()
    client = _service_principal(ctx, body["clientId"])
    resource = _service_principal(ctx, body["resourceId"])
    new_id = grant_id(client["id"], resource["id"], principal)
    if new_id in _grants(ctx):
        raise ge.permission_grant_conflict()
    grant: JSON = {
        "clientId": client["id"],
        "consentType": consent,
        "id": new_id,
        "principalId": principal,
        "resourceId": resource["id"],
        "scope": body.get("scope"),
    }
    _grants(ctx)[new_id] = grant
    return _entity_response(ctx, grant, 201)


def _same(sent: Any, stored: Any) -> bool:
    """A fixed property sent again unchanged is fine (ids compare case-insensitively)."""
    if isinstance(sent, str) and isinstance(stored, str):
        return sent.casefold() == stored.casefold()
    return bool(sent == stored)


def patch_grant(ctx: Context) -> Response:
    """`PATCH {"scope": …}`: 204. The grant's identity (client, resource, user, type) is fixed."""
    grant = _lookup(ctx)
    body = _validate(ctx.json_body())
    for name in FIXED:
        if name in body and not _same(body[name], grant[name]):
            raise ge.read_only(name)
    if "scope" in body:
        grant["scope"] = body["scope"]
    return Response(204)


def delete_grant(ctx: Context) -> Response:
    del _grants(ctx)[_lookup(ctx)["id"]]
    return Response(204)

"""App role assignments: `/servicePrincipals/{id}/appRoleAssignedTo` and `/appRoleAssignments`.

An assignment gives a principal one app role of a resource service principal; given to a client
service principal, that is an application permission (the application half of admin consent).
The same assignment is seen from both ends: in the resource's `appRoleAssignedTo` and in the
principal's `appRoleAssignments` (serviceprincipal-post-approleassignedto, -list-approleassignedto,
-delete-approleassignedto and the -approleassignments pages).

Principals are service principals here (users and groups are not modelled). Graph's assignment
ids start with the principal's id: the first 16 bytes of the base64url id are its GUID (the
example responses decode that way), the rest is unique per assignment.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any

from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox import replication, seed
from ssoctl.sandbox.odata import Key, parse_filter
from ssoctl.sandbox.resources import service_principals
from ssoctl.sandbox.resources.common import (
    APP_ROLE_ASSIGNMENT_DELETE,
    APP_ROLE_ASSIGNMENT_WRITE,
    APPLICATION_READ,
    JSON,
    check_filter,
    graph_time,
    matches,
    page,
    project,
)
from ssoctl.sandbox.roles import require_consent_granter
from ssoctl.sandbox.router import Context, Response, Router
from ssoctl.sandbox.schema import Validator, load_schema

TYPE = "appRoleAssignment"
RESOURCE = "AppRoleAssignment"
# Set by the directory (appRoleAssignment resource page: "Read-only").
READ_ONLY = (
    "id",
    "createdDateTime",
    "deletedDateTime",
    "principalDisplayName",
    "principalType",
    "resourceDisplayName",
)
FILTERABLE = {"eq": ("principalId", "resourceId", "appRoleId", "principalType")}
# The two views: which end of an assignment the service principal in the path is.
ASSIGNED_TO = "appRoleAssignedTo"  # the path's service principal is the resource
ASSIGNMENTS = "appRoleAssignments"  # the path's service principal is the principal
_END = {ASSIGNED_TO: "resourceId", ASSIGNMENTS: "principalId"}


def register(router: Router) -> None:
    for view in (ASSIGNED_TO, ASSIGNMENTS):
        base = f"/servicePrincipals/{{sp}}/{view}"
        router.add("GET", base, _for_view(list_assignments, view), permissions=APPLICATION_READ)
        router.add("POST", base, _for_view(create_assignment, view), permissions=APP_ROLE_ASSIGNMENT_WRITE)
        router.add(
            "GET", f"{base}/{{assignment}}", _for_view(get_assignment, view), permissions=APPLICATION_READ
        )
        router.add(
            "DELETE",
            f"{base}/{{assignment}}",
            _for_view(delete_assignment, view),
            permissions=APP_ROLE_ASSIGNMENT_DELETE,
        )


def _for_view(handler: Callable[[Context, str], Response], view: str) -> Callable[[Context], Response]:
    def handle(ctx: Context) -> Response:
        return handler(ctx, view)

    handle.__name__ = f"{handler.__name__}_{view}"
    return handle


def assignment_id(principal_id: str) -> str:
    """The principal's GUID bytes, then 16 bytes unique to this assignment; base64url, no padding."""
    raw = uuid.UUID(principal_id).bytes_le + uuid.uuid4().bytes
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _assignments(ctx: Context) -> dict[str, JSON]:
    assignments: dict[str, JSON] = ctx.state["appRoleAssignments"]
    return assignments


def _context(ctx: Context, sp: JSON, view: str) -> str:
    return f"servicePrincipals('{sp['id']}')/{view}"


def _seen_from(ctx: Context, sp: JSON, view: str) -> list[JSON]:
    end = _END[view]
    return [a for a in _assignments(ctx).values() if a[end] == sp["id"]]


def _lookup(ctx: Context, sp: JSON, view: str) -> JSON:
    segment = ctx.params["assignment"]
    wanted = segment.value if isinstance(segment, Key) else segment
    assignment = _assignments(ctx).get(wanted)
    if assignment is None or assignment[_END[view]] != sp["id"]:
        raise ge.resource_not_found(wanted)
    return assignment


def _entity(ctx: Context, sp: JSON, view: str, assignment: JSON, status: int) -> Response:
    select = ctx.request.query.select if status == 200 else None
    body = project(assignment, select, load_schema().properties(TYPE))
    projection = f"({','.join(select)})" if select else ""
    context = f"{ctx.base_url}/$metadata#{_context(ctx, sp, view)}{projection}/$entity"
    return Response(status, {"@odata.context": context, **body})


# --- Reads ------------------------------------------------------------------------------------


def list_assignments(ctx: Context, view: str) -> Response:
    sp = service_principals.lookup(ctx)
    query = ctx.request.query
    conditions = parse_filter(query.filter, resource=RESOURCE) if query.filter else []
    known = load_schema().properties(TYPE)
    check_filter(conditions, known, FILTERABLE, RESOURCE)
    items = [a for a in _seen_from(ctx, sp, view) if matches(a, conditions)]
    path = f"servicePrincipals/{sp['id']}/{view}"
    return page(ctx, items, path=path, context=_context(ctx, sp, view), known=known, shown=dict)


def get_assignment(ctx: Context, view: str) -> Response:
    sp = service_principals.lookup(ctx)
    return _entity(ctx, sp, view, _lookup(ctx, sp, view), 200)


# --- Writes -----------------------------------------------------------------------------------


def _validate(body: Any) -> JSON:
    Validator().check_object(body, TYPE, top_level=True)
    assert isinstance(body, dict)
    for name in READ_ONLY:
        if name in body:
            raise ge.read_only(name)
    for name in ("principalId", "resourceId", "appRoleId"):
        if not isinstance(body.get(name), str):
            raise ge.required_missing(name)
    return body


def create_assignment(ctx: Context, view: str) -> Response:
    """201 + the assignment. The body's end that the path names must be the path's service
    principal; the principal must be a service principal the directory can see (else "Not a
    valid reference update.", also while it replicates); the role must be one of the resource's;
    the same assignment twice is a 400."""
    sp = service_principals.lookup(ctx)
    body = _validate(ctx.json_body())
    end = _END[view]
    if body[end].lower() != sp["id"]:
        raise ge.invalid_value(end, RESOURCE)
    resource = sp if view == ASSIGNED_TO else service_principals.by_id(ctx, body["resourceId"])
    if resource is None:
        raise ge.resource_not_found(body["resourceId"])
    require_consent_granter(ctx, graph_app_role=seed.first_party(str(resource.get("appId") or "")))
    if view == ASSIGNMENTS and replication.consume(ctx.state, resource["id"]):
        raise replication.refuse(ge.resource_not_found(body["resourceId"]))
    principal = sp if view == ASSIGNMENTS else service_principals.by_id(ctx, body["principalId"])
    if principal is None:
        raise ge.invalid_reference()
    if view == ASSIGNED_TO and replication.consume(ctx.state, principal["id"]):
        raise replication.refuse(ge.invalid_reference())
    role_id = body["appRoleId"].lower()
    roles = {str(r.get("id")).lower(): r for r in resource.get("appRoles") or []}
    role = roles.get(role_id)
    if (
        role is None
        or not role.get("isEnabled", True)
        or "Application" not in (role.get("allowedMemberTypes") or [])
    ):
        raise ge.app_role_not_found()
    for existing in _assignments(ctx).values():
        same = (existing["principalId"], existing["resourceId"], existing["appRoleId"])
        if same == (principal["id"], resource["id"], role_id):
            raise ge.app_role_assignment_exists()
    new_id = assignment_id(principal["id"])
    assignment: JSON = {
        "id": new_id,
        "deletedDateTime": None,
        "appRoleId": role_id,
        "createdDateTime": graph_time(ctx.now),
        "principalDisplayName": principal.get("displayName"),
        "principalId": principal["id"],
        "principalType": "ServicePrincipal",
        "resourceDisplayName": resource.get("displayName"),
        "resourceId": resource["id"],
    }
    _assignments(ctx)[new_id] = assignment
    return _entity(ctx, sp, view, assignment, 201)


def delete_assignment(ctx: Context, view: str) -> Response:
    sp = service_principals.lookup(ctx)
    assignment = _lookup(ctx, sp, view)
    resource = service_principals.by_id(ctx, assignment["resourceId"]) or {}
    require_consent_granter(ctx, graph_app_role=seed.first_party(str(resource.get("appId") or "")))
    del _assignments(ctx)[assignment["id"]]
    return Response(204)

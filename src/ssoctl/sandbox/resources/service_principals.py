"""`/servicePrincipals`: list, get, create, upsert by appId, update, delete.

Behaviour follows the Graph v1.0 pages (serviceprincipal-list, -get, -post-serviceprincipals,
-upsert, -update, -delete). A service principal is an application's instance in a tenant: it is
created for an appId that some application object backs (an application of this tenant, or one
of Microsoft's first-party apps, seed.py) and copies what it shows from that application: names,
app roles, published scopes, reply URLs. Deleting one takes the consent given to and by it
along: the delegated permission grants and app role assignments that name it.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox import replication, roles, seed
from ssoctl.sandbox.odata import Key, Segment, parse_filter
from ssoctl.sandbox.resources.common import (
    APPLICATION_READ,
    JSON,
    SERVICE_PRINCIPAL_WRITE,
    check_filter,
    context_url,
    matches,
    merge,
    page,
    path_object_id,
    project,
    readable,
    upsert_key,
)
from ssoctl.sandbox.router import Context, Response, Router
from ssoctl.sandbox.schema import Validator, load_schema

TYPE = "servicePrincipal"
RESOURCE = "ServicePrincipal"  # the directory's name for it in error messages
ENTITY_SET = "servicePrincipals"
# Read-only on the servicePrincipal resource page, derived from the application, or set only by
# their own APIs (passwordCredentials: addPassword; "Using PATCH to set passwordCredential is
# not supported"). appId is the key: required on create, fixed afterwards.
READ_ONLY = (
    "id",
    "appDisplayName",
    "appOwnerOrganizationId",
    "applicationTemplateId",
    "createdByAppId",
    "deletedDateTime",
    "disabledByMicrosoftStatus",
    "passwordCredentials",
    "resourceSpecificApplicationPermissions",
    "servicePrincipalType",
    "signInAudience",
    "verifiedPublisher",
)
# Returned only when `$select`ed (serviceprincipal-get: custom security attributes need their
# own permission and are never in the default projection).
HIDDEN_BY_DEFAULT = ("customSecurityAttributes",)
FILTERABLE = {
    "eq": (
        "appId",
        "displayName",
        "id",
        "servicePrincipalType",
        "appOwnerOrganizationId",
        "preferredSingleSignOnMode",
    ),
    "in": ("appId", "displayName", "id"),
    "any-eq": ("servicePrincipalNames", "tags"),
    "startswith": ("displayName",),
}


def register(router: Router) -> None:
    router.add("GET", "/servicePrincipals", list_service_principals, permissions=APPLICATION_READ)
    router.add(
        "POST",
        "/servicePrincipals",
        create_service_principal,
        permissions=SERVICE_PRINCIPAL_WRITE,
        authorize=may_write,
    )
    router.add("GET", "/servicePrincipals/{sp}", get_service_principal, permissions=APPLICATION_READ)
    router.add(
        "PATCH",
        "/servicePrincipals/{sp}",
        patch_service_principal,
        permissions=SERVICE_PRINCIPAL_WRITE,
        authorize=may_write,
    )
    router.add(
        "DELETE",
        "/servicePrincipals/{sp}",
        delete_service_principal,
        permissions=SERVICE_PRINCIPAL_WRITE,
        authorize=may_write,
    )


def may_write(ctx: Context) -> None:
    """A user needs an app-manager role, or to own the application behind the service principal."""
    if not ctx.principal.is_user:
        return
    app_id: Any = None
    if "sp" in ctx.params:
        segment = ctx.params["sp"]
        existing = find(ctx, segment)
        if existing is not None:
            app_id = existing.get("appId")
        elif isinstance(segment, Key) and segment.name == "appId":
            app_id = segment.value
        else:
            return  # the handler's 404
    else:
        body = ctx.json_body(required=False)
        app_id = body.get("appId") if isinstance(body, dict) else None
    app = roles.application_with_app_id(ctx.state, app_id) if isinstance(app_id, str) else None
    roles.require_app_manager(ctx, app or {"id": ""})


# --- The stored shape -----------------------------------------------------------------------


def _derived(app: JSON) -> JSON:
    """What a service principal copies from its application (and refreshes when it changes)."""
    web = app.get("web") or {}
    return {
        "appDescription": app.get("description"),
        "appDisplayName": app.get("displayName"),
        "appRoles": copy.deepcopy(app.get("appRoles") or []),
        "homepage": web.get("homePageUrl"),
        "info": copy.deepcopy(app.get("info")) or load_schema().blank("informationalUrl"),
        "logoutUrl": web.get("logoutUrl"),
        "oauth2PermissionScopes": copy.deepcopy((app.get("api") or {}).get("oauth2PermissionScopes") or []),
        "replyUrls": list(web.get("redirectUris") or []),
        "servicePrincipalNames": [app["appId"], *(app.get("identifierUris") or [])],
        "signInAudience": app.get("signInAudience"),
        "verifiedPublisher": copy.deepcopy(app.get("verifiedPublisher"))
        or load_schema().blank("verifiedPublisher"),
    }


def new_service_principal(*, object_id: str, app: JSON, tenant_id: str) -> JSON:
    """A tenant's service principal for one of its own applications, as Graph returns a new one
    (serviceprincipal-post-serviceprincipals and -upsert example responses)."""
    sp = load_schema().blank(TYPE)
    sp.update(_derived(app))
    sp.update(
        id=object_id,
        accountEnabled=True,
        appId=app["appId"],
        appOwnerOrganizationId=tenant_id,
        appRoleAssignmentRequired=False,
        displayName=app.get("displayName"),
        servicePrincipalType="Application",
        tags=list(app.get("tags") or []),
    )
    return sp


def follow_application(state: JSON, app: JSON) -> None:
    """After an application changes, its service principal shows the new names, roles and scopes.

    Entra copies these eventually rather than at once; the sandbox does it with the write, so a
    client never has to wait for it. The service principal's own displayName stays its own.
    """
    object_id = replication.service_principal_id_for(state, str(app["appId"]))
    if object_id is not None:
        state["servicePrincipals"][object_id].update(_derived(app))


def remove(state: JSON, object_id: str) -> None:
    """Delete a service principal with the grants and assignments that name it (Entra cascades)."""
    state["servicePrincipals"].pop(object_id, None)
    state.get("synchronization", {}).pop(object_id, None)  # its provisioning jobs and secrets
    replication.forget(state, object_id)
    grants = state["oauth2PermissionGrants"]
    for grant_id in [
        g for g, grant in grants.items() if object_id in (grant["clientId"], grant["resourceId"])
    ]:
        del grants[grant_id]
    assignments = state["appRoleAssignments"]
    for assignment_id in [
        a for a, item in assignments.items() if object_id in (item["principalId"], item["resourceId"])
    ]:
        del assignments[assignment_id]


def remove_for_application(state: JSON, app_id: str) -> None:
    """An application was deleted: so is its service principal."""
    object_id = replication.service_principal_id_for(state, app_id)
    if object_id is not None:
        remove(state, object_id)


# --- Lookup -----------------------------------------------------------------------------------


def _sps(ctx: Context) -> dict[str, JSON]:
    sps: dict[str, JSON] = ctx.state["servicePrincipals"]
    return sps


def find(ctx: Context, segment: Segment) -> JSON | None:
    """The service principal a path segment addresses: object id or (appId='…')."""
    if isinstance(segment, Key):
        if segment.name == "appId":
            object_id = replication.service_principal_id_for(ctx.state, segment.value)
            return None if object_id is None else _sps(ctx)[object_id]
        if segment.name != "id":
            raise ge.query_syntax()
    return _sps(ctx).get(path_object_id(segment))


def lookup(ctx: Context, param: str = "sp") -> JSON:
    """The service principal of the path, or Graph's 404."""
    segment = ctx.params[param]
    sp = find(ctx, segment)
    if sp is None:
        raise ge.resource_not_found(segment.value if isinstance(segment, Key) else segment)
    return sp


def by_id(ctx: Context, object_id: Any) -> JSON | None:
    """The service principal a body names by object id (None for anything else)."""
    if not isinstance(object_id, str):
        return None
    return _sps(ctx).get(object_id.lower())


# --- Reads ------------------------------------------------------------------------------------


def shown(sp: JSON) -> JSON:
    """The default projection: everything but what needs `$select`."""
    body = readable(sp)
    for name in HIDDEN_BY_DEFAULT:
        body.pop(name, None)
    return body


def get_service_principal(ctx: Context) -> Response:
    sp = lookup(ctx)
    select = ctx.request.query.select
    body = project(readable(sp) if select else shown(sp), select, load_schema().properties(TYPE))
    return Response(
        200, {"@odata.context": context_url(ctx.base_url, ENTITY_SET, select, entity=True), **body}
    )


def list_service_principals(ctx: Context) -> Response:
    """Matching service principals. One that has not replicated yet is left out, as a lagging
    read replica leaves it out, and the list counts as a request that addressed it."""
    query = ctx.request.query
    conditions = parse_filter(query.filter, resource=RESOURCE) if query.filter else []
    known = load_schema().properties(TYPE)
    check_filter(conditions, known, FILTERABLE, RESOURCE)
    found = [sp for sp in _sps(ctx).values() if matches(sp, conditions)]
    visible = [sp for sp in found if not replication.consume(ctx.state, sp["id"])]
    select = query.select
    response = page(
        ctx, visible, path=ENTITY_SET, context=ENTITY_SET, known=known, shown=readable if select else shown
    )
    response.lagged = len(visible) < len(found)
    return response


# --- Writes -----------------------------------------------------------------------------------


def _validate_body(body: Any, *, app_id: str | None) -> JSON:
    """Schema, then read-only properties; appId may only repeat the key it is created under."""
    Validator().check_object(body, TYPE, top_level=True)
    assert isinstance(body, dict)
    for name in READ_ONLY:
        if name in body:
            raise ge.read_only(name)
    if "appId" in body and app_id is not None:
        wanted = body["appId"]
        if not isinstance(wanted, str) or wanted.casefold() != app_id.casefold():
            raise ge.read_only("appId")
    name = body.get("displayName", "unset")
    if name is None or (isinstance(name, str) and not name.strip()):
        raise ge.invalid_value("displayName", RESOURCE)
    return body


def _check_names(ctx: Context, sp: JSON) -> None:
    """servicePrincipalNames are unique in the tenant: another's name is the 409 Entra gives."""
    mine = {str(n).casefold() for n in sp.get("servicePrincipalNames") or []}
    for other in _sps(ctx).values():
        if other["id"] == sp["id"]:
            continue
        for name in other.get("servicePrincipalNames") or []:
            if str(name).casefold() in mine:
                raise ge.service_principal_conflict(str(name))


def _backed(ctx: Context, app_id: str, object_id: str) -> JSON:
    """A new service principal for `app_id`, from the application that backs it.

    No such application, or one that has not replicated yet, is NoBackingApplicationObject
    (GRAPH.md: retry that one). Microsoft's first-party apps are backed everywhere.
    """
    if seed.first_party(app_id):
        return seed.graph_service_principal(object_id)
    app_object_id = replication.application_id_for(ctx.state, app_id)
    if app_object_id is None:
        raise ge.no_backing_application(app_id)
    if replication.consume(ctx.state, app_object_id):
        raise replication.refuse(ge.no_backing_application(app_id))
    app = ctx.state["applications"][app_object_id]
    return new_service_principal(object_id=object_id, app=app, tenant_id=str(ctx.state["tenantId"]))


def _create(ctx: Context, app_id: str, body: JSON) -> JSON:
    if replication.service_principal_id_for(ctx.state, app_id) is not None:
        raise ge.service_principal_conflict(app_id)
    object_id = str(uuid.uuid4())
    sp = _backed(ctx, app_id, object_id)
    merge(load_schema(), sp, {k: v for k, v in body.items() if k != "appId"}, TYPE)
    _check_names(ctx, sp)
    _sps(ctx)[object_id] = sp
    replication.start(ctx.state, object_id, ctx.faults.replication_hits)
    return sp


def _created_response(ctx: Context, sp: JSON) -> Response:
    body = {"@odata.context": context_url(ctx.base_url, ENTITY_SET, None, entity=True), **shown(sp)}
    return Response(201, body, headers={"Location": f"{ctx.base_url}/{ENTITY_SET}/{sp['id']}"})


def create_service_principal(ctx: Context) -> Response:
    """`POST /servicePrincipals {"appId": …}`: 201, or 409 when the appId already has one."""
    body = _validate_body(ctx.json_body(), app_id=None)
    app_id = body.get("appId")
    if not isinstance(app_id, str) or not app_id.strip():
        raise ge.required_missing("appId")
    return _created_response(ctx, _create(ctx, app_id, body))


def patch_service_principal(ctx: Context) -> Response:
    """Update (204), or with `Prefer: create-if-missing` on an appId key, upsert (201/204)."""
    segment = ctx.params["sp"]
    raw = ctx.json_body()
    sp = find(ctx, segment)
    if sp is None:
        app_id = upsert_key(ctx, segment, "appId")
        return _created_response(ctx, _create(ctx, app_id, _validate_body(raw, app_id=app_id)))
    body = _validate_body(raw, app_id=str(sp["appId"]))
    updated = merge(load_schema(), copy.deepcopy(sp), {k: v for k, v in body.items() if k != "appId"}, TYPE)
    _check_names(ctx, updated)
    _sps(ctx)[sp["id"]] = updated
    return Response(204)


def delete_service_principal(ctx: Context) -> Response:
    remove(ctx.state, lookup(ctx)["id"])
    return Response(204)

"""`/applications`: list, get, create, upsert, update, delete, addPassword, removePassword.

Behaviour follows the Graph v1.0 pages for each method (application-get, -list, -post-applications,
-upsert, -update, -delete, -addpassword, -removepassword) and the rules in rules.py. A write is
checked completely (CSDL schema, read-only properties, Entra rules) before anything is stored, so a
refused request never half-applies. An application's service principal follows it: an update
refreshes what the service principal copies from it, a delete removes it (service_principals.py).
"""

from __future__ import annotations

import copy
import secrets
import string
import uuid
from datetime import datetime, timedelta
from typing import Any

from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox import login, replication, roles, rules
from ssoctl.sandbox.odata import Key, Segment, parse_filter
from ssoctl.sandbox.resources import service_principals
from ssoctl.sandbox.resources.common import (
    APPLICATION_READ,
    APPLICATION_WRITE,
    JSON,
    check_filter,
    complex_default,
    context_url,
    graph_time,
    matches,
    merge,
    page,
    parse_graph_time,
    path_object_id,
    project,
    readable,
    upsert_key,
)
from ssoctl.sandbox.router import Context, Response, Router
from ssoctl.sandbox.schema import Schema, Validator, load_schema

TYPE = "application"
ENTITY_SET = "applications"
DEFAULT_SIGN_IN_AUDIENCE = "AzureADandPersonalMicrosoftAccount"  # application-post-applications
PASSWORD_DEFAULT_YEARS = 2  # application-addpassword: endDateTime defaults to start + 2 years
# Complex properties Graph returns as objects (not null) on a new application
# (application-post-applications example response).
DEFAULTED_COMPLEX = (
    "api",
    "info",
    "parentalControlSettings",
    "publicClient",
    "spa",
    "web",
    "verifiedPublisher",
)
# Secrets look like Entra's: 40 characters, the first three are the hint.
SECRET_ALPHABET = string.ascii_letters + string.digits + "~._-"
# The default tenant app management policy's id (identifier-uri-protection scripts print it).
DEFAULT_POLICY_ID = "00000000-0000-0000-0000-000000000000"


def register(router: Router) -> None:
    router.add("GET", "/applications", list_applications, permissions=APPLICATION_READ)
    router.add(
        "POST", "/applications", create_application, permissions=APPLICATION_WRITE, authorize=may_create
    )
    router.add("GET", "/applications/{app}", get_application, permissions=APPLICATION_READ)
    router.add(
        "PATCH", "/applications/{app}", patch_application, permissions=APPLICATION_WRITE, authorize=may_change
    )
    router.add(
        "DELETE",
        "/applications/{app}",
        delete_application,
        permissions=APPLICATION_WRITE,
        authorize=may_change,
    )
    router.add(
        "POST",
        "/applications/{app}/addPassword",
        add_password,
        permissions=APPLICATION_WRITE,
        authorize=may_change,
    )
    router.add(
        "POST",
        "/applications/{app}/removePassword",
        remove_password,
        permissions=APPLICATION_WRITE,
        authorize=may_change,
    )


def may_create(ctx: Context) -> None:
    roles.require_app_manager(ctx, None)


def may_change(ctx: Context) -> None:
    """Owner or app manager; a PATCH that would create (upsert) is judged as a create, and one
    naming an app that does not exist is left to the handler's 404."""
    segment = ctx.params["app"]
    app = find(ctx, segment)
    if app is not None:
        roles.require_app_manager(ctx, app)
        return
    upsert = (
        isinstance(segment, Key) and segment.name == "uniqueName" and ctx.request.prefers("create-if-missing")
    )
    if ctx.request.method == "PATCH" and upsert:
        roles.require_app_manager(ctx, None)


# --- The stored shape -----------------------------------------------------------------------


def _default_for(schema: Schema, prop_name: str, type_name: str) -> JSON:
    value = complex_default(schema, type_name)
    if prop_name == "parentalControlSettings":
        value["legalAgeGroupRule"] = "Allow"
    if prop_name == "web":
        value["implicitGrantSettings"] = {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": False}
    return value


def new_application(schema: Schema, *, object_id: str, app_id: str, now: datetime, domain: str) -> JSON:
    """Every declared property, as Graph returns a freshly created application."""
    app: JSON = {}
    for name, prop in schema.properties(TYPE).items():
        if prop.type == "Edm.Stream":
            continue  # logo is a stream, not part of the JSON representation
        if prop.is_collection:
            app[name] = []
        elif name in DEFAULTED_COMPLEX:
            app[name] = _default_for(schema, name, prop.type)
        elif prop.type == "Edm.Boolean" and not prop.nullable:
            app[name] = False
        else:
            app[name] = None
    app.update(
        id=object_id,
        appId=app_id,
        createdDateTime=graph_time(now),
        publisherDomain=domain,
        signInAudience=DEFAULT_SIGN_IN_AUDIENCE,
    )
    return app


# --- Lookup -----------------------------------------------------------------------------------


def _apps(ctx: Context) -> dict[str, JSON]:
    apps: dict[str, JSON] = ctx.state["applications"]
    return apps


def find(ctx: Context, segment: Segment) -> JSON | None:
    """The application a path segment addresses: object id, (appId='…') or (uniqueName='…')."""
    apps = _apps(ctx)
    if isinstance(segment, Key):
        if segment.name not in ("id", *load_schema().alternate_keys(TYPE)):
            raise ge.query_syntax()
        wanted = segment.value.casefold()
        for app in apps.values():
            value = app.get(segment.name)
            if isinstance(value, str) and value.casefold() == wanted:
                return app
        return None
    return apps.get(path_object_id(segment))


def lookup(ctx: Context) -> JSON:
    segment = ctx.params["app"]
    app = find(ctx, segment)
    if app is None:
        raise ge.resource_not_found(segment.value if isinstance(segment, Key) else segment)
    return app


# --- Reads ------------------------------------------------------------------------------------


def get_application(ctx: Context) -> Response:
    """The application; a client secret added moments ago may be missing from it (replication)."""
    app = lookup(ctx)
    select = ctx.request.query.select
    body = project(readable(app), select, load_schema().properties(TYPE))
    lagged = replication.hide_new_credentials(ctx.state, body)
    return Response(
        200,
        {"@odata.context": context_url(ctx.base_url, ENTITY_SET, select, entity=True), **body},
        lagged=lagged,
    )


_FILTERABLE = {
    "eq": ("displayName", "appId", "uniqueName", "id", "signInAudience", "publisherDomain"),
    "in": ("displayName", "appId", "uniqueName", "id"),
    "any-eq": ("identifierUris", "tags"),
    "startswith": ("displayName", "uniqueName"),
}


# The listing order (creation time, then id) of the last tenant listed: (its object ids in
# stored order, the same ids in listing order). Paging through 10,000 applications would
# otherwise sort them all again for every page of 999.
_listing_order: tuple[tuple[str, ...], list[str]] | None = None


def _in_listing_order(apps: dict[str, JSON]) -> list[JSON]:
    """Every application, oldest first, as Graph pages them. A creation time never changes, so
    the order holds while the same objects exist (an update replaces the value, not the key)."""
    global _listing_order
    stored = tuple(apps)
    if _listing_order is None or _listing_order[0] != stored:
        order = sorted(stored, key=lambda i: (apps[i].get("createdDateTime") or "", apps[i]["id"]))
        _listing_order = (stored, order)
    return [apps[i] for i in _listing_order[1]]


def list_applications(ctx: Context) -> Response:
    query = ctx.request.query
    conditions = parse_filter(query.filter) if query.filter else []
    known = load_schema().properties(TYPE)
    check_filter(conditions, known, _FILTERABLE, "Application")
    apps = _in_listing_order(_apps(ctx))
    if conditions:
        apps = [a for a in apps if matches(a, conditions)]
    # A lagging read replica: new applications are left out, and so are new client secrets.
    visible = [a for a in apps if not replication.consume(ctx.state, a["id"])]
    hidden = [len(visible) < len(apps)]

    def shown(item: JSON) -> JSON:
        body = readable(item)
        hidden.append(replication.hide_new_credentials(ctx.state, body))
        return body

    response = page(ctx, visible, path=ENTITY_SET, context=ENTITY_SET, known=known, shown=shown)
    response.lagged = any(hidden)
    return response


# --- Writes -----------------------------------------------------------------------------------


def _tenant_domains(ctx: Context) -> list[str]:
    return [d["name"] for d in ctx.state["verifiedDomains"]]


def _taken_identifier_uris(ctx: Context, except_id: str | None) -> list[str]:
    """Identifier URIs held by other applications, deleted ones included: a soft-deleted app keeps
    its URIs reserved until it is purged (e.g. microsoft/Agent365 issue reports)."""
    taken: list[str] = []
    for store in (ctx.state["applications"], ctx.state["deletedApplications"]):
        for object_id, app in store.items():
            if object_id != except_id:
                taken.extend(app.get("identifierUris") or [])
    return taken


def _check_unique_name(ctx: Context, name: Any, except_id: str | None) -> None:
    if not isinstance(name, str) or not name.strip():
        raise ge.invalid_value("uniqueName", "Application")
    for object_id, app in _apps(ctx).items():
        current = app.get("uniqueName")
        if object_id != except_id and isinstance(current, str) and current.casefold() == name.casefold():
            raise ge.object_conflict("uniqueName")


def _validate_body(body: Any, *, existing: JSON | None) -> JSON:
    Validator().check_object(body, TYPE, top_level=True)
    assert isinstance(body, dict)
    rules.check_read_only(body, existing=existing)
    return body


def _create(ctx: Context, body: JSON, *, unique_name: str | None) -> JSON:
    schema = load_schema()
    if unique_name is not None:
        if "uniqueName" in body and body["uniqueName"] != unique_name:
            raise ge.invalid_value("uniqueName", "Application")
        body = {**body, "uniqueName": unique_name}
    object_id, app_id = str(uuid.uuid4()), str(uuid.uuid4())
    domain = _tenant_domains(ctx)[0]
    app = new_application(schema, object_id=object_id, app_id=app_id, now=ctx.now, domain=domain)
    if "displayName" not in body:
        raise ge.invalid_value("displayName", "Application")
    merge(schema, app, body, TYPE)
    # A new app's token version follows its audience unless the body sets it: personal accounts
    # need v2 (post-applications example: AzureADandPersonalMicrosoftAccount with version 2).
    if "requestedAccessTokenVersion" not in (body.get("api") or {}):
        personal = app["signInAudience"] not in rules.WORK_OR_SCHOOL_ONLY
        app["api"]["requestedAccessTokenVersion"] = 2 if personal else None
    if app.get("uniqueName") is not None:
        _check_unique_name(ctx, app["uniqueName"], None)
    rules.check_application(
        app,
        previous=None,
        tenant_id=ctx.state["tenantId"],
        domains=_tenant_domains(ctx),
        taken_identifier_uris=_taken_identifier_uris(ctx, None),
    )
    _apps(ctx)[object_id] = app
    roles.record_creator(ctx.state, object_id, ctx.principal)
    replication.start(ctx.state, object_id, ctx.faults.replication_hits)
    return app


def _update(ctx: Context, app: JSON, body: JSON) -> None:
    schema = load_schema()
    updated = merge(schema, copy.deepcopy(app), body, TYPE)
    if app.get("uniqueName") is None and updated.get("uniqueName") is not None:
        _check_unique_name(ctx, updated["uniqueName"], app["id"])
    rules.check_application(
        updated,
        previous=app,
        tenant_id=ctx.state["tenantId"],
        domains=_tenant_domains(ctx),
        taken_identifier_uris=_taken_identifier_uris(ctx, app["id"]),
    )
    _apps(ctx)[app["id"]] = updated
    service_principals.follow_application(ctx.state, updated)


def _created_response(ctx: Context, app: JSON) -> Response:
    body = {"@odata.context": context_url(ctx.base_url, ENTITY_SET, None, entity=True), **readable(app)}
    return Response(201, body, headers={"Location": f"{ctx.base_url}/{ENTITY_SET}/{app['id']}"})


def create_application(ctx: Context) -> Response:
    body = _validate_body(ctx.json_body(), existing=None)
    return _created_response(ctx, _create(ctx, body, unique_name=None))


def patch_application(ctx: Context) -> Response:
    """Update (204), or with `Prefer: create-if-missing` on a uniqueName key, upsert (201/204)."""
    segment = ctx.params["app"]
    raw = ctx.json_body()
    app = find(ctx, segment)
    if app is None:
        unique_name = upsert_key(ctx, segment, "uniqueName")
        return _created_response(
            ctx, _create(ctx, _validate_body(raw, existing=None), unique_name=unique_name)
        )
    body = _validate_body(raw, existing=app)
    _update(ctx, app, body)
    return Response(204)


def delete_application(ctx: Context) -> Response:
    """Soft-delete the application; like Entra, its service principal (and so the consent granted
    to it) goes with it."""
    app = lookup(ctx)
    deleted = _apps(ctx).pop(app["id"])
    deleted["deletedDateTime"] = graph_time(ctx.now)
    ctx.state["deletedApplications"][app["id"]] = deleted
    replication.forget(ctx.state, app["id"])
    for credential in app.get("passwordCredentials") or []:
        replication.forget(ctx.state, replication.credential_key(str(credential.get("keyId") or "")))
    roles.forget(ctx.state, app["id"])
    service_principals.remove_for_application(ctx.state, app["appId"])
    return Response(204)


# --- Credentials --------------------------------------------------------------------------------


def _secret_text() -> str:
    """A 40-character client secret shaped like Entra's (three-character hint, `8Q~` marker)."""
    head = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(3))
    tail = "".join(secrets.choice(SECRET_ALPHABET) for _ in range(34))
    return f"{head}8Q~{tail}"


def _plus_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def _policy_refusal() -> ge.GraphFault:
    # CredentialInvalidLifetimeAsPerAppPolicy, as in OfficeDev/microsoft-365-agents-toolkit#10998.
    message = (
        f"Credential lifetime exceeds the max value allowed as per assigned policy '{DEFAULT_POLICY_ID}'."
    )
    return ge.GraphFault(
        400,
        "CredentialInvalidLifetimeAsPerAppPolicy",
        message,
        details=[{"code": "InvalidKeyEndDate", "message": message, "target": "EndDate"}],
    )


def _secrets_forbidden() -> ge.GraphFault:
    # CredentialTypeNotAllowedAsPerAppPolicy: the tenant's app management policy restriction
    # passwordAddition (Microsoft Learn, "appManagementPolicy"); wording after Graph's lifetime error.
    message = f"Credential type not allowed as per assigned policy '{DEFAULT_POLICY_ID}'."
    return ge.GraphFault(
        400,
        "CredentialTypeNotAllowedAsPerAppPolicy",
        message,
        details=[{"code": "InvalidCredentialType", "message": message, "target": "PasswordCredentials"}],
    )


def add_password(ctx: Context) -> Response:
    """A new secret: its text is in this response only; the tenant keeps metadata and a salted
    hash for the token endpoint (login.py), never the text."""
    app = lookup(ctx)
    params = Validator().check_action(ctx.json_body(required=False), "application.addPassword")
    wanted: JSON = params.get("passwordCredential") or {}
    for generated in ("secretText", "keyId", "hint"):
        if wanted.get(generated) is not None:
            raise ge.read_only(generated)
    start = parse_graph_time(wanted["startDateTime"]) if wanted.get("startDateTime") else ctx.now
    end = (
        parse_graph_time(wanted["endDateTime"])
        if wanted.get("endDateTime")
        else _plus_years(start, PASSWORD_DEFAULT_YEARS)
    )
    if end <= start:
        raise ge.invalid_value("endDateTime", "PasswordCredential")
    if ctx.faults.forbid_secrets:
        raise _secrets_forbidden()
    cap = ctx.faults.max_password_days
    if cap is not None and end - start > timedelta(days=cap):
        raise _policy_refusal()
    text = _secret_text()
    metadata: JSON = {
        "customKeyIdentifier": wanted.get("customKeyIdentifier"),
        "displayName": wanted.get("displayName"),
        "endDateTime": graph_time(end),
        "hint": text[:3],
        "keyId": str(uuid.uuid4()),
        "secretText": None,
        "startDateTime": graph_time(start),
    }
    app["passwordCredentials"] = [*app.get("passwordCredentials", []), metadata]
    login.remember_secret(ctx.state, metadata["keyId"], text, lag_hits=ctx.faults.secret_lag_hits)
    replication.start(ctx.state, f"password:{metadata['keyId']}", ctx.faults.password_lag_hits)
    replication.start(ctx.state, replication.credential_key(metadata["keyId"]), ctx.faults.replication_hits)
    body = {
        "@odata.context": f"{ctx.base_url}/$metadata#microsoft.graph.passwordCredential",
        **metadata,
        "secretText": text,
    }
    return Response(200, body)


def remove_password(ctx: Context) -> Response:
    app = lookup(ctx)
    params = Validator().check_action(ctx.json_body(), "application.removePassword")
    key_id = str(params["keyId"]).lower()
    if replication.consume(ctx.state, f"password:{key_id}"):  # Faults.password_lag_hits
        raise replication.refuse(
            ge.bad_request(f"No password credential found with keyId {params['keyId']}.")
        )
    kept = [c for c in app.get("passwordCredentials", []) if str(c.get("keyId")).lower() != key_id]
    if len(kept) == len(app.get("passwordCredentials", [])):
        # Graph's message for a keyId the app does not have, quoted by clients that treat it as
        # "already removed" (hashicorp/vault-plugin-secrets-azure); those clients report it as a
        # 400. The error code is not in any public capture: Request_BadRequest is an assumption.
        raise ge.bad_request(f"No password credential found with keyId {params['keyId']}.")
    app["passwordCredentials"] = kept
    login.forget_secret(ctx.state, key_id)
    replication.forget(ctx.state, replication.credential_key(key_id))
    return Response(204)

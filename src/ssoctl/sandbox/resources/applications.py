"""`/applications`: list, get, create, upsert, update, delete, addPassword, removePassword.

Behaviour follows the Graph v1.0 pages for each method (application-get, -list, -post-applications,
-upsert, -update, -delete, -addpassword, -removepassword) and the rules in rules.py. A write is
checked completely (CSDL schema, read-only properties, Entra rules) before anything is stored, so a
refused request never half-applies.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import string
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox import rules
from ssoctl.sandbox.odata import Condition, Key, Segment, parse_filter
from ssoctl.sandbox.resources.common import (
    APPLICATION_READ,
    APPLICATION_WRITE,
    JSON,
    context_url,
    graph_time,
    parse_graph_time,
    project,
)
from ssoctl.sandbox.router import Context, Response, Router
from ssoctl.sandbox.schema import GUID, Schema, Validator, load_schema

TYPE = "application"
ENTITY_SET = "applications"
DEFAULT_SIGN_IN_AUDIENCE = "AzureADandPersonalMicrosoftAccount"  # application-post-applications
DEFAULT_PAGE_SIZE = 100
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
    router.add("POST", "/applications", create_application, permissions=APPLICATION_WRITE)
    router.add("GET", "/applications/{app}", get_application, permissions=APPLICATION_READ)
    router.add("PATCH", "/applications/{app}", patch_application, permissions=APPLICATION_WRITE)
    router.add("DELETE", "/applications/{app}", delete_application, permissions=APPLICATION_WRITE)
    router.add("POST", "/applications/{app}/addPassword", add_password, permissions=APPLICATION_WRITE)
    router.add("POST", "/applications/{app}/removePassword", remove_password, permissions=APPLICATION_WRITE)


# --- The stored shape -----------------------------------------------------------------------


def _complex_default(schema: Schema, type_name: str) -> JSON:
    value: JSON = {}
    for name, prop in schema.properties(type_name).items():
        value[name] = [] if prop.is_collection else None
    return value


def _default_for(schema: Schema, prop_name: str, type_name: str) -> JSON:
    value = _complex_default(schema, type_name)
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


def _strip_annotations(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _strip_annotations(v) for k, v in value.items() if not k.startswith("@") and "@odata." not in k
        }
    if isinstance(value, list):
        return [_strip_annotations(v) for v in value]
    return value


def merge(schema: Schema, target: JSON, patch: JSON, type_name: str) -> JSON:
    """PATCH semantics: complex properties merge, collections and primitives are replaced whole."""
    props = schema.properties(type_name)
    for name, value in patch.items():
        if name.startswith("@") or "@odata." in name:
            continue
        prop = props.get(name)
        is_complex = (
            prop is not None
            and not prop.is_collection
            and not prop.type.startswith("Edm.")
            and prop.type not in schema.enums
        )
        if prop is not None and is_complex and isinstance(value, dict):
            current = target.get(name)
            base = current if isinstance(current, dict) else _complex_default(schema, prop.type)
            target[name] = merge(schema, copy.deepcopy(base), value, prop.type)
        else:
            target[name] = _strip_annotations(copy.deepcopy(value))
    return target


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
    if not GUID.match(segment):
        # The directory refuses ids that are not GUIDs before looking anything up.
        raise ge.bad_request(f"Invalid object identifier '{segment}'.")
    return apps.get(segment.lower())


def lookup(ctx: Context) -> JSON:
    segment = ctx.params["app"]
    app = find(ctx, segment)
    if app is None:
        raise ge.resource_not_found(segment.value if isinstance(segment, Key) else segment)
    return app


# --- Reads ------------------------------------------------------------------------------------


def _readable(app: JSON) -> JSON:
    """What GET returns: keyCredentials without key material unless selected (application-get)."""
    shown = copy.deepcopy(app)
    for cred in shown.get("keyCredentials") or []:
        cred["key"] = None
    return shown


def get_application(ctx: Context) -> Response:
    app = lookup(ctx)
    select = ctx.request.query.select
    body = project(_readable(app), select, load_schema().properties(TYPE))
    return Response(
        200, {"@odata.context": context_url(ctx.base_url, ENTITY_SET, select, entity=True), **body}
    )


_FILTERABLE_EQ = ("displayName", "appId", "uniqueName", "id", "signInAudience", "publisherDomain")


def _condition_holds(app: JSON, cond: Condition) -> bool:
    value = app.get(cond.prop)
    wanted = cond.value.casefold()
    if cond.op == "eq":
        return isinstance(value, str) and value.casefold() == wanted
    if cond.op == "any-eq":
        return any(isinstance(v, str) and v.casefold() == wanted for v in value or [])
    return isinstance(value, str) and value.casefold().startswith(wanted)


def _matches(app: JSON, conditions: list[Condition]) -> bool:
    """Graph compares directory strings case-insensitively."""
    return all(_condition_holds(app, c) for c in conditions)


def _check_filter(conditions: list[Condition]) -> None:
    known = load_schema().properties(TYPE)
    for cond in conditions:
        if cond.prop not in known:
            raise ge.unsupported_query_property(cond.prop)
        allowed = {
            "eq": _FILTERABLE_EQ,
            "any-eq": ("identifierUris", "tags"),
            "startswith": ("displayName", "uniqueName"),
        }[cond.op]
        if cond.prop not in allowed:
            raise ge.unsupported_filter(cond.prop)


def _skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def _offset(token: str | None) -> int:
    if token is None:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(data["offset"])
    except (ValueError, KeyError, TypeError):
        raise ge.bad_request("The specified page token value is not valid.") from None
    if offset < 0:
        raise ge.bad_request("The specified page token value is not valid.")
    return offset


def list_applications(ctx: Context) -> Response:
    query = ctx.request.query
    conditions = parse_filter(query.filter) if query.filter else []
    _check_filter(conditions)
    known = load_schema().properties(TYPE)
    if query.select:
        project({}, query.select, known)  # validates the names even when nothing matches
    apps = sorted(_apps(ctx).values(), key=lambda a: (a.get("createdDateTime") or "", a["id"]))
    apps = [a for a in apps if _matches(a, conditions)]
    top = query.top or DEFAULT_PAGE_SIZE
    start = _offset(query.skiptoken)
    page = apps[start : start + top]
    body: JSON = {
        "@odata.context": context_url(ctx.base_url, ENTITY_SET, query.select, entity=False),
        "value": [project(_readable(a), query.select, known) for a in page],
    }
    if start + top < len(apps):
        params = []
        if query.filter:
            params.append(("$filter", query.filter))
        if query.select:
            params.append(("$select", ",".join(query.select)))
        params.append(("$top", str(top)))
        params.append(("$skiptoken", _skiptoken(start + top)))
        link = "&".join(f"{k}={quote(v, safe=',')}" for k, v in params)
        body["@odata.nextLink"] = f"{ctx.base_url}/{ENTITY_SET}?{link}"
    return Response(200, body)


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
    if ctx.faults.replication_hits:
        ctx.state["replication"][object_id] = ctx.faults.replication_hits
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


def _created_response(ctx: Context, app: JSON) -> Response:
    body = {"@odata.context": context_url(ctx.base_url, ENTITY_SET, None, entity=True), **_readable(app)}
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
        upsert = isinstance(segment, Key) and segment.name == "uniqueName"
        if upsert and ctx.request.prefers("create-if-missing"):
            assert isinstance(segment, Key)
            body = _validate_body(raw, existing=None)
            return _created_response(ctx, _create(ctx, body, unique_name=segment.value))
        raise ge.resource_not_found(segment.value if isinstance(segment, Key) else segment)
    body = _validate_body(raw, existing=app)
    _update(ctx, app, body)
    return Response(204)


def delete_application(ctx: Context) -> Response:
    app = lookup(ctx)
    deleted = _apps(ctx).pop(app["id"])
    deleted["deletedDateTime"] = graph_time(ctx.now)
    ctx.state["deletedApplications"][app["id"]] = deleted
    ctx.state["replication"].pop(app["id"], None)
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


def add_password(ctx: Context) -> Response:
    """A new secret: its text is in this response only; the tenant keeps metadata, never text."""
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
    kept = [c for c in app.get("passwordCredentials", []) if str(c.get("keyId")).lower() != key_id]
    if len(kept) == len(app.get("passwordCredentials", [])):
        # Graph's message for a keyId the app does not have, quoted by clients that treat it as
        # "already removed" (hashicorp/vault-plugin-secrets-azure); those clients report it as a
        # 400. The error code is not in any public capture: Request_BadRequest is an assumption.
        raise ge.bad_request(f"No password credential found with keyId {params['keyId']}.")
    app["passwordCredentials"] = kept
    return Response(204)

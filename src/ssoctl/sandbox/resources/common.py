"""Helpers shared by resource modules: projections, PATCH merges, filters, paging, permissions."""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from ssoctl.ids import is_guid
from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox.auth import Permission
from ssoctl.sandbox.odata import Condition, Key, Segment
from ssoctl.sandbox.router import Context, Response
from ssoctl.sandbox.schema import Property, Schema

JSON = dict[str, Any]
DEFAULT_PAGE_SIZE = 100

# Permission names per the Graph permissions reference for each API page.
APPLICATION_READ = (
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Application.ReadWrite.OwnedBy",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
# Application.ReadWrite.OwnedBy reaches only the apps the caller owns (sandbox/roles.py).
APPLICATION_WRITE = ("Application.ReadWrite.All", "Application.ReadWrite.OwnedBy")
# servicePrincipal-post/-upsert/-update/-delete: Application.ReadWrite.All, or Directory.ReadWrite.All.
SERVICE_PRINCIPAL_WRITE = ("Application.ReadWrite.All", "Directory.ReadWrite.All")
# oauth2permissiongrant-get/-list: Directory.Read.All, or the grant-writing permissions.
GRANT_READ = ("Directory.Read.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All")
# oauth2permissiongrant-post/-update/-delete.
GRANT_WRITE = ("DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All")
# serviceprincipal-post-approleassignedto: "AppRoleAssignment.ReadWrite.All and Application.Read.All"
# (or Directory.Read.All); the ReadWrite variants include the read (a token with
# AppRoleAssignment.ReadWrite.All alone is refused, microsoft-graph-docs-contrib#3476).
APP_ROLE_ASSIGNMENT_WRITE: tuple[Permission, ...] = tuple(
    ("AppRoleAssignment.ReadWrite.All", reader)
    for reader in (
        "Application.Read.All",
        "Application.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    )
)
# serviceprincipal-delete-approleassignedto/-approleassignments: AppRoleAssignment.ReadWrite.All.
APP_ROLE_ASSIGNMENT_DELETE = ("AppRoleAssignment.ReadWrite.All",)
ORGANIZATION_READ = (
    "User.Read",
    "User.Read.All",
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)


def graph_time(moment: datetime, *, fraction: bool = True) -> str:
    """Graph's timestamp format: `2019-09-17T19:10:35.2742618Z` (7 fractional digits)."""
    moment = moment.astimezone(UTC)
    if not fraction:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})$"
)


def parse_graph_time(text: str) -> datetime:
    """An Edm.DateTimeOffset literal (up to 7 fractional digits) as an aware UTC datetime."""
    match = _DATETIME.match(text.strip())
    if not match:
        raise ValueError(f"not a DateTimeOffset: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    offset = timedelta(0)
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    moment = datetime(
        int(year),
        int(month),
        int(day),
        int(hour),
        int(minute),
        int(second or 0),
        int(((fraction or "") + "000000")[:6]),
        tzinfo=timezone(offset),
    )
    return moment.astimezone(UTC)


def project(entity: JSON, select: Sequence[str] | None, known: Iterable[str]) -> JSON:
    """Only the `$select`ed properties (unknown names are Graph's 400), else the whole entity."""
    if not select:
        return dict(entity)
    names = set(known)
    for name in select:
        if name not in names:
            raise ge.unsupported_query_property(name)
    return {name: entity.get(name) for name in select}


def context_url(base_url: str, entity_set: str, select: Sequence[str] | None, *, entity: bool) -> str:
    """`@odata.context` as Graph writes it, e.g. `.../$metadata#applications(id,appId)/$entity`."""
    projection = f"({','.join(select)})" if select else ""
    return f"{base_url}/$metadata#{entity_set}{projection}" + ("/$entity" if entity else "")


def path_object_id(segment: Segment) -> str:
    """The object id a path segment names; the directory refuses ids that are not GUIDs."""
    value = segment.value if isinstance(segment, Key) else segment
    if not is_guid(value):
        raise ge.bad_request(f"Invalid object identifier '{value}'.")
    return value.lower()


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars), several times faster than copy.deepcopy:
    a page of 999 applications is copied per request, so a response never shares objects with
    the tenant document that a later request changes."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value


def readable(entity: JSON) -> JSON:
    """What a read returns: key material of keyCredentials is null unless selected (application-get,
    serviceprincipal-get)."""
    shown: JSON = json_copy(entity)
    for cred in shown.get("keyCredentials") or []:
        cred["key"] = None
    return shown


# --- PATCH semantics ---------------------------------------------------------------------------


def complex_default(schema: Schema, type_name: str) -> JSON:
    """A complex value with every property unset (collections empty)."""
    return {name: [] if prop.is_collection else None for name, prop in schema.properties(type_name).items()}


def strip_annotations(value: Any) -> Any:
    """The value without instance annotations (`@odata.type`, `x@odata.bind`): never stored."""
    if isinstance(value, dict):
        return {
            k: strip_annotations(v) for k, v in value.items() if not k.startswith("@") and "@odata." not in k
        }
    if isinstance(value, list):
        return [strip_annotations(v) for v in value]
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
            base = current if isinstance(current, dict) else complex_default(schema, prop.type)
            target[name] = merge(schema, copy.deepcopy(base), value, prop.type)
        else:
            target[name] = strip_annotations(copy.deepcopy(value))
    return target


# --- $filter -----------------------------------------------------------------------------------


def check_filter(
    conditions: Sequence[Condition],
    known: Mapping[str, Property],
    allowed: Mapping[str, Sequence[str]],
    resource: str,
) -> None:
    """Unknown properties and clauses Graph does not support on this resource are its 400s.

    `allowed` maps an operator (eq, in, any-eq, startswith) to the properties it works on.
    """
    for cond in conditions:
        if cond.prop not in known:
            raise ge.unsupported_query_property(cond.prop)
        if cond.prop not in allowed.get(cond.op, ()):
            raise ge.unsupported_filter(cond.prop, resource)


def _condition_holds(entity: JSON, cond: Condition) -> bool:
    value = entity.get(cond.prop)
    wanted = cond.value.casefold()
    if cond.op == "eq":
        return isinstance(value, str) and value.casefold() == wanted
    if cond.op == "in":
        return isinstance(value, str) and value.casefold() in {v.casefold() for v in cond.values}
    if cond.op == "any-eq":
        return any(isinstance(v, str) and v.casefold() == wanted for v in value or [])
    return isinstance(value, str) and value.casefold().startswith(wanted)


def matches(entity: JSON, conditions: Sequence[Condition]) -> bool:
    """All conditions hold; Graph compares directory strings case-insensitively."""
    return all(_condition_holds(entity, c) for c in conditions)


# --- Paging ------------------------------------------------------------------------------------


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


def page(
    ctx: Context,
    items: Sequence[JSON],
    *,
    path: str,
    context: str,
    known: Iterable[str],
    shown: Callable[[JSON], JSON] = readable,
) -> Response:
    """One page of a collection: `$top` (default 100) items from `$skiptoken`, `$select`ed, with
    `@odata.nextLink` (same query, next offset) while more remain.

    `path` is the collection's path under the version (`applications`,
    `servicePrincipals/{id}/appRoleAssignedTo`); `context` what follows `$metadata#`.
    """
    query = ctx.request.query
    known = list(known)
    if query.select:
        project({}, query.select, known)  # validates the names even when nothing matches
    top = query.top or DEFAULT_PAGE_SIZE
    start = _offset(query.skiptoken)
    projection = f"({','.join(query.select)})" if query.select else ""
    body: JSON = {
        "@odata.context": f"{ctx.base_url}/$metadata#{context}{projection}",
        # Project first: with $select, only the selected properties are copied (a page of 999
        # whole applications is mostly properties nobody asked for).
        "value": [shown(project(item, query.select, known)) for item in items[start : start + top]],
    }
    if start + top < len(items):
        params = []
        if query.filter:
            params.append(("$filter", query.filter))
        if query.select:
            params.append(("$select", ",".join(query.select)))
        params.append(("$top", str(top)))
        params.append(("$skiptoken", _skiptoken(start + top)))
        link = "&".join(f"{k}={quote(v, safe=',')}" for k, v in params)
        body["@odata.nextLink"] = f"{ctx.base_url}/{path}?{link}"
    return Response(200, body)


def upsert_key(ctx: Context, segment: Segment, key_name: str) -> str:
    """PATCH of an object that does not exist: the alternate key's value when the request is an
    upsert (`(key_name='…')` with `Prefer: create-if-missing`), else Graph's 404."""
    if isinstance(segment, Key) and segment.name == key_name and ctx.request.prefers("create-if-missing"):
        return segment.value
    raise ge.resource_not_found(segment.value if isinstance(segment, Key) else segment)

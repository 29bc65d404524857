"""Permissions given by name (`Microsoft Graph/Sites.Read.All`) → the ids Graph needs.

ssoctl knows the common Microsoft Graph permissions by heart (their ids are the same in every
tenant); any other name is looked up where Entra publishes it: the API's service principal in this
tenant (`oauth2PermissionScopes` for delegated, `appRoles` for application permissions), exactly
as the portal's "API permissions" picker does. One read, before the plan, only when needed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ssoctl.errors import UsageError
from ssoctl.graph.api import GraphApi
from ssoctl.spec import AppSpec, Permission, PermissionName


def resolve(spec: AppSpec, graph: GraphApi) -> AppSpec:
    """The spec with every named permission turned into a Permission (unchanged if none)."""
    if not spec.unresolved:
        return spec
    apis = sorted({n.api for n in spec.unresolved})
    found = graph.find_api_service_principals(apis)
    resolved = [_one(name, found) for name in spec.unresolved]
    return dataclasses.replace(spec, permissions=(*spec.permissions, *resolved), unresolved=())


def _matches(sp: Mapping[str, Any], api: str) -> bool:
    return api.lower() in (str(sp.get("displayName") or "").lower(), str(sp.get("appId") or "").lower())


def _one(name: PermissionName, found: list[dict[str, Any]]) -> Permission:
    candidates = [sp for sp in found if _matches(sp, name.api)]
    if not candidates:
        raise UsageError(
            f"permission {name}: no service principal named {name.api!r} in this tenant",
            hint="write the API as its display name in Enterprise applications or its appId, "
            "e.g. 'Microsoft Graph/User.Read'",
        )
    if len({sp.get("appId") for sp in candidates}) > 1:
        raise UsageError(
            f"permission {name}: {len(candidates)} service principals are named {name.api!r}",
            hint="write the API by its appId instead, e.g. '00000003-0000-0000-c000-000000000000/User.Read'",
        )
    sp = candidates[0]
    published = sp.get("appRoles") if name.type == "Role" else sp.get("oauth2PermissionScopes")
    for item in published or []:
        if str(item.get("value") or "").lower() == name.value.lower() and item.get("isEnabled", True):
            if name.type == "Role" and "Application" not in (
                item.get("allowedMemberTypes") or ["Application"]
            ):
                continue
            return Permission(str(sp["appId"]), str(item["id"]), name.type, str(item["value"]))
    kind = "application permission (app role)" if name.type == "Role" else "delegated permission"
    other = "delegated" if name.type == "Role" else "application"
    raise UsageError(
        f"permission {name}: {sp.get('displayName') or name.api} publishes no enabled {kind} {name.value!r}",
        hint=f"check the spelling in the API's permissions list; for an {other} permission "
        + ("leave out '(application)'" if name.type == "Role" else "add ' (application)'"),
    )

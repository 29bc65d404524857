"""Who may change what, beyond the token's permissions: directory roles, ownership, tenant policy.

Entra checks a delegated call twice: the token must carry the permission (router permissions), and
the signed-in user must be allowed to do it. A user with Application Administrator, Cloud
Application Administrator or Global Administrator manages every app registration; any other user
only the ones they own, and creates new ones only while "Users can register applications" is on
(`authorizationPolicy.defaultUserRolePermissions.allowedToCreateApps`), becoming their owner.
Tenant-wide consent needs one of those roles (or Privileged Role Administrator); an application
permission of Microsoft Graph needs Privileged Role Administrator or Global Administrator. An
application (app-only token) is held to its permissions alone, except that
`Application.ReadWrite.OwnedBy` reaches only the apps it created or owns.

Refusals are Entra's 403 `Authorization_RequestDenied` "Insufficient privileges to complete the
operation." The user's roles are the token's `wids` (the sandbox's stand-in for role assignments).
"""

from __future__ import annotations

from typing import Any

from ssoctl.directory_roles import APP_MANAGERS, CONSENT_GRANTERS, GRAPH_APP_ROLE_GRANTERS
from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox.auth import Principal
from ssoctl.sandbox.router import Context

JSON = dict[str, Any]

# An app-only token with one of these manages every application, owned or not.
ALL_APPLICATIONS = ("Application.ReadWrite.All", "Directory.ReadWrite.All")
OWNED_BY = "Application.ReadWrite.OwnedBy"


def default_authorization_policy() -> JSON:
    """Entra's default: users may register applications."""
    return {
        "id": "authorizationPolicy",
        "displayName": "Authorization Policy",
        "description": "Used to manage authorization related settings across the company.",
        "defaultUserRolePermissions": {
            "allowedToCreateApps": True,
            "allowedToCreateSecurityGroups": True,
            "allowedToCreateTenants": True,
            "allowedToReadBitlockerKeysForOwnedDevice": True,
            "allowedToReadOtherUsers": True,
        },
    }


def allowed_to_create_apps(state: JSON) -> bool:
    policy = state.get("authorizationPolicy") or default_authorization_policy()
    return bool(policy["defaultUserRolePermissions"].get("allowedToCreateApps", True))


def _owners(state: JSON) -> dict[str, list[str]]:
    owners: dict[str, list[str]] = state.setdefault("owners", {})
    return owners


def owns(state: JSON, object_id: str, principal: Principal) -> bool:
    return bool(principal.object_id) and principal.object_id in _owners(state).get(object_id, [])


def record_creator(state: JSON, object_id: str, principal: Principal) -> None:
    """A user who creates an app registration becomes its owner, and so does an application that
    creates one with `Application.ReadWrite.OwnedBy` only."""
    if not principal.object_id:
        return
    if principal.is_user or not principal.has_any(ALL_APPLICATIONS):
        _owners(state)[object_id] = [principal.object_id]


def forget(state: JSON, object_id: str) -> None:
    _owners(state).pop(object_id, None)


def denied() -> ge.GraphFault:
    return ge.insufficient_privileges()


def require_app_manager(ctx: Context, app: JSON | None) -> None:
    """May the caller change `app` (None: create a new one)?"""
    principal = ctx.principal
    if app is not None and owns(ctx.state, str(app["id"]), principal):
        return
    if principal.is_user:
        if principal.wids & APP_MANAGERS:
            return
        if app is None and allowed_to_create_apps(ctx.state):
            return
        raise denied()
    if app is not None and not principal.has_any(ALL_APPLICATIONS):
        raise denied()  # OwnedBy: only its own


def require_consent_granter(ctx: Context, *, graph_app_role: bool) -> None:
    """Tenant-wide consent by a user: a delegated grant, or an app role (application permission)."""
    principal = ctx.principal
    if not principal.is_user:
        return
    needed = GRAPH_APP_ROLE_GRANTERS if graph_app_role else CONSENT_GRANTERS
    if not principal.wids & needed:
        raise denied()


def application_with_app_id(state: JSON, app_id: str) -> JSON | None:
    wanted = app_id.casefold()
    for app in state["applications"].values():
        if str(app.get("appId", "")).casefold() == wanted:
            return dict(app)
    return None

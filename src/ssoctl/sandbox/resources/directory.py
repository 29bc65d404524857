"""The signed-in user's directory roles (`/me/memberOf`) and the tenant's authorization policy.

`ssoctl whoami` reads these when a token carries no `wids`, and to tell whether "Users can register
applications" is on. The user's roles are the token's `wids` (the sandbox's stand-in for role
assignments); the policy lives in the tenant document and a test (or admin) may PATCH it.
"""

from __future__ import annotations

import copy
import uuid

from ssoctl.directory_roles import ROLE_NAMES, USER
from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox.resources.common import JSON
from ssoctl.sandbox.roles import default_authorization_policy
from ssoctl.sandbox.router import Context, Response, Router

# user-list-memberof (/me): least privileged delegated permission User.Read.
MEMBER_OF_READ = ("User.Read", "User.Read.All", "GroupMember.Read.All", "Directory.Read.All")
# authorizationpolicy-get / -update.
POLICY_READ = ("Policy.Read.All", "Policy.ReadWrite.Authorization")
POLICY_WRITE = ("Policy.ReadWrite.Authorization",)
POLICY_FIELDS = ("allowedToCreateApps", "allowedToCreateSecurityGroups", "allowedToCreateTenants")


def register(router: Router) -> None:
    router.add("GET", "/me/memberOf", member_of, permissions=MEMBER_OF_READ)
    router.add("GET", "/me/memberOf/microsoft.graph.directoryRole", member_of, permissions=MEMBER_OF_READ)
    router.add("GET", "/policies/authorizationPolicy", get_policy, permissions=POLICY_READ)
    router.add("PATCH", "/policies/authorizationPolicy", patch_policy, permissions=POLICY_WRITE)


def _directory_role(template_id: str, tenant_id: str) -> JSON:
    return {
        "@odata.type": "#microsoft.graph.directoryRole",
        "id": str(uuid.uuid5(uuid.UUID(tenant_id), template_id)),
        "deletedDateTime": None,
        "description": None,
        "displayName": ROLE_NAMES.get(template_id, template_id),
        "roleTemplateId": template_id,
    }


def member_of(ctx: Context) -> Response:
    """The caller's activated directory roles; `/me` needs a user, as in Graph."""
    if not ctx.principal.is_user:
        raise ge.bad_request("/me request is only valid with delegated authentication flow.")
    tenant = str(ctx.state["tenantId"])
    roles = [_directory_role(w, tenant) for w in sorted(ctx.principal.wids) if w != USER]
    return Response(200, {"@odata.context": f"{ctx.base_url}/$metadata#directoryObjects", "value": roles})


def _policy(ctx: Context) -> JSON:
    policy: JSON = ctx.state.setdefault("authorizationPolicy", default_authorization_policy())
    return policy


def get_policy(ctx: Context) -> Response:
    body = {
        "@odata.context": f"{ctx.base_url}/$metadata#policies/authorizationPolicy/$entity",
        **copy.deepcopy(_policy(ctx)),
    }
    return Response(200, body)


def patch_policy(ctx: Context) -> Response:
    """Only `defaultUserRolePermissions`' booleans ssoctl cares about; others are Graph's 400."""
    body = ctx.json_body()
    if not isinstance(body, dict) or set(body) - {"defaultUserRolePermissions"}:
        raise ge.bad_request("Only defaultUserRolePermissions can be updated in the sandbox.")
    wanted = body.get("defaultUserRolePermissions") or {}
    if not isinstance(wanted, dict):
        raise ge.invalid_value("defaultUserRolePermissions", "authorizationPolicy")
    for name, value in wanted.items():
        if name not in POLICY_FIELDS or not isinstance(value, bool):
            raise ge.invalid_value(name, "defaultUserRolePermissions")
    _policy(ctx)["defaultUserRolePermissions"].update(wanted)
    return Response(204)

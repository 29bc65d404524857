"""Microsoft Graph permission IDs (../shared/reference/GRAPH.md, from Microsoft's permissions reference).

Note: some public code labels 64a6cdd6-… as User.Read; it is `email`.
"""

from __future__ import annotations

from ssoctl.spec import MICROSOFT_GRAPH, Permission

USER_READ = Permission(MICROSOFT_GRAPH, "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "Scope", "User.Read")
EMAIL = Permission(MICROSOFT_GRAPH, "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", "Scope", "email")
PROFILE = Permission(MICROSOFT_GRAPH, "14dad69e-099b-42c9-810b-d002981feec1", "Scope", "profile")
OPENID = Permission(MICROSOFT_GRAPH, "37f7f235-527c-4136-accd-4a02d197296e", "Scope", "openid")
OFFLINE_ACCESS = Permission(
    MICROSOFT_GRAPH, "7427e0e9-2fba-42fe-b0c0-848c9e6a8182", "Scope", "offline_access"
)
GROUP_READ_ALL_ROLE = Permission(
    MICROSOFT_GRAPH, "5b567255-7703-4780-807c-7be8301ae99b", "Role", "Group.Read.All"
)

KNOWN = {
    (p.resource_app_id, p.id, p.type): p
    for p in (USER_READ, EMAIL, PROFILE, OPENID, OFFLINE_ACCESS, GROUP_READ_ALL_ROLE)
}


API_NAMES = {MICROSOFT_GRAPH: "Microsoft Graph"}


def api_name(resource_app_id: str) -> str:
    """A person's name for an API (the resource of a permission), or its appId."""
    return API_NAMES.get(resource_app_id.lower(), resource_app_id)


def describe(resource_app_id: str, permission_id: str, kind: str) -> str:
    """A person's name for a permission, or its id when ssoctl does not know it."""
    known = KNOWN.get((resource_app_id, permission_id, kind))
    if known:
        return known.name
    prefix = "" if resource_app_id == MICROSOFT_GRAPH else f"{resource_app_id}:"
    return f"{prefix}{permission_id} ({kind})"


def known_by_name(api: str, value: str, kind: str) -> Permission | None:
    """A Microsoft Graph permission by name from the table above (ids are the same in every
    tenant), so common profiles need no lookup; None when ssoctl does not know it by heart."""
    if api.strip().lower() not in ("microsoft graph", MICROSOFT_GRAPH):
        return None
    return next(
        (p for p in KNOWN.values() if p.type == kind and p.name.lower() == value.lower()),
        None,
    )

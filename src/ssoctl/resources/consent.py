"""What "Grant admin consent" means for a spec: the delegated scopes and application roles its
requiredResourceAccess asks for, per API. Pure; shared by the service principal, grant and role
assignment resources."""

from __future__ import annotations

from ssoctl.spec import AppSpec, Permission


def delegated_scopes(spec: AppSpec) -> dict[str, tuple[str, ...]]:
    """API appId -> the delegated permission names to grant for all users (sorted)."""
    if not spec.admin_consent:
        return {}
    scopes: dict[str, set[str]] = {}
    for perm in spec.permissions:
        if perm.type == "Scope":
            scopes.setdefault(perm.resource_app_id, set()).add(perm.name)
    return {api: tuple(sorted(names)) for api, names in sorted(scopes.items())}


def app_roles(spec: AppSpec) -> tuple[Permission, ...]:
    """The application permissions (app roles) to assign to the app's service principal."""
    if not spec.admin_consent:
        return ()
    return tuple(p for p in spec.permissions if p.type == "Role")


def resource_apps(spec: AppSpec) -> tuple[str, ...]:
    """The APIs whose service principals consent points at."""
    apis = set(delegated_scopes(spec)) | {p.resource_app_id for p in app_roles(spec)}
    return tuple(sorted(apis))

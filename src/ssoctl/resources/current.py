"""What exists in the tenant for one registration, read once before planning.

Graph's JSON becomes these small values in `from_json` constructors, so the diff functions work
on plain data and never see camelCase.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ssoctl.graph.mapping import AppState


@dataclass(frozen=True)
class ServicePrincipalState:
    object_id: str
    app_id: str
    display_name: str

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ServicePrincipalState:
        return cls(str(raw["id"]), str(raw.get("appId") or ""), str(raw.get("displayName") or ""))


@dataclass(frozen=True)
class GrantState:
    """A delegated permission grant: `scope` is Graph's space-separated list, as a tuple."""

    object_id: str
    client_id: str
    resource_id: str
    consent_type: str
    principal_id: str | None
    scopes: tuple[str, ...]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> GrantState:
        return cls(
            object_id=str(raw["id"]),
            client_id=str(raw.get("clientId") or ""),
            resource_id=str(raw.get("resourceId") or ""),
            consent_type=str(raw.get("consentType") or ""),
            principal_id=raw.get("principalId"),
            scopes=tuple((raw.get("scope") or "").split()),
        )


@dataclass(frozen=True)
class AssignmentState:
    """An application permission granted to the app's service principal."""

    object_id: str
    principal_id: str
    resource_id: str
    app_role_id: str

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> AssignmentState:
        return cls(
            object_id=str(raw["id"]),
            principal_id=str(raw.get("principalId") or ""),
            resource_id=str(raw.get("resourceId") or ""),
            app_role_id=str(raw.get("appRoleId") or ""),
        )


@dataclass(frozen=True)
class TenantView:
    """Everything a plan compares against. Consent parts are empty for portals that need none."""

    app: AppState | None
    service_principal: ServicePrincipalState | None = None
    resource_principals: Mapping[str, ServicePrincipalState] = field(default_factory=dict)  # by appId
    grants: tuple[GrantState, ...] = ()
    assignments: tuple[AssignmentState, ...] = ()

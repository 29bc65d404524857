"""Before the first change: does the signed-in identity have the roles and permissions it needs?

Entra answers a missing role with a 403 only when a request is made, so a command that creates an
application and then grants consent would stop half way. `preflight(graph, needs)` decides up front
from the access token's claims (`wids` for a user's directory roles, `scp` for delegated
permissions, `roles` for an application's permissions), asking Graph only for what the token does
not say (`/me/memberOf` when there is no `wids`; the authorization policy when a user without an
admin role wants to create an app). It raises `AuthError` (exit 4) naming each missing role or
permission and what to do. A verdict it cannot reach (an opaque token, a read Graph refused) is
"unknown" and does not stop anything: Graph still has the last word.

Commands that change the tenant call `preflight(graph, needs_of(plan))` (or with their own needs:
`Need.PROVISIONING` for provisioning); `ssoctl whoami` shows `assess(graph, ALL_NEEDS)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from ssoctl.directory_roles import (
    APP_MANAGERS,
    CONSENT_GRANTERS,
    GRAPH_APP_ROLE_GRANTERS,
    role_name,
)
from ssoctl.errors import AuthError

if TYPE_CHECKING:
    from ssoctl.graph.api import GraphApi
    from ssoctl.plan import Plan

PRESENT, MISSING, UNKNOWN = "present", "missing", "unknown"
# A delegated token with this scope acts with all of the user's directory rights.
ACCESS_AS_USER = "Directory.AccessAsUser.All"


class Need(Enum):
    """What a command is about to do, in the words the checks use."""

    APPS = "create and update app registrations, their secrets and service principals"
    DELEGATED_CONSENT = "grant admin consent to delegated permissions"
    APP_CONSENT = "grant admin consent to application permissions of Microsoft Graph"
    PROVISIONING = "configure provisioning (synchronization jobs)"


ALL_NEEDS: tuple[Need, ...] = tuple(Need)

# Delegated scope per need (a user's token), and the application permissions that satisfy it
# (an app-only token; a tuple needs all of its names).
_SCOPES: dict[Need, str] = {
    Need.APPS: "Application.ReadWrite.All",
    Need.DELEGATED_CONSENT: "DelegatedPermissionGrant.ReadWrite.All",
    Need.APP_CONSENT: "AppRoleAssignment.ReadWrite.All",
    Need.PROVISIONING: "Synchronization.ReadWrite.All",
}
_APP_PERMISSIONS: dict[Need, tuple[str, ...]] = {
    Need.APPS: ("Application.ReadWrite.All", "Application.ReadWrite.OwnedBy"),
    Need.DELEGATED_CONSENT: ("DelegatedPermissionGrant.ReadWrite.All",),
    Need.APP_CONSENT: ("AppRoleAssignment.ReadWrite.All",),
    Need.PROVISIONING: ("Synchronization.ReadWrite.All",),
}
_ROLES: dict[Need, frozenset[str]] = {
    Need.APPS: APP_MANAGERS,
    Need.DELEGATED_CONSENT: CONSENT_GRANTERS,
    Need.APP_CONSENT: GRAPH_APP_ROLE_GRANTERS,
    Need.PROVISIONING: APP_MANAGERS,
}


@dataclass(frozen=True)
class Check:
    """One requirement and whether the identity meets it."""

    need: Need
    requirement: str  # "Application Administrator, Cloud Application Administrator or ..."
    status: str  # present | missing | unknown
    fix: str = ""  # what to do when it is missing (or unknown)
    note: str = ""  # why it counts as present, when that is not obvious

    def as_json(self) -> dict[str, str]:
        doc = {"need": self.need.name.lower(), "requirement": self.requirement, "status": self.status}
        if self.fix:
            doc["fix"] = self.fix
        if self.note:
            doc["note"] = self.note
        return doc


@dataclass(frozen=True)
class Identity:
    """Who the token says is signed in (claims read, not verified: Graph verifies)."""

    kind: str  # user | app | unknown
    account: str  # upn / preferred_username, or the app's client ID
    tenant_id: str
    expires: datetime | None
    wids: frozenset[str] | None  # None: the token does not say
    scopes: frozenset[str]
    roles: frozenset[str]

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Identity:
        scp = claims.get("scp")
        roles = claims.get("roles")
        wids = claims.get("wids")
        exp = claims.get("exp")
        if isinstance(scp, str) or claims.get("idtyp") == "user":
            kind = "user"
        elif (
            claims.get("idtyp") == "app"
            or isinstance(roles, list)
            or claims.get("appid")
            or claims.get("azp")
        ):
            kind = "app"
        else:
            kind = "unknown"
        account = next(
            (str(claims[k]) for k in ("upn", "preferred_username", "unique_name", "email") if claims.get(k)),
            "",
        )
        if kind == "app":
            account = str(claims.get("appid") or claims.get("azp") or "")
        return cls(
            kind=kind,
            account=account,
            tenant_id=str(claims.get("tid") or ""),
            expires=datetime.fromtimestamp(exp, UTC) if isinstance(exp, int | float) else None,
            wids=frozenset(str(w).lower() for w in wids) if isinstance(wids, list) else None,
            scopes=frozenset(scp.split()) if isinstance(scp, str) else frozenset(),
            roles=frozenset(str(r) for r in roles) if isinstance(roles, list) else frozenset(),
        )


@dataclass
class Assessment:
    identity: Identity
    checks: list[Check] = field(default_factory=list)
    users_can_register_apps: bool | None = None

    def missing(self, needs: Iterable[Need] = ALL_NEEDS) -> list[Check]:
        wanted = set(needs)
        return [c for c in self.checks if c.need in wanted and c.status == MISSING]


def _names(template_ids: Iterable[str]) -> str:
    names = sorted({role_name(t) for t in template_ids}, key=_role_order)
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)


def _role_order(name: str) -> tuple[int, str]:
    order = ["Application Administrator", "Cloud Application Administrator", "Privileged Role Administrator"]
    return (order.index(name) if name in order else len(order), name)


class _Reader:
    """Asks Graph at most once for what the token does not say."""

    def __init__(self, graph: GraphApi, identity: Identity) -> None:
        self.graph = graph
        self.identity = identity
        self._wids: frozenset[str] | None = identity.wids
        self._wids_read = identity.wids is not None
        self._policy_read = False
        self._policy: bool | None = None

    def wids(self) -> frozenset[str] | None:
        if not self._wids_read:
            self._wids_read = True
            roles = self.graph.my_directory_roles()
            self._wids = frozenset(roles) if roles is not None else None
        return self._wids

    @property
    def policy_if_read(self) -> bool | None:
        """The policy's answer if it was asked for (None when not asked or not readable)."""
        return self._policy

    def users_can_register_apps(self) -> bool | None:
        if not self._policy_read:
            self._policy_read = True
            policy = self.graph.authorization_policy()
            perms = (policy or {}).get("defaultUserRolePermissions")
            value = perms.get("allowedToCreateApps") if isinstance(perms, dict) else None
            self._policy = value if isinstance(value, bool) else None
        return self._policy


def _user_checks(need: Need, reader: _Reader) -> list[Check]:
    identity = reader.identity
    checks: list[Check] = []
    roles = _ROLES[need]
    requirement = f"directory role {_names(roles)}"
    wids = reader.wids()
    if wids is None:
        checks.append(
            Check(
                need,
                requirement,
                UNKNOWN,
                fix="Graph would not list your directory roles; an admin can check them",
            )
        )
    elif wids & roles:
        held = _names(wids & roles)
        checks.append(Check(need, requirement, PRESENT, note=f"you are {held}"))
    elif need is Need.APPS:
        allowed = reader.users_can_register_apps()
        if allowed:
            note = (
                'no admin role, but "Users can register applications" is on: you can create app '
                "registrations and change the ones you own"
            )
            checks.append(Check(need, requirement, PRESENT, note=note))
        else:
            why = (
                '"Users can register applications" is off in this tenant and you have no admin role'
                if allowed is False
                else "you have no admin role (and whether users may register applications could not be read)"
            )
            status = MISSING if allowed is False else UNKNOWN
            fix = f"{why}: ask a Privileged Role Administrator to assign you {_names(roles)}"
            checks.append(Check(need, requirement, status, fix=fix))
    else:
        fix = f"ask a Privileged Role Administrator to assign you {_names(roles)}, or have such an admin run this step"
        checks.append(Check(need, requirement, MISSING, fix=fix))
    scope = _SCOPES[need]
    if scope in identity.scopes or ACCESS_AS_USER in identity.scopes:
        checks.append(Check(need, f"delegated permission {scope}", PRESENT))
    else:
        fix = (
            f"the token was issued without {scope}: sign in again with `ssoctl login` (its client "
            f"asks for it) or get a token that includes it"
        )
        checks.append(Check(need, f"delegated permission {scope}", MISSING, fix=fix))
    return checks


def _app_checks(need: Need, identity: Identity) -> list[Check]:
    options = _APP_PERMISSIONS[need]
    requirement = "application permission " + " or ".join(options)
    if identity.roles & set(options):
        return [Check(need, requirement, PRESENT)]
    fix = (
        f"grant {options[0]} to the application {identity.account or '(this app)'} with admin consent "
        "(Entra admin center → App registrations → API permissions → Microsoft Graph → Application "
        "permissions, then Grant admin consent), then get a new token"
    )
    return [Check(need, requirement, MISSING, fix=fix)]


def assess(graph: GraphApi, needs: Sequence[Need] = ALL_NEEDS) -> Assessment:
    """Every requirement of `needs`, each present, missing or unknown."""
    identity = Identity.from_claims(graph.token_claims())
    result = Assessment(identity)
    if identity.kind == "unknown":
        for need in needs:
            result.checks.append(
                Check(need, need.value, UNKNOWN, fix="the access token is not a JWT ssoctl can read")
            )
        return result
    reader = _Reader(graph, identity)
    for need in needs:
        result.checks += (
            _user_checks(need, reader) if identity.kind == "user" else _app_checks(need, identity)
        )
    result.users_can_register_apps = reader.policy_if_read
    return result


def preflight(graph: GraphApi, needs: Sequence[Need]) -> Assessment:
    """Stop (AuthError, exit 4) before the first change when a needed role or permission is missing."""
    if not needs:
        return Assessment(Identity("unknown", "", "", None, None, frozenset(), frozenset()))
    result = assess(graph, needs)
    missing = result.missing(needs)
    if missing:
        who = result.identity.account or "the signed-in identity"
        lacks = "; ".join(f"{c.requirement} (to {c.need.value})" for c in missing)
        raise AuthError(
            f"{who} lacks {lacks}: nothing was changed",
            hint="; ".join(dict.fromkeys(c.fix for c in missing if c.fix))
            + " (`ssoctl whoami` shows all checks)",
            code="preflight",
        )
    return result


def needs_of(plan: Plan) -> tuple[Need, ...]:
    """What applying `plan` needs: app writes, and each kind of consent it grants or revokes."""
    from ssoctl.resources.base import APPLICATION, GRANT, PASSWORD, ROLE_ASSIGNMENT, SERVICE_PRINCIPAL

    kinds = {step.resource for step in plan.steps if step.has_work}
    needs: list[Need] = []
    if kinds & {APPLICATION, PASSWORD, SERVICE_PRINCIPAL}:
        needs.append(Need.APPS)
    if GRANT in kinds:
        needs.append(Need.DELEGATED_CONSENT)
    if ROLE_ASSIGNMENT in kinds:
        needs.append(Need.APP_CONSENT)
    return tuple(needs)

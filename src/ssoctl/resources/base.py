"""The resource model's nouns: Action, Change, Step, and what apply hands from step to step.

A registration is a small graph of resources (an application, its client secret, its service
principal, consent objects, later provisioning jobs and portal identity providers). Each kind is a
module in this package with the same verbs: `read` (Graph → current state), `diff` (desired vs
current → one `Step`, pure), `apply` (carry out a step) and, where a half-done step must be taken
back, `undo`. `plan.diff` strings the steps together; `apply.apply_plan` runs them in dependency
order, independent ones at the same time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ssoctl.credentials import CredentialRef, IssuedSecret
    from ssoctl.graph.api import GraphApi
    from ssoctl.resources.current import TenantView
    from ssoctl.stores.base import Store


class Action(str, Enum):
    """Change kinds; `symbol` is what the human plan shows (Terraform's + ~ -)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NONE = "none"

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "delete": "-", "none": " "}[self.value]


# Resource kinds, in the order a plan lists them. The names are Graph's entity names.
APPLICATION = "application"
PASSWORD = "passwordCredential"
SERVICE_PRINCIPAL = "servicePrincipal"
GRANT = "oauth2PermissionGrant"
ROLE_ASSIGNMENT = "appRoleAssignment"
IDENTITY_PROVIDER = "identityProvider"  # the portal's, with --store pingone / okta (not Graph's)


@dataclass(frozen=True)
class Change:
    """One line of a plan: a setting (or a whole object) of one resource, before and after.

    `before`/`after` are what a person reads ("none" when absent); `detail` is the line's text.
    Never a secret's value: a client secret appears by key ID, name and expiry only.
    """

    resource: str
    action: Action
    target: str
    detail: str
    before: str | None = None
    after: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "resource": self.resource,
            "target": self.target,
            "detail": self.detail,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class Step:
    """One resource's unit of work: its changes, what it waits for, and what apply needs."""

    resource: str
    action: Action
    changes: tuple[Change, ...]
    needs: tuple[str, ...] = ()  # resource kinds whose steps must be applied first
    payload: Any = None  # kind-specific desired data (frozen); never a secret
    key: str = ""  # which one, when a plan has several of a kind (e.g. the API a grant is for)

    @property
    def has_work(self) -> bool:
        return any(c.action is not Action.NONE for c in self.changes)


@dataclass
class ApplyContext:
    """What a step's `apply` works with, and what it leaves for later steps.

    Steps may run at the same time: each writes only its own fields, and `use` is locked.
    `issued` holds the new secret's text in memory only (for --show-secret), never on disk.
    """

    graph: GraphApi
    current: TenantView
    store: Store | None
    ref: CredentialRef
    open_store: Callable[[str], Store]
    object_id: str = ""
    app_id: str = ""
    service_principal_id: str = ""
    issued: IssuedSecret | None = None
    stored_in: str | None = None
    warnings: list[str] = field(default_factory=list)
    used: dict[str, list[str]] = field(default_factory=dict)  # resource kind -> object IDs in use
    # Called with a new secret's display name before addPassword is sent (apply records it in
    # state.json, so a run killed mid-request leaves a trace the next run finds).
    before_secret: Callable[[str], None] = field(default=lambda _name: None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def use(self, kind: str, object_id: str) -> None:
        """Record that this registration uses `object_id` (state.json keeps the list)."""
        with self._lock:
            ids = self.used.setdefault(kind, [])
            if object_id not in ids:
                ids.append(object_id)

    def warn(self, text: str) -> None:
        with self._lock:
            self.warnings.append(text)

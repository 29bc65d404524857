"""The plan: every change a command will make, as an ordered list of typed steps. Pure.

`diff(spec, current, secret_status, ...)` never talks to Graph or a store: the caller reads the
tenant (`resources.read_current`), the state record and the store first. Each resource kind
decides its own step (`resources/<kind>.py`); this module only strings them together in the order
a person reads them and apply runs them. A plan is shown (human or JSON), confirmed, then handed to
`apply.apply_plan`. It never holds a secret's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ssoctl.graph.mapping import AppState
from ssoctl.resources import application, grant, password, role_assignment, service_principal
from ssoctl.resources.base import APPLICATION, PASSWORD, Action, Change, Step
from ssoctl.resources.current import TenantView
from ssoctl.resources.password import NO_STORE, SECRET_NAME_PREFIX, NewSecret, SecretPlan, SecretStatus
from ssoctl.spec import AppSpec

__all__ = [
    "NO_STORE",
    "SECRET_NAME_PREFIX",
    "Action",
    "Change",
    "NewSecret",
    "Plan",
    "SecretStatus",
    "Step",
    "diff",
]


@dataclass(frozen=True)
class Plan:
    spec: AppSpec
    tenant: TenantView
    steps: tuple[Step, ...]

    @property
    def current(self) -> AppState | None:
        """The application as it is now (None: it will be created)."""
        return self.tenant.app

    @property
    def write_application(self) -> bool:
        """The application itself is created or updated (not only its secret or consent)."""
        return any(s.resource == APPLICATION and s.has_work for s in self.steps)

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(c for step in self.steps for c in step.changes)

    @property
    def has_changes(self) -> bool:
        return any(step.has_work for step in self.steps)

    @property
    def counts(self) -> dict[str, int]:
        changes = self.changes
        return {a.value: sum(c.action is a for c in changes) for a in Action if a is not Action.NONE}

    @property
    def secret(self) -> SecretPlan:
        step = next(s for s in self.steps if s.resource == PASSWORD)
        plan: SecretPlan = step.payload
        return plan

    @property
    def new_secret(self) -> NewSecret | None:
        return self.secret.new


def diff(
    spec: AppSpec,
    current: TenantView,
    status: SecretStatus,
    *,
    store: str,
    now: datetime,
    tag: str,
) -> Plan:
    """Compare desired and current for every resource the portal needs.

    `tag` makes the new secret's display name unique, so a failed addPassword can be found again.
    """
    steps: list[Step] = [
        application.diff(spec, current.app),
        password.diff(spec, current.app, status, store=store, now=now, tag=tag),
    ]
    sp_step = service_principal.diff(spec, current.app, current.service_principal)
    if sp_step is not None:
        steps.append(sp_step)
        steps += grant.diff(spec, current)
        steps += role_assignment.diff(spec, current)
    return Plan(spec, current, tuple(steps))

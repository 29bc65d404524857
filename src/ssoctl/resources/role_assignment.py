"""Application permissions consented: one `appRoleAssignment` per app role, on the API's
service principal (`appRoleAssignedTo`), looked up first so a re-run never asks twice."""

from __future__ import annotations

from dataclasses import dataclass

from ssoctl.errors import GraphError
from ssoctl.graph.api import GraphApi
from ssoctl.portals.graph_permissions import api_name, describe
from ssoctl.resources.base import ROLE_ASSIGNMENT, SERVICE_PRINCIPAL, Action, ApplyContext, Change, Step
from ssoctl.resources.consent import app_roles
from ssoctl.resources.current import AssignmentState, ServicePrincipalState, TenantView
from ssoctl.spec import AppSpec

ALREADY_EXISTS = "already exists"  # Entra: "Permission being assigned already exists on the object."


@dataclass(frozen=True)
class AssignmentPlan:
    resource_id: str  # the API's service principal
    app_role_id: str


def read(graph: GraphApi, service_principal: ServicePrincipalState | None) -> tuple[AssignmentState, ...]:
    return _assigned_to(graph, service_principal.object_id) if service_principal else ()


def _assigned_to(graph: GraphApi, principal_id: str) -> tuple[AssignmentState, ...]:
    return tuple(AssignmentState.from_json(raw) for raw in graph.list_app_role_assignments(principal_id))


def _find(
    assignments: tuple[AssignmentState, ...], principal_id: str, plan: AssignmentPlan
) -> AssignmentState | None:
    return next(
        (
            a
            for a in assignments
            if a.principal_id == principal_id
            and a.resource_id == plan.resource_id
            and a.app_role_id.lower() == plan.app_role_id.lower()
        ),
        None,
    )


def diff(spec: AppSpec, view: TenantView) -> list[Step]:
    steps = []
    sp = view.service_principal
    for role in app_roles(spec):
        resource = view.resource_principals[role.resource_app_id]
        plan = AssignmentPlan(resource.object_id, role.id)
        name = f"{api_name(role.resource_app_id)}: {describe(role.resource_app_id, role.id, role.type)}"
        found = _find(view.assignments, sp.object_id, plan) if sp else None
        if found is None:
            change = Change(
                ROLE_ASSIGNMENT,
                Action.CREATE,
                ROLE_ASSIGNMENT,
                f"{name} (application permission, admin consent)",
                before="none",
                after=name,
            )
            action = Action.CREATE
        else:
            change = Change(
                ROLE_ASSIGNMENT, Action.NONE, ROLE_ASSIGNMENT, f"{name} (application permission) granted"
            )
            action = Action.NONE
        steps.append(
            Step(ROLE_ASSIGNMENT, action, (change,), needs=(SERVICE_PRINCIPAL,), payload=plan, key=name)
        )
    return steps


def apply(step: Step, ctx: ApplyContext) -> None:
    plan: AssignmentPlan = step.payload
    body = {
        "principalId": ctx.service_principal_id,
        "resourceId": plan.resource_id,
        "appRoleId": plan.app_role_id,
    }
    try:
        created = ctx.graph.assign_app_role(plan.resource_id, body)
        ctx.use(ROLE_ASSIGNMENT, str(created["id"]))
    except GraphError as exc:
        if exc.status != 400 or ALREADY_EXISTS not in exc.message.lower():
            raise
        # Made meanwhile (another run, or a retried POST whose first answer was lost): adopt it.
        found = _find(_assigned_to(ctx.graph, ctx.service_principal_id), ctx.service_principal_id, plan)
        if found is None:
            raise
        ctx.use(ROLE_ASSIGNMENT, found.object_id)

"""Delegated permissions consented for all users: one `oauth2PermissionGrant` per API.

Entra allows one AllPrincipals grant per client and API (a second is 409
`Request_MultipleObjectsWithSameKeyValue`), so ssoctl looks first and merges the scopes it needs
into the grant that exists, never making a second one and never taking scopes away.
"""

from __future__ import annotations

from dataclasses import dataclass

from ssoctl.errors import GraphError
from ssoctl.graph.api import GraphApi
from ssoctl.portals.graph_permissions import api_name
from ssoctl.resources.base import GRANT, SERVICE_PRINCIPAL, Action, ApplyContext, Change, Step
from ssoctl.resources.consent import delegated_scopes
from ssoctl.resources.current import GrantState, ServicePrincipalState, TenantView
from ssoctl.spec import AppSpec

ALL_PRINCIPALS = "AllPrincipals"
DUPLICATE = "Request_MultipleObjectsWithSameKeyValue"


@dataclass(frozen=True)
class GrantPlan:
    api_app_id: str
    resource_id: str  # the API's service principal
    grant_id: str | None  # None: create
    scope: str  # the whole scope to hold afterwards, space-separated


def read(graph: GraphApi, service_principal: ServicePrincipalState | None) -> tuple[GrantState, ...]:
    if service_principal is None:
        return ()
    return tuple(
        GrantState.from_json(raw) for raw in graph.list_permission_grants(service_principal.object_id)
    )


def _tenant_wide(view: TenantView, resource_id: str) -> GrantState | None:
    sp = view.service_principal
    return next(
        (
            g
            for g in view.grants
            if sp is not None
            and g.client_id == sp.object_id
            and g.resource_id == resource_id
            and g.consent_type == ALL_PRINCIPALS
        ),
        None,
    )


def diff(spec: AppSpec, view: TenantView) -> list[Step]:
    steps = []
    for api, scopes in delegated_scopes(spec).items():
        resource = view.resource_principals[api]
        name = api_name(api)
        existing = _tenant_wide(view, resource.object_id)
        if existing is None:
            scope = " ".join(scopes)
            change = Change(
                GRANT,
                Action.CREATE,
                GRANT,
                f"{name}: {scope} for all users (admin consent, delegated)",
                before="none",
                after=scope,
            )
            action = Action.CREATE
            plan = GrantPlan(api, resource.object_id, None, scope)
        else:
            missing = [s for s in scopes if s not in existing.scopes]
            before = " ".join(existing.scopes) or "none"
            if missing:
                scope = " ".join((*existing.scopes, *missing))
                change = Change(GRANT, Action.UPDATE, GRANT, f"{name}: {before} → {scope}", before, scope)
                action = Action.UPDATE
            else:
                scope = " ".join(existing.scopes)
                change = Change(GRANT, Action.NONE, GRANT, f"{name}: {scope} consented for all users")
                action = Action.NONE
            plan = GrantPlan(api, resource.object_id, existing.object_id, scope)
        steps.append(Step(GRANT, action, (change,), needs=(SERVICE_PRINCIPAL,), payload=plan, key=name))
    return steps


def apply(step: Step, ctx: ApplyContext) -> None:
    plan: GrantPlan = step.payload
    graph = ctx.graph
    if plan.grant_id is not None:
        graph.update_permission_grant(plan.grant_id, plan.scope)
        ctx.use(GRANT, plan.grant_id)
        return
    body = {
        "clientId": ctx.service_principal_id,
        "consentType": ALL_PRINCIPALS,
        "resourceId": plan.resource_id,
        "scope": plan.scope,
    }
    try:
        grant_id = str(graph.create_permission_grant(body)["id"])
    except GraphError as exc:
        if exc.graph_code != DUPLICATE:
            raise
        grant_id = _merge_into_existing(ctx, plan)  # made meanwhile (another run, or a retried POST)
    ctx.use(GRANT, grant_id)


def _merge_into_existing(ctx: ApplyContext, plan: GrantPlan) -> str:
    for raw in ctx.graph.list_permission_grants(ctx.service_principal_id):
        grant = GrantState.from_json(raw)
        if grant.resource_id == plan.resource_id and grant.consent_type == ALL_PRINCIPALS:
            wanted = plan.scope.split()
            merged = " ".join((*grant.scopes, *(s for s in wanted if s not in grant.scopes)))
            if merged != " ".join(grant.scopes):
                ctx.graph.update_permission_grant(grant.object_id, merged)
            return grant.object_id
    raise GraphError(
        "Microsoft Graph reported a duplicate grant that cannot be found",
        status=409,
        hint="the grant is probably still replicating: run the command again in a minute",
    )

"""The app's service principal (its "enterprise application"): what consent is granted to.

Created with the idempotent upsert `PATCH /servicePrincipals(appId=…)` + `create-if-missing`, so
a retried or concurrent create can never make a second one. A brand-new application may not have
replicated yet; the Graph client waits that out.
"""

from __future__ import annotations

from ssoctl.errors import GraphError
from ssoctl.graph.api import GraphApi
from ssoctl.graph.mapping import AppState
from ssoctl.portals.graph_permissions import api_name
from ssoctl.resources.application import expectation
from ssoctl.resources.base import APPLICATION, SERVICE_PRINCIPAL, Action, ApplyContext, Change, Step
from ssoctl.resources.consent import resource_apps
from ssoctl.resources.current import ServicePrincipalState
from ssoctl.spec import AppSpec
from ssoctl.state import Registration


def read(
    graph: GraphApi, spec: AppSpec, app: AppState | None, record: Registration | None = None
) -> tuple[ServicePrincipalState | None, dict[str, ServicePrincipalState]]:
    """The app's service principal and the APIs', in one request (`appId in (…)`). When ssoctl's
    record says it made the app's service principal, a list without it is read again (a new
    service principal is left out of lists until it replicates, graph.lag)."""
    apis = resource_apps(spec)
    wanted = ([app.app_id] if app else []) + list(apis)
    made = bool(
        app
        and record
        and record.app_id.lower() == app.app_id.lower()
        and record.resources.get(SERVICE_PRINCIPAL)
        and expectation(record) is not None  # made recently enough to be replicating still
    )
    expect = [app.app_id] if app and made else []
    found = [ServicePrincipalState.from_json(raw) for raw in graph.list_service_principals(wanted, expect)]
    by_app_id = {sp.app_id.lower(): sp for sp in found}
    own = by_app_id.get(app.app_id.lower()) if app else None
    resources = {}
    for api in apis:
        sp = by_app_id.get(api.lower())
        if sp is None:
            raise GraphError(
                f"the service principal of {api_name(api)} ({api}) is not in this tenant, so consent "
                "to its permissions cannot be granted",
                status=404,
                hint=f"an admin can add it with `az ad sp create --id {api}`; then run the command again",
            )
        resources[api] = sp
    return own, resources


def diff(spec: AppSpec, app: AppState | None, current: ServicePrincipalState | None) -> Step | None:
    if not spec.admin_consent:
        return None
    if current is not None:
        line = Change(
            SERVICE_PRINCIPAL,
            Action.NONE,
            SERVICE_PRINCIPAL,
            f"enterprise application {current.display_name or spec.display_name} ({current.object_id})",
        )
        return Step(SERVICE_PRINCIPAL, Action.NONE, (line,), needs=(APPLICATION,), payload=spec)
    for_app = f" (appId {app.app_id})" if app else ""
    line = Change(
        SERVICE_PRINCIPAL,
        Action.CREATE,
        SERVICE_PRINCIPAL,
        f"enterprise application for {spec.display_name}{for_app}, the object admin consent is granted to",
        after=spec.display_name,
    )
    return Step(SERVICE_PRINCIPAL, Action.CREATE, (line,), needs=(APPLICATION,), payload=spec)


def apply(step: Step, ctx: ApplyContext) -> None:
    """Create the service principal (an existing one is never a step with work)."""
    spec: AppSpec = step.payload
    created = ctx.graph.upsert_service_principal(ctx.app_id, {"displayName": spec.display_name})
    if created is None:  # it existed after all (another run made it): read its id
        raw = ctx.graph.get_service_principal(ctx.app_id)
        if raw is None:
            raise GraphError(
                f"the service principal of {ctx.app_id} vanished right after it was written",
                status=404,
                hint="someone may have deleted the enterprise application meanwhile: run the command again",
            )
        created = raw
    ctx.service_principal_id = str(created["id"])
    ctx.use(SERVICE_PRINCIPAL, ctx.service_principal_id)

"""The resource kinds a registration is made of, and reading them all before a plan.

Adding a kind: a module here with `read`, `diff` (pure, returns Steps) and `apply(step, ctx)`;
add it to `APPLY` below, to `read_current` if it has state in Graph, and to `plan.diff`. Its steps
name the kinds they need (`Step.needs`); apply runs a step once every step of those kinds is done.
"""

from __future__ import annotations

from collections.abc import Callable

from ssoctl.graph.api import GraphApi
from ssoctl.graph.mapping import AppState
from ssoctl.resources import (
    application,
    grant,
    identity_provider,
    password,
    role_assignment,
    service_principal,
)
from ssoctl.resources.base import (
    APPLICATION,
    GRANT,
    IDENTITY_PROVIDER,
    PASSWORD,
    ROLE_ASSIGNMENT,
    SERVICE_PRINCIPAL,
    ApplyContext,
    Step,
)
from ssoctl.resources.current import TenantView
from ssoctl.spec import AppSpec
from ssoctl.state import Registration

# How each kind's step is carried out.
APPLY: dict[str, Callable[[Step, ApplyContext], None]] = {
    APPLICATION: application.apply,
    PASSWORD: password.apply,
    SERVICE_PRINCIPAL: service_principal.apply,
    GRANT: grant.apply,
    ROLE_ASSIGNMENT: role_assignment.apply,
    IDENTITY_PROVIDER: identity_provider.apply,
}


def read_current(graph: GraphApi, spec: AppSpec, record: Registration | None = None) -> TenantView:
    """Everything the plan compares, in as few requests as Graph allows.

    emnify: 1 (the application). With admin consent: + 1 for the app's and the APIs' service
    principals together, and, once the app's service principal exists, + 1 each for its grants
    and its app role assignments. With ssoctl's `record`, reads that lack what ssoctl wrote are
    repeated while replication may be hiding it (graph.lag).
    """
    return read_around(graph, spec, application.read(graph, spec, record), record)


def read_around(
    graph: GraphApi, spec: AppSpec, app: AppState | None, record: Registration | None = None
) -> TenantView:
    """The rest of the tenant view for an application already read (consent, when the portal
    needs it): for commands that read the app first to learn how it was registered."""
    if not spec.admin_consent:
        return TenantView(app)
    own, apis = service_principal.read(graph, spec, app, record)
    return TenantView(
        app,
        service_principal=own,
        resource_principals=apis,
        grants=grant.read(graph, own),
        assignments=role_assignment.read(graph, own),
    )

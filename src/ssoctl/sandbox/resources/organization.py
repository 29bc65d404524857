"""`/organization`: the sandbox tenant itself (id, name, verified domains)."""

from __future__ import annotations

from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox.odata import Key
from ssoctl.sandbox.resources.common import (
    JSON,
    ORGANIZATION_READ,
    context_url,
    project,
)
from ssoctl.sandbox.router import Context, Response, Router
from ssoctl.sandbox.schema import load_schema

TYPE = "organization"
ENTITY_SET = "organization"


def register(router: Router) -> None:
    router.add("GET", "/organization", list_organization, permissions=ORGANIZATION_READ)
    router.add("GET", "/organization/{org}", get_organization, permissions=ORGANIZATION_READ)


def _organization(ctx: Context) -> JSON:
    state = ctx.state
    org: JSON = {}
    for name, prop in load_schema().properties(TYPE).items():
        org[name] = [] if prop.is_collection else None
    org.update(
        id=state["tenantId"],
        displayName=state["displayName"],
        createdDateTime=state["createdDateTime"],
        tenantType="AAD",
        countryLetterCode="US",
        preferredLanguage="en",
        verifiedDomains=[dict(d) for d in state["verifiedDomains"]],
    )
    return org


def list_organization(ctx: Context) -> Response:
    select = ctx.request.query.select
    known = load_schema().properties(TYPE)
    body = {
        "@odata.context": context_url(ctx.base_url, ENTITY_SET, select, entity=False),
        "value": [project(_organization(ctx), select, known)],
    }
    return Response(200, body)


def get_organization(ctx: Context) -> Response:
    segment = ctx.params["org"]
    wanted = segment.value if isinstance(segment, Key) else segment
    if wanted.lower() != str(ctx.state["tenantId"]).lower():
        raise ge.resource_not_found(wanted)
    select = ctx.request.query.select
    body = project(_organization(ctx), select, load_schema().properties(TYPE))
    return Response(
        200, {"@odata.context": context_url(ctx.base_url, ENTITY_SET, select, entity=True), **body}
    )

"""`/applicationTemplates`: the Entra app gallery (list, get) and `instantiate`.

Behaviour follows the Graph v1.0 pages applicationtemplate-list, -get and -instantiate: a template
is read-only gallery data; instantiating one adds an application and its service principal to the
tenant (201 with an `applicationServicePrincipal`), both tagged with the template's id and both
subject to replication lag like any new object.

The gallery here holds the templates ssoctl uses plus Microsoft's documented examples. Federated
Directory's real template id is not published anywhere we could find, so its id below is a made-up
GUID; clients should find it by `displayName` (as GRAPH.md does), never by id.
"""

from __future__ import annotations

import uuid
from typing import Any

from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox import replication
from ssoctl.sandbox.odata import Key, parse_filter
from ssoctl.sandbox.resources import applications, service_principals
from ssoctl.sandbox.resources.common import (
    APPLICATION_READ,
    JSON,
    SERVICE_PRINCIPAL_WRITE,
    check_filter,
    matches,
    page,
    project,
    readable,
)
from ssoctl.sandbox.router import Context, Response, Router
from ssoctl.sandbox.schema import Validator, load_schema

TYPE = "applicationTemplate"
ENTITY_SET = "applicationTemplates"
RESOURCE = "ApplicationTemplate"
FEDERATED_DIRECTORY_TEMPLATE_ID = "5cc2ce4e-3c24-4e4b-9b7a-2c1b7f0d9a61"  # made up: see the module doc
FEDERATED_DIRECTORY = "Federated Directory"
# Gallery apps are tagged like this on their service principal (applicationtemplate-instantiate
# example response).
GALLERY_TAGS = ["WindowsAzureActiveDirectoryIntegratedApp"]
FILTERABLE = {"eq": ("displayName", "id"), "startswith": ("displayName",)}


def _template(template_id: str, name: str, publisher: str, home: str, **extra: Any) -> JSON:
    body = load_schema().blank(TYPE)
    body.update(
        id=template_id,
        displayName=name,
        publisher=publisher,
        homePageUrl=home,
        categories=extra.get("categories", []),
        description=extra.get("description"),
        supportedProvisioningTypes=extra.get("provisioning", []),
        supportedSingleSignOnModes=extra.get("sso", []),
        isEntraIntegrated=True,
    )
    return body


GALLERY: tuple[JSON, ...] = (
    _template(
        FEDERATED_DIRECTORY_TEMPLATE_ID,
        FEDERATED_DIRECTORY,
        "Federated Directory",
        "https://www.federated.directory",
        categories=["collaboration", "businessMgmt"],
        description="Federated Directory: a company directory shared between organisations; SCIM 2.0 provisioning.",
        provisioning=["sync"],
        sso=["oidc"],
    ),
    # The documented non-gallery template (applicationtemplate-instantiate) and the example one.
    _template(
        "8adf8e6e-67b2-4cf2-a259-e3dc5476c621",
        "Custom",
        "Microsoft Corporation",
        "",
        sso=["saml", "password"],
    ),
    _template(
        "229946b9-a9fb-45b8-9531-efa47453ac9e",
        "Microsoft Entra SAML Toolkit",
        "Microsoft Corporation",
        "https://samltoolkit.azurewebsites.net/",
        sso=["saml"],
    ),
)


def register(router: Router) -> None:
    router.add("GET", "/applicationTemplates", list_templates, permissions=APPLICATION_READ)
    router.add("GET", "/applicationTemplates/{template}", get_template, permissions=APPLICATION_READ)
    router.add(
        "POST",
        "/applicationTemplates/{template}/instantiate",
        instantiate,
        permissions=SERVICE_PRINCIPAL_WRITE,
    )


def _lookup(ctx: Context) -> JSON:
    segment = ctx.params["template"]
    wanted = segment.value if isinstance(segment, Key) else segment
    for template in GALLERY:
        if template["id"].casefold() == wanted.casefold():
            return template
    raise ge.resource_not_found(wanted)


def list_templates(ctx: Context) -> Response:
    query = ctx.request.query
    conditions = parse_filter(query.filter, resource=RESOURCE) if query.filter else []
    known = load_schema().properties(TYPE)
    check_filter(conditions, known, FILTERABLE, RESOURCE)
    found = [t for t in GALLERY if matches(t, conditions)]
    return page(ctx, found, path=ENTITY_SET, context=ENTITY_SET, known=known, shown=dict)


def get_template(ctx: Context) -> Response:
    select = ctx.request.query.select
    body = project(_lookup(ctx), select, load_schema().properties(TYPE))
    return Response(200, {"@odata.context": f"{ctx.base_url}/$metadata#{ENTITY_SET}/$entity", **body})


def instantiate(ctx: Context) -> Response:
    """Add the gallery app to the tenant: an application and its service principal (201)."""
    template = _lookup(ctx)
    body = Validator().check_action(ctx.json_body(required=False), "applicationTemplate.instantiate")
    name = body.get("displayName") or template["displayName"]
    if not isinstance(name, str) or not name.strip():
        raise ge.invalid_value("displayName", "Application")
    state = ctx.state
    domain = next((d["name"] for d in state["verifiedDomains"] if d.get("isDefault")), "")
    app = applications.new_application(
        load_schema(), object_id=str(uuid.uuid4()), app_id=str(uuid.uuid4()), now=ctx.now, domain=domain
    )
    app.update(
        displayName=name,
        applicationTemplateId=template["id"],
        signInAudience="AzureADMyOrg",
        tags=list(GALLERY_TAGS),
    )
    app["web"]["homePageUrl"] = template.get("homePageUrl") or None
    sp = service_principals.new_service_principal(
        object_id=str(uuid.uuid4()), app=app, tenant_id=str(state["tenantId"])
    )
    sp.update(applicationTemplateId=template["id"], preferredSingleSignOnMode=None)
    state["applications"][app["id"]] = app
    state["servicePrincipals"][sp["id"]] = sp
    replication.start(state, app["id"], ctx.faults.replication_hits)
    replication.start(state, sp["id"], ctx.faults.replication_hits)
    return Response(
        201,
        {
            "@odata.context": f"{ctx.base_url}/$metadata#microsoft.graph.applicationServicePrincipal",
            "application": readable(app),
            "servicePrincipal": service_principals.shown(sp),
        },
    )

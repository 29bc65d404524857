"""`/applications/{app}/federatedIdentityCredentials`: which outside tokens may sign in as the app
(federatedidentitycredential-post, -list, -delete). The login server checks assertions against
them (login_flows.py); at most 20 per application, names unique per application, as in Entra."""

from __future__ import annotations

import uuid

from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox.federation import FEDERATED
from ssoctl.sandbox.resources import applications
from ssoctl.sandbox.resources.common import APPLICATION_READ, APPLICATION_WRITE, JSON
from ssoctl.sandbox.router import Context, Response, Router

MAX_PER_APP = 20
FIELDS = ("name", "issuer", "subject", "audiences", "description")


def register(router: Router) -> None:
    base = "/applications/{app}/federatedIdentityCredentials"
    router.add("GET", base, list_credentials, permissions=APPLICATION_READ)
    router.add(
        "POST", base, create_credential, permissions=APPLICATION_WRITE, authorize=applications.may_change
    )
    router.add(
        "DELETE",
        f"{base}/{{fic}}",
        delete_credential,
        permissions=APPLICATION_WRITE,
        authorize=applications.may_change,
    )


def _of(ctx: Context) -> tuple[JSON, list[JSON]]:
    app = applications.lookup(ctx)
    creds: list[JSON] = ctx.state.setdefault(FEDERATED, {}).setdefault(str(app["id"]), [])
    return app, creds


def list_credentials(ctx: Context) -> Response:
    app, creds = _of(ctx)
    context = f"{ctx.base_url}/$metadata#applications('{app['id']}')/federatedIdentityCredentials"
    return Response(200, {"@odata.context": context, "value": [dict(c) for c in creds]})


def create_credential(ctx: Context) -> Response:
    app, creds = _of(ctx)
    body = ctx.json_body()
    if not isinstance(body, dict):
        raise ge.unreadable_json()
    for name in body:
        if name not in FIELDS and not name.startswith("@"):
            raise ge.undeclared_property(name)
    for name in ("name", "issuer", "subject"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise ge.required_missing(name)
    audiences = body.get("audiences")
    if not isinstance(audiences, list) or len(audiences) != 1 or not isinstance(audiences[0], str):
        raise ge.invalid_value("audiences", "FederatedIdentityCredential")
    if any(c["name"].casefold() == body["name"].casefold() for c in creds):
        raise ge.object_conflict("name")
    if len(creds) >= MAX_PER_APP:
        raise ge.bad_request(
            "The number of federated identity credentials on this application has reached its limit of 20."
        )
    cred = {
        "id": str(uuid.uuid4()),
        "name": body["name"],
        "issuer": body["issuer"],
        "subject": body["subject"],
        "audiences": list(audiences),
        "description": body.get("description"),
    }
    creds.append(cred)
    context = f"{ctx.base_url}/$metadata#applications('{app['id']}')/federatedIdentityCredentials/$entity"
    return Response(201, {"@odata.context": context, **cred})


def delete_credential(ctx: Context) -> Response:
    _, creds = _of(ctx)
    wanted = ctx.params["fic"]
    key = wanted.value if hasattr(wanted, "value") else wanted
    for cred in list(creds):
        if str(key).casefold() in (cred["id"].casefold(), cred["name"].casefold()):
            creds.remove(cred)
            return Response(204)
    raise ge.resource_not_found(str(key))

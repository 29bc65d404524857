"""The sandbox's login server: the part of Entra's `login.microsoftonline.com` that ssoctl checks.

Served on the same port as Graph, under the tenant instead of `/v1.0`:

- `POST /{tenant}/oauth2/v2.0/token` with `grant_type=client_credentials`: a token for an app of
  this tenant authenticated with one of its current client secrets (form `client_secret`, or
  HTTP Basic as `client_secret_basic`); anything else gets Entra's AADSTS error JSON.
- `GET /{tenant}/v2.0/.well-known/openid-configuration`: the OpenID Connect metadata document
  (what a portal's "Discovery Endpoint" fetches), and `GET /{tenant}/discovery/v2.0/keys`.

`{tenant}` is the tenant id or a verified domain. The tenant keeps no secret text: addPassword
records a salted SHA-256 of each new secret here (`remember_secret`), and the token endpoint
compares against it in constant time.

Extending it (other grant types, client assertions): add a function to `GRANTS`, or a client
authentication method to `_authenticate_client`; errors are `LoginError`s built by `aadsts`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote

from ssoctl.sandbox import replication
from ssoctl.sandbox.auth import issue_token
from ssoctl.sandbox.faults import Faults
from ssoctl.sandbox.resources.common import parse_graph_time

JSON = dict[str, Any]
HASHES = "clientSecretHashes"  # keyId -> {"salt", "sha256"}: never the text itself
GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
TOKEN_LIFETIME = 3599  # what Entra answers in expires_in for an app-only token
DEFAULT_SUFFIX = "/.default"
# /{tenant}/oauth2/v2.0/token, /{tenant}/v2.0/.well-known/openid-configuration, /{tenant}/discovery/v2.0/keys
_LOGIN_PATH = re.compile(
    r"^/(?P<tenant>[^/]+)/(?P<what>oauth2/v2\.0/token|oauth2/v2\.0/devicecode|oauth2/v2\.0/authorize"
    r"|_sandbox/devicecode/approve"
    r"|v2\.0/\.well-known/openid-configuration|discovery/v2\.0/keys)/?$"
)
FORM = "application/x-www-form-urlencoded"
OIDC_CLAIMS = (
    "sub iss cloud_instance_name cloud_instance_host_name cloud_graph_host_name msgraph_host aud exp "
    "iat auth_time acr nonce preferred_username name tid ver at_hash c_hash email"
)


# --- Secrets: a hash per keyId, written by addPassword ------------------------------------------


def remember_secret(state: JSON, key_id: str, text: str, *, lag_hits: int = 0) -> None:
    """Record a new client secret's salted hash (the text itself is never stored).

    `lag_hits`: Entra may refuse a brand-new secret with AADSTS7000215 for a short while; the next
    `lag_hits` token requests that present it are refused (Faults.secret_lag_hits).
    """
    salt = secrets.token_hex(16)
    state.setdefault(HASHES, {})[key_id.lower()] = {"salt": salt, "sha256": _digest(salt, text)}
    replication.start(state, _lag_key(key_id), lag_hits)


def forget_secret(state: JSON, key_id: str) -> None:
    """A removed credential: its hash and any pending lag go too."""
    state.setdefault(HASHES, {}).pop(key_id.lower(), None)
    replication.forget(state, _lag_key(key_id))


def _lag_key(key_id: str) -> str:
    return f"secret:{key_id.lower()}"


def _digest(salt: str, text: str) -> str:
    return hashlib.sha256(f"{salt}:{text}".encode()).hexdigest()


def _matches(state: JSON, key_id: str, text: str) -> bool:
    record = state.get(HASHES, {}).get(key_id.lower())
    if not isinstance(record, dict):
        return False  # a secret made before the sandbox kept hashes: it can never be checked
    return hmac.compare_digest(_digest(str(record["salt"]), text), str(record["sha256"]))


# --- Requests and answers ------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginRequest:
    method: str
    tenant: str  # as written in the path (tenant id or domain)
    what: str  # "token", "openid-configuration" or "keys"
    headers: Mapping[str, str]
    form: Mapping[str, str]
    base_url: str
    now: datetime
    trace_id: str
    correlation_id: str


@dataclass
class LoginAnswer:
    status: int
    body: JSON
    headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None  # "replication" when an injected fault gave the answer
    raw: bytes | None = None  # an HTML page instead of `body` (authorize with response_mode=form_post)


class LoginError(Exception):
    """An Entra error answer: `{"error", "error_description", "error_codes", "timestamp", ...}`."""

    def __init__(self, status: int, error: str, code: int, text: str) -> None:
        super().__init__(f"AADSTS{code}: {text}")
        self.status, self.error, self.code, self.text = status, error, code, text
        self.fault: str | None = None

    def answer(self, request: LoginRequest) -> LoginAnswer:
        stamp = request.now.strftime("%Y-%m-%d %H:%M:%SZ")
        description = (
            f"AADSTS{self.code}: {self.text}\r\nTrace ID: {request.trace_id}\r\n"
            f"Correlation ID: {request.correlation_id}\r\nTimestamp: {stamp}"
        )
        body = {
            "error": self.error,
            "error_description": description,
            "error_codes": [self.code],
            "timestamp": stamp,
            "trace_id": request.trace_id,
            "correlation_id": request.correlation_id,
            "error_uri": f"{request.base_url}/error?code={self.code}",
        }
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm=""'
        return LoginAnswer(self.status, body, headers, self.fault)


def aadsts(code: int, **values: str) -> LoginError:
    """The error Entra answers for AADSTS`code` (texts as Entra writes them)."""
    status, error, template = ERRORS[code]
    return LoginError(status, error, code, template.format(**values))


ERRORS: dict[int, tuple[int, str, str]] = {
    90002: (
        400,
        "invalid_tenant",
        "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing "
        "into the correct cloud. Check with your subscription administrator, this may happen if there are "
        "no active subscriptions for the tenant.",
    ),
    900144: (400, "invalid_request", "The request body must contain the following parameter: '{name}'."),
    900561: (400, "invalid_request", "The endpoint only accepts POST requests. Received a {method} request."),
    70003: (400, "unsupported_grant_type", "The app requested an unsupported grant type '{grant}'."),
    700016: (
        400,
        "unauthorized_client",
        "Application with identifier '{app}' was not found in the directory '{tenant}'. This can happen if "
        "the application has not been installed by the administrator of the tenant or consented to by any "
        "user in the tenant. You may have sent your authentication request to the wrong tenant.",
    ),
    7000218: (
        401,
        "invalid_client",
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    ),
    7000215: (
        401,
        "invalid_client",
        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
        "value, not the client secret ID, for a secret added to app '{app}'.",
    ),
    7000222: (
        401,
        "invalid_client",
        "The provided client secret keys for app '{app}' are expired. Visit the Azure portal to create new "
        "keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for "
        "added security: https://aka.ms/certCreds.",
    ),
    7000229: (
        401,
        "invalid_client",
        "The client application {app} is missing service principal in the tenant {tenant}. See instructions "
        "here: https://go.microsoft.com/fwlink/?linkid=2225119",
    ),
    1002012: (
        400,
        "invalid_scope",
        "The provided value for scope {scope} is not valid. Client credential flows must have a scope value "
        "with /.default suffixed to the resource identifier (application ID URI).",
    ),
    500011: (
        400,
        "invalid_resource",
        "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen "
        "if the application has not been installed by the administrator of the tenant or consented to by any "
        "user in the tenant. You might have sent your authentication request to the wrong tenant.",
    ),
}


# --- Routing -------------------------------------------------------------------------------------


def login_route(path: str) -> tuple[str, str] | None:
    """(tenant, what) when `path` (without query) is a login-server path, else None."""
    match = _LOGIN_PATH.match(path)
    if match is None or match.group("tenant").lower() in ("v1.0", "beta"):
        return None
    what = match.group("what")
    kinds = {
        "oauth2/v2.0/token": "token",
        "oauth2/v2.0/devicecode": "devicecode",
        "oauth2/v2.0/authorize": "authorize",
        "_sandbox/devicecode/approve": "approve",
    }
    kind = kinds.get(what) or ("keys" if what.startswith("discovery") else "openid")
    return unquote(match.group("tenant")), kind


def parse_query(target: str) -> dict[str, str]:
    """The query parameters of a GET (the browser's authorize request)."""
    fields = parse_qs(target.partition("?")[2], keep_blank_values=True)
    return {name: values[0] for name, values in fields.items() if values}


def parse_form(headers: Mapping[str, str], body: bytes) -> dict[str, str]:
    """The form fields of a token request; a body that is not a form has none (Entra: 900144)."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM:
        return {}
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return {}
    return {name: values[0] for name, values in fields.items() if values}


def handle(request: LoginRequest, state: JSON, faults: Faults) -> LoginAnswer:
    """Answer one login-server request against the (locked) tenant document."""
    try:
        if not _is_this_tenant(state, request.tenant):
            raise aadsts(90002, tenant=request.tenant)
        if request.what == "openid":
            return LoginAnswer(200, openid_configuration(request.base_url, str(state["tenantId"])), _JSON)
        if request.what == "keys":
            return LoginAnswer(200, {"keys": []}, _JSON)  # sandbox tokens are unsigned (auth.py)
        if request.what == "authorize":
            from ssoctl.sandbox.login_flows import authorize

            return authorize(request, state)
        if request.method != "POST":
            raise aadsts(900561, method=request.method)
        if request.what in ("devicecode", "approve"):
            from ssoctl.sandbox import login_flows

            flow_for = (
                login_flows.device_code if request.what == "devicecode" else login_flows.approve_device_code
            )
            return flow_for(request, state)
        grant = request.form.get("grant_type", "")
        if not grant:
            raise aadsts(900144, name="grant_type")
        flow = GRANTS.get(grant)
        if flow is None:
            raise aadsts(70003, grant=grant)
        return flow(request, state, faults)
    except LoginError as error:
        return error.answer(request)


_JSON = {"Content-Type": "application/json; charset=utf-8"}


def _is_this_tenant(state: JSON, tenant: str) -> bool:
    wanted = tenant.casefold()
    if wanted == str(state["tenantId"]).casefold():
        return True
    return any(str(d.get("name", "")).casefold() == wanted for d in state.get("verifiedDomains", []))


def openid_configuration(base_url: str, tenant_id: str) -> JSON:
    """The tenant's OpenID Connect metadata, shaped like Entra's v2.0 document."""
    root = f"{base_url}/{tenant_id}"
    return {
        "token_endpoint": f"{root}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": f"{root}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{root}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base_url}/oidc/userinfo",
        "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
        "claims_supported": OIDC_CLAIMS.split(),
        "kerberos_endpoint": f"{root}/kerberos",
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


# --- client_credentials --------------------------------------------------------------------------


def _client_credentials(request: LoginRequest, state: JSON, faults: Faults) -> LoginAnswer:
    """Entra's order: the client (which app, which proof), then the app's service principal, then
    the scope. An app token's `roles` are the Graph app roles assigned to its service principal."""
    client_id, secret = _client_auth_parts(request)
    if not client_id:
        raise aadsts(900144, name="client_id")
    app = _application(state, client_id)
    if app is None:
        raise aadsts(700016, app=client_id, tenant=str(state["tenantId"]))
    if request.form.get("client_assertion"):
        from ssoctl.sandbox.login_flows import authenticate_assertion

        authenticate_assertion(state, app, request, request.now)
    else:
        _authenticate_client(state, app, secret, request.now)
    sp = _service_principal(state, str(app["appId"]))
    if sp is None:
        raise aadsts(7000229, app=str(app["appId"]), tenant=str(state["tenantId"]))
    scope = request.form.get("scope", "").strip()
    if not scope:
        raise aadsts(900144, name="scope")
    resource, roles = _resource(state, scope, sp)
    tenant_id = str(state["tenantId"])
    token = issue_token(
        tenant_id,
        scopes=(),
        roles=roles,
        lifetime=TOKEN_LIFETIME + 1,
        claims={
            "aud": resource,
            "appid": app["appId"],
            "azp": app["appId"],
            "oid": sp["id"],
            "sub": sp["id"],
            "idtyp": "app",
            "upn": None,
        },
    )
    body = {
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME,
        "ext_expires_in": TOKEN_LIFETIME,
        "access_token": token,
    }
    return LoginAnswer(200, body, _JSON)


def _device_code(request: LoginRequest, state: JSON, faults: Faults) -> LoginAnswer:
    from ssoctl.sandbox.login_flows import device_code_grant

    return device_code_grant(request, state, faults)


def _refresh_token(request: LoginRequest, state: JSON, faults: Faults) -> LoginAnswer:
    from ssoctl.sandbox.login_flows import refresh_token_grant

    return refresh_token_grant(request, state, faults)


def _authorization_code(request: LoginRequest, state: JSON, faults: Faults) -> LoginAnswer:
    from ssoctl.sandbox.login_flows import authorization_code_grant

    return authorization_code_grant(request, state, faults)


GRANTS: dict[str, Callable[[LoginRequest, JSON, Faults], LoginAnswer]] = {
    "client_credentials": _client_credentials,
    "urn:ietf:params:oauth:grant-type:device_code": _device_code,
    "refresh_token": _refresh_token,
    "authorization_code": _authorization_code,
}


def _client_auth_parts(request: LoginRequest) -> tuple[str, str | None]:
    """client_id and client_secret from the form (client_secret_post) or Basic (client_secret_basic)."""
    client_id = request.form.get("client_id", "").strip()
    secret = request.form.get("client_secret")
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user, password = "", ""
        client_id = client_id or unquote(user)
        secret = secret if secret is not None else unquote(password)
    return client_id, secret


def _application(state: JSON, client_id: str) -> JSON | None:
    wanted = client_id.casefold()
    for app in state["applications"].values():
        if str(app.get("appId") or "").casefold() == wanted:
            return dict(app)
    return None


def _service_principal(state: JSON, app_id: str) -> JSON | None:
    wanted = app_id.casefold()
    for sp in state["servicePrincipals"].values():
        if str(sp.get("appId") or "").casefold() == wanted:
            return dict(sp)
    return None


def _authenticate_client(state: JSON, app: JSON, secret: str | None, now: datetime) -> None:
    """The secret must be one of the app's password credentials, started and not expired.

    A brand-new secret still "replicating" (remember_secret's lag) is refused like a wrong one.
    """
    if not secret:
        raise aadsts(7000218)
    app_id = str(app["appId"])
    for cred in app.get("passwordCredentials") or []:
        key_id = str(cred.get("keyId") or "")
        if not key_id or not _matches(state, key_id, secret):
            continue
        if replication.consume(state, _lag_key(key_id)):
            error = aadsts(7000215, app=app_id)
            error.fault = "replication"
            raise error
        start = _when(cred.get("startDateTime"))
        end = _when(cred.get("endDateTime"))
        if end is not None and end <= now:
            raise aadsts(7000222, app=app_id)
        if start is not None and start > now + timedelta(minutes=5):  # Entra allows a little clock skew
            break
        return
    raise aadsts(7000215, app=app_id)


def _when(text: Any) -> datetime | None:
    try:
        return parse_graph_time(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _resource(state: JSON, scope: str, sp: JSON) -> tuple[str, list[str]]:
    """The resource a `{resource}/.default` scope names, and the app roles the client holds on it."""
    first = scope.split()[0]
    if not first.endswith(DEFAULT_SUFFIX):
        raise aadsts(1002012, scope=first)
    resource = first[: -len(DEFAULT_SUFFIX)]
    target = _resource_principal(state, resource)
    if target is None:
        raise aadsts(500011, resource=resource, tenant=str(state["tenantId"]))
    by_id = {str(r.get("id")).lower(): str(r.get("value")) for r in target.get("appRoles") or []}
    roles = sorted(
        by_id[str(a.get("appRoleId")).lower()]
        for a in state["appRoleAssignments"].values()
        if a.get("principalId") == sp["id"]
        and a.get("resourceId") == target["id"]
        and str(a.get("appRoleId")).lower() in by_id
    )
    return (GRAPH_RESOURCE if target.get("appId") == GRAPH_APP_ID else resource), roles


def _resource_principal(state: JSON, resource: str) -> JSON | None:
    """The service principal a resource names: its appId, or one of its servicePrincipalNames
    (Microsoft Graph's include https://graph.microsoft.com; an app's include its identifier URIs)."""
    wanted = resource.rstrip("/").casefold()
    if wanted == GRAPH_RESOURCE:
        wanted = GRAPH_APP_ID
    for sp in state["servicePrincipals"].values():
        names = [str(sp.get("appId") or ""), *(str(n) for n in sp.get("servicePrincipalNames") or [])]
        if any(n.rstrip("/").casefold() == wanted for n in names):
            return dict(sp)
    return None

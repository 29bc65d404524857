"""Sign-in flows of the sandbox login server beyond client secrets (login.py has the endpoint):

- device code (`POST /{tenant}/oauth2/v2.0/devicecode`, then the token endpoint's
  `urn:ietf:params:oauth:grant-type:device_code` polling): a test plays the user by approving the
  user code through the test hook `POST /{tenant}/_sandbox/devicecode/approve` (form `user_code`,
  optional `upn`, `oid`, `wids` space-separated, `scope`);
- refresh tokens (`grant_type=refresh_token`), kept as SHA-256 digests in the tenant document;
- client assertions (`client_assertion_type=...jwt-bearer`): a JWT signed with the key of one of
  the app's certificates (`keyCredentials`, found by the `x5t`/`x5t#S256` thumbprint, RS256 or
  PS256), or a federated credential — a token of the sandbox's test issuer (federation.py) whose
  issuer, subject and audience match one of the app's `federatedIdentityCredentials`.

User tokens carry `scp` (for `{resource}/.default`, what an admin consented: auth.SANDBOX_SCOPES)
and `wids` (the approving user's directory roles; by default a Global Administrator's). Answers are
shaped like Entra's v2.0 token responses (id_token, client_info, refresh_token) so MSAL caches them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import secrets
import string
import time
import uuid
from datetime import datetime
from typing import Any

from ssoctl.directory_roles import USER
from ssoctl.sandbox.auth import SANDBOX_SCOPES, SANDBOX_WIDS, default_user_id, issue_token, tenant_domain
from ssoctl.sandbox.federation import FEDERATED
from ssoctl.sandbox.login import (
    GRAPH_RESOURCE,
    JSON,
    LoginAnswer,
    LoginError,
    LoginRequest,
    aadsts,
)

DEVICE_CODES = "deviceCodes"  # device_code digest -> pending sign-in
REFRESH_TOKENS = "refreshTokens"  # refresh_token digest -> the sign-in it continues
AUTH_CODES = "authorizationCodes"  # code digest -> the browser sign-in it stands for
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_LIFETIME = 3599
DEVICE_CODE_LIFETIME = 900
POLL_INTERVAL = 1  # Entra says 5; the sandbox keeps tests quick
REFRESH_LIFETIME = 90 * 24 * 3600
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
# First-party public clients Entra knows in every tenant (their apps live in Microsoft's tenant).
FIRST_PARTY_PUBLIC_CLIENTS = {
    "14d82eec-204b-4c2f-b7e8-296a70dab67e": "Microsoft Graph Command Line Tools",
    "04b07795-8ddb-461a-bbee-02f9e1bf7b46": "Microsoft Azure CLI",
    "1950a258-227b-4e31-a9cf-717495945fc2": "Microsoft Azure PowerShell",
}
_JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}

ERRORS: dict[int, tuple[int, str, str]] = {
    70016: (
        400,
        "authorization_pending",
        "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
    ),
    70020: (
        400,
        "expired_token",
        "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
    ),
    70000: (400, "invalid_grant", "Provided grant is invalid or malformed."),
    700082: (400, "invalid_grant", "The refresh token has expired due to inactivity."),
    7000218: (
        401,
        "invalid_client",
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    ),
    700027: (
        401,
        "invalid_client",
        "Client assertion failed signature validation. Trace ID: the certificate with identifier used to sign the client assertion is not registered on application {app}.",
    ),
    700024: (400, "invalid_client", "Client assertion is not within its valid time range."),
    700211: (
        400,
        "invalid_request",
        "No matching federated identity record found for presented assertion issuer '{issuer}'.",
    ),
    700213: (
        400,
        "invalid_request",
        "No matching federated identity record found for presented assertion subject '{subject}'.",
    ),
    700212: (
        400,
        "invalid_request",
        "No matching federated identity record found for presented assertion audience '{audience}'.",
    ),
    50027: (400, "invalid_request", "JWT token is invalid or malformed."),
    65001: (
        400,
        "invalid_grant",
        "The user or administrator has not consented to use the application with ID '{app}'.",
    ),
}


def _error(code: int, **values: str) -> LoginError:
    status, error, template = ERRORS[code]
    return LoginError(status, error, code, template.format(**values))


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


# --- Users and their tokens ----------------------------------------------------------------------


def _user(state: JSON, upn: str = "", oid: str = "", wids: list[str] | None = None) -> JSON:
    tenant_id = str(state["tenantId"])
    return {
        "oid": oid
        or (
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-user/{upn}")) if upn else default_user_id(tenant_id)
        ),
        "upn": upn or f"admin@{tenant_domain(tenant_id)}",
        "wids": list(SANDBOX_WIDS) if wids is None else [USER, *wids],
    }


def _granted(scope: str) -> tuple[str, list[str]]:
    """The resource and delegated scopes a user token gets for the requested `scope` string."""
    resource: str = GRAPH_RESOURCE
    names: list[str] = []
    for item in scope.split():
        if item in OIDC_SCOPES:
            continue
        if item.endswith("/.default"):
            resource = item[: -len("/.default")].rstrip("/") or GRAPH_RESOURCE
            names.extend(SANDBOX_SCOPES)
        elif "/" in item:
            resource, _, name = item.rpartition("/")
            names.append(name)
        else:
            names.append(item)
    return resource, list(dict.fromkeys(names)) or list(SANDBOX_SCOPES)


def _user_answer(
    state: JSON, request: LoginRequest, client_id: str, user: JSON, scope: str, *, nonce: str = ""
) -> LoginAnswer:
    tenant_id = str(state["tenantId"])
    resource, names = _granted(scope)
    token = issue_token(
        tenant_id,
        scopes=names,
        upn=user["upn"],
        oid=user["oid"],
        wids=user["wids"],
        lifetime=TOKEN_LIFETIME + 1,
        claims={"aud": resource, "appid": client_id, "azp": client_id},
    )
    now = int(time.time())
    id_claims = {
        "aud": client_id,
        "iss": f"{request.base_url}/{tenant_id}/v2.0",
        "iat": now,
        "nbf": now,
        "exp": now + TOKEN_LIFETIME,
        "name": user["upn"].split("@")[0],
        "oid": user["oid"],
        "preferred_username": user["upn"],
        "sub": _b64url(hashlib.sha256(f"{user['oid']}/{client_id}".encode()).digest()[:24]),
        "tid": tenant_id,
        "ver": "2.0",
    }
    if nonce:
        id_claims["nonce"] = nonce
    id_token = (
        ".".join(_b64url(json.dumps(p).encode()) for p in ({"alg": "none", "typ": "JWT"}, id_claims)) + "."
    )
    refresh = secrets.token_urlsafe(48)
    state.setdefault(REFRESH_TOKENS, {})[_digest(refresh)] = {
        "clientId": client_id,
        "user": user,
        "expires": now + REFRESH_LIFETIME,
    }
    granted = " ".join(f"{resource}/{n}" for n in names) + f" {resource}/.default"
    if OIDC_SCOPES & set(scope.split()):
        granted += " openid profile offline_access"
    body = {
        "token_type": "Bearer",
        "scope": granted,
        "expires_in": TOKEN_LIFETIME,
        "ext_expires_in": TOKEN_LIFETIME,
        "access_token": token,
        "refresh_token": refresh,
        "id_token": id_token,
        "client_info": _b64url(json.dumps({"uid": user["oid"], "utid": tenant_id}).encode()),
    }
    return LoginAnswer(200, body, dict(_JSON_HEADERS))


def _public_client(state: JSON, client_id: str) -> None:
    """A public client the tenant knows: a first-party one, or a tenant app allowing public flows."""
    if client_id.lower() in FIRST_PARTY_PUBLIC_CLIENTS:
        return
    for app in state["applications"].values():
        if str(app.get("appId", "")).lower() == client_id.lower():
            if app.get("isFallbackPublicClient"):
                return
            raise _error(7000218)
    raise aadsts(700016, app=client_id, tenant=str(state["tenantId"]))


# --- Device code -----------------------------------------------------------------------------------


def device_code(request: LoginRequest, state: JSON) -> LoginAnswer:
    """`POST /{tenant}/oauth2/v2.0/devicecode`: a user code for a person to enter elsewhere."""
    client_id = request.form.get("client_id", "").strip()
    if not client_id:
        raise aadsts(900144, name="client_id")
    _public_client(state, client_id)
    code = secrets.token_urlsafe(32)
    user_code = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(9))
    state.setdefault(DEVICE_CODES, {})[_digest(code)] = {
        "clientId": client_id,
        "userCode": user_code,
        "scope": request.form.get("scope", ""),
        "expires": int(time.time()) + DEVICE_CODE_LIFETIME,
        "user": None,
    }
    verify = f"{request.base_url}/devicelogin"
    body = {
        "user_code": user_code,
        "device_code": code,
        "verification_uri": verify,
        "expires_in": DEVICE_CODE_LIFETIME,
        "interval": POLL_INTERVAL,
        "message": f"To sign in, use a web browser to open the page {verify} and enter the code {user_code} to authenticate.",
    }
    return LoginAnswer(200, body, dict(_JSON_HEADERS))


def approve_device_code(request: LoginRequest, state: JSON) -> LoginAnswer:
    """Test hook: the person enters `user_code` and signs in (as `upn` with roles `wids`)."""
    wanted = request.form.get("user_code", "").strip().upper()
    for pending in state.get(DEVICE_CODES, {}).values():
        if pending["userCode"] == wanted and pending["user"] is None:
            wids = request.form.get("wids")
            pending["user"] = _user(
                state,
                upn=request.form.get("upn", ""),
                oid=request.form.get("oid", ""),
                wids=wids.split() if wids is not None else None,
            )
            return LoginAnswer(200, {"approved": wanted}, dict(_JSON_HEADERS))
    return LoginAnswer(404, {"error": "unknown_user_code"}, dict(_JSON_HEADERS))


def device_code_grant(request: LoginRequest, state: JSON, faults: Any) -> LoginAnswer:
    code = request.form.get("device_code", "")
    if not code:
        raise aadsts(900144, name="device_code")
    pending = state.get(DEVICE_CODES, {}).get(_digest(code))
    if pending is None or pending["clientId"] != request.form.get("client_id", pending["clientId"]):
        raise _error(70000)
    if pending["expires"] <= time.time():
        raise _error(70020)
    if pending["user"] is None:
        raise _error(70016)
    del state[DEVICE_CODES][_digest(code)]
    scope = request.form.get("scope") or pending["scope"]
    return _user_answer(state, request, pending["clientId"], pending["user"], scope)


def refresh_token_grant(request: LoginRequest, state: JSON, faults: Any) -> LoginAnswer:
    token = request.form.get("refresh_token", "")
    if not token:
        raise aadsts(900144, name="refresh_token")
    record = state.get(REFRESH_TOKENS, {}).pop(_digest(token), None)
    client_id = request.form.get("client_id", "")
    if record is None or (client_id and client_id != record["clientId"]):
        raise _error(70000)
    if record["expires"] <= time.time():
        raise _error(700082)
    return _user_answer(state, request, record["clientId"], record["user"], request.form.get("scope", ""))


# --- Browser: authorization code with PKCE --------------------------------------------------------


def _loopback_redirect(uri: str) -> bool:
    """Entra lets native public clients use any port on a loopback redirect URI."""
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    return parts.scheme == "http" and (parts.hostname or "") in ("localhost", "127.0.0.1", "::1")


def authorize(request: LoginRequest, state: JSON) -> LoginAnswer:
    """`GET /{tenant}/oauth2/v2.0/authorize`: the person signs in at once (the sandbox has no
    password page) as `login_hint` or the default administrator, and the browser is sent back to
    the loopback redirect URI with a code bound to the PKCE challenge."""
    from urllib.parse import urlencode

    form = request.form
    client_id = form.get("client_id", "")
    if not client_id:
        raise aadsts(900144, name="client_id")
    _public_client(state, client_id)
    redirect = form.get("redirect_uri", "")
    if not _loopback_redirect(redirect):
        raise _error(50011, uri=redirect, app=client_id)
    if form.get("response_type") != "code" or form.get("code_challenge_method", "S256") != "S256":
        raise aadsts(900144, name="code_challenge")
    code = secrets.token_urlsafe(32)
    state.setdefault(AUTH_CODES, {})[_digest(code)] = {
        "clientId": client_id,
        "redirectUri": redirect,
        "challenge": form.get("code_challenge", ""),
        "nonce": form.get("nonce", ""),
        "scope": form.get("scope", ""),
        "expires": int(time.time()) + 600,
        "user": _user(state, upn=form.get("login_hint", "")),
    }
    answer = {"code": code, "state": form.get("state", ""), "session_state": str(uuid.uuid4())}
    if form.get("response_mode") == "form_post":  # what MSAL's loopback listener accepts
        fields = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}"/>'
            for k, v in answer.items()
        )
        page = (
            f'<html><body onload="document.forms[0].submit()"><form method="POST" '
            f'action="{html.escape(redirect)}">{fields}</form></body></html>'
        )
        return LoginAnswer(200, {}, {"Content-Type": "text/html; charset=utf-8"}, raw=page.encode())
    return LoginAnswer(302, {}, {"Location": f"{redirect}?{urlencode(answer)}", **_JSON_HEADERS})


def authorization_code_grant(request: LoginRequest, state: JSON, faults: Any) -> LoginAnswer:
    code = request.form.get("code", "")
    pending = state.get(AUTH_CODES, {}).pop(_digest(code), None) if code else None
    if pending is None or pending["expires"] <= time.time():
        raise _error(70000)
    if (
        request.form.get("redirect_uri") != pending["redirectUri"]
        or request.form.get("client_id") != pending["clientId"]
    ):
        raise _error(70000)
    verifier = request.form.get("code_verifier", "")
    if _b64url(hashlib.sha256(verifier.encode()).digest()) != pending["challenge"]:
        raise _error(501481)
    return _user_answer(
        state,
        request,
        pending["clientId"],
        pending["user"],
        request.form.get("scope") or pending["scope"],
        nonce=pending["nonce"],
    )


# --- Client assertions (certificate, federated credential) ---------------------------------------


def authenticate_assertion(state: JSON, app: JSON, request: LoginRequest, now: datetime) -> None:
    """Check `client_assertion`: the app's certificate signed it, or it is a federated token that
    one of the app's federated identity credentials accepts. Raises the AADSTS error otherwise."""
    if request.form.get("client_assertion_type") != JWT_BEARER:
        raise aadsts(900144, name="client_assertion_type")
    assertion = request.form.get("client_assertion", "")
    try:
        head_b64, body_b64, sig_b64 = assertion.split(".")
        header = json.loads(_b64decode(head_b64))
        claims = json.loads(_b64decode(body_b64))
        signature = _b64decode(sig_b64)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _error(50027) from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise _error(50027)
    signed = f"{head_b64}.{body_b64}".encode()
    exp, nbf = claims.get("exp"), claims.get("nbf", 0)
    if not isinstance(exp, int | float) or exp <= now.timestamp() or nbf > now.timestamp() + 300:
        raise _error(700024)
    if claims.get("iss") == app["appId"] and claims.get("sub") == app["appId"]:
        _check_certificate(app, header, signed, signature)
    else:
        _check_federated(state, app, header, claims, signed, signature)


def _verify(public_key: Any, alg: str, signed: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        if alg == "RS256":
            public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "PS256":
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
            public_key.verify(signature, signed, pss, hashes.SHA256())
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _check_certificate(app: JSON, header: JSON, signed: bytes, signature: bytes) -> None:
    from cryptography import x509

    # MSAL pads its base64url thumbprints ("...="); Entra accepts both forms.
    wanted = {str(t).rstrip("=") for t in (header.get("x5t"), header.get("x5t#S256")) if t}
    for cred in app.get("keyCredentials") or []:
        key = cred.get("key")
        if not key or cred.get("usage") != "Verify":
            continue
        try:
            der = base64.b64decode(key)
            cert = x509.load_der_x509_certificate(der)
        except (ValueError, binascii.Error):
            continue
        prints = {_b64url(hashlib.sha1(der).digest()), _b64url(hashlib.sha256(der).digest())}
        if prints & wanted and _verify(cert.public_key(), str(header.get("alg")), signed, signature):
            return
    raise _error(700027, app=str(app["appId"]))


def _check_federated(
    state: JSON, app: JSON, header: JSON, claims: JSON, signed: bytes, signature: bytes
) -> None:
    from ssoctl.sandbox.federation import issuer_public_key

    issuer, subject = str(claims.get("iss", "")), str(claims.get("sub", ""))
    audiences = claims.get("aud")
    audiences = audiences if isinstance(audiences, list) else [audiences]
    credentials = state.get(FEDERATED, {}).get(str(app["id"]), [])
    by_issuer = [c for c in credentials if c.get("issuer") == issuer]
    if not by_issuer:
        raise _error(700211, issuer=issuer)
    by_subject = [c for c in by_issuer if c.get("subject") == subject]
    if not by_subject:
        raise _error(700213, subject=subject)
    if not any(set(c.get("audiences") or []) & set(audiences) for c in by_subject):
        raise _error(700212, audience=" ".join(str(a) for a in audiences))
    key = issuer_public_key(state)
    if key is None or not _verify(key, str(header.get("alg")), signed, signature):
        raise _error(50027)

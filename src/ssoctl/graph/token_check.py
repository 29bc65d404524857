"""Proving a client secret works: a client-credentials token request at the tenant's login host.

This is what a portal does first with the client ID and secret pasted into it, so a refusal here
(AADSTS7000215 wrong secret, AADSTS7000222 expired) is caught before users meet it. The token is
thrown away at once: it is never printed, logged or stored.

A brand-new secret may be refused with AADSTS7000215 for a short while after addPassword, so for a
fresh secret that answer is retried for a bounded time (`retry_for`, SSOCTL_VERIFY_WAIT). A login
host that cannot be reached (network, TLS, 5xx after retries) is `unreachable`, never a pass.
httpx is imported only inside `request_token`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from ssoctl.config import Cloud, check_base_url
from ssoctl.credentials import Secret
from ssoctl.errors import UsageError

GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
VERIFY_WAIT_ENV = "SSOCTL_VERIFY_WAIT"
DEFAULT_RETRY_FOR = 60.0  # seconds: Entra documents "a few seconds"; a minute covers slow replicas
_DELAYS = (2.0, 4.0, 8.0, 15.0)  # then 15 s until retry_for is used up
_TIMEOUT = 15.0
NEW_SECRET = 7000215  # "Invalid client secret provided": also what a not-yet-replicated secret gets
EXPIRED_SECRET = 7000222
APP_NOT_FOUND = 700016
TENANT_NOT_FOUND = 90002
NO_SERVICE_PRINCIPAL = 7000229

Outcome = Literal["ok", "refused", "unreachable"]


@dataclass(frozen=True)
class TokenResult:
    """How the token endpoint answered; `message` is Entra's first line (no trace ids)."""

    outcome: Outcome
    code: int | None = None  # the AADSTS number when Entra refused
    error: str = ""  # Entra's `error`, e.g. invalid_client
    message: str = ""
    attempts: int = 1
    waited: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def login_authority(env: Mapping[str, str], cloud: Cloud) -> str:
    """The login host: AZURE_AUTHORITY_HOST (a bare host means https) or the cloud's."""
    raw = (env.get("AZURE_AUTHORITY_HOST") or "").strip()
    if not raw:
        return cloud.login
    url = raw if "://" in raw else f"https://{raw}"
    return check_base_url(url, what="AZURE_AUTHORITY_HOST")


def token_endpoint(authority: str, tenant_id: str) -> str:
    return f"{authority.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"


def discovery_url(authority: str, tenant_id: str) -> str:
    return f"{authority.rstrip('/')}/{tenant_id}/v2.0/.well-known/openid-configuration"


def retry_budget(env: Mapping[str, str]) -> float:
    """Seconds a fresh secret's AADSTS7000215 is retried for (SSOCTL_VERIFY_WAIT, default 60)."""
    raw = (env.get(VERIFY_WAIT_ENV) or "").strip()
    if not raw:
        return DEFAULT_RETRY_FOR
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 600:
        raise UsageError(
            f"{VERIFY_WAIT_ENV}={raw!r} is not a number of seconds from 0 to 600",
            hint=f"for example {VERIFY_WAIT_ENV}=60",
        )
    return value


def _verify_option() -> Any:
    """TLS trust: REQUESTS_CA_BUNDLE / SSL_CERT_FILE (as azure-identity honours), else defaults."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")
    if not bundle:
        return True
    import ssl

    return ssl.create_default_context(cafile=bundle)


def _parse_refusal(response: Any) -> TokenResult:
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        body = None
    if not isinstance(body, dict) or "error" not in body:
        return TokenResult("unreachable", message=f"the login host answered HTTP {response.status_code}")
    codes = body.get("error_codes") or []
    code = int(codes[0]) if codes and isinstance(codes[0], int) else None
    description = str(body.get("error_description") or body.get("error"))
    return TokenResult(
        "refused",
        code=code,
        error=str(body.get("error")),
        message=description.replace("\r\n", "\n").split("\n")[0][:400],
    )


def request_token(
    endpoint: str,
    client_id: str,
    secret: Secret,
    *,
    sleep: Callable[[float], None],
    fresh: bool = False,
    retry_for: float = DEFAULT_RETRY_FOR,
    scope: str = GRAPH_DEFAULT_SCOPE,
    transport: Any = None,
) -> TokenResult:
    """Ask for a client-credentials token; True outcome only when Entra issued one.

    `fresh`: the secret was made moments ago, so AADSTS7000215 is retried until `retry_for`
    seconds of waiting are used up. 429/5xx and network errors are retried twice in any case.
    """
    import httpx

    host = urlsplit(endpoint).hostname or ""
    form = {"grant_type": "client_credentials", "client_id": client_id, "scope": scope}
    waited, attempts, transient = 0.0, 0, 0
    with httpx.Client(timeout=_TIMEOUT, verify=_verify_option(), transport=transport) as client:
        while True:
            attempts += 1
            result = _attempt(client, endpoint, host, {**form, "client_secret": secret.reveal()})
            retry = False
            if result.outcome == "unreachable" and transient < 2:
                transient += 1
                retry = True
            elif result.outcome == "refused" and result.code == NEW_SECRET and fresh and waited < retry_for:
                retry = True
            if not retry:
                return TokenResult(
                    result.outcome, result.code, result.error, result.message, attempts, waited
                )
            delay = _DELAYS[min(attempts - 1, len(_DELAYS) - 1)]
            if result.outcome == "refused":
                delay = min(delay, max(retry_for - waited, 0.0))
            sleep(delay)
            waited += delay


def _attempt(client: Any, endpoint: str, host: str, form: dict[str, str]) -> TokenResult:
    import httpx

    from ssoctl import verbose

    started = time.monotonic()
    try:
        response = client.post(endpoint, data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        verbose.token_request(endpoint, form, f"no answer ({type(exc).__name__})", started=started)
        return TokenResult("unreachable", message=f"cannot reach {host}: {type(exc).__name__}: {exc}"[:300])
    verbose.token_request(endpoint, form, response.status_code, started=started)
    if response.status_code == 200:
        try:
            issued = "access_token" in response.json()
        except ValueError:
            issued = False
        if issued:
            return TokenResult("ok")
        return TokenResult("unreachable", message=f"{host} answered 200 without a token")
    if response.status_code == 429 or response.status_code >= 500:
        return TokenResult("unreachable", message=f"{host} answered HTTP {response.status_code}")
    return _parse_refusal(response)


def fetch_metadata(url: str, tenant_id: str, *, transport: Any = None) -> tuple[bool | None, str]:
    """GET the OpenID Connect metadata: (True, issuer) when it names this tenant, (False, why) when
    it does not, (None, why) when it cannot be fetched."""
    import httpx

    from ssoctl import verbose

    host = urlsplit(url).hostname or ""
    started = time.monotonic()
    try:
        with httpx.Client(timeout=_TIMEOUT, verify=_verify_option(), transport=transport) as client:
            response = client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        verbose.request(
            "login", "GET", verbose.safe_url(url), f"no answer ({type(exc).__name__})", started=started
        )
        return None, f"cannot reach {host}: {type(exc).__name__}: {exc}"[:300]
    verbose.request("login", "GET", verbose.safe_url(url), response.status_code, started=started)
    if response.status_code >= 500:
        return None, f"{host} answered HTTP {response.status_code}"
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if response.status_code != 200 or not isinstance(doc, dict):
        return False, f"{url} answered HTTP {response.status_code}"
    issuer = str(doc.get("issuer") or "")
    if tenant_id.lower() not in issuer.lower() or not doc.get("token_endpoint"):
        return False, f"the metadata's issuer {issuer!r} does not name tenant {tenant_id}"
    return True, issuer

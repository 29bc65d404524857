"""Graph's failures as ssoctl errors: what went wrong, in words, with the fix as a hint.

Pure mapping, no I/O: `failure_from_api_error` reads what the SDK raised into a `Failure`;
`graph_error` turns a `Failure` into the `GraphError` the user sees. Every hint names the fix
(a role, a flag, "run it again"), never a library's wording.
"""

from __future__ import annotations

import re
from typing import Any

from ssoctl.errors import AuthError, GraphError
from ssoctl.graph.retry import Failure, GraphOutcomeUnknown

HINT_401 = (
    "Microsoft Graph refused the access token (expired, or issued for another API or tenant): "
    "sign in again, or get a fresh SSOCTL_ACCESS_TOKEN with "
    "`az account get-access-token --resource-type ms-graph`"
)
HINT_403 = (
    "sign in with an account that has the Application Administrator or Cloud Application "
    "Administrator role, or grant Application.ReadWrite.All (with admin consent)"
)
# Granting consent needs more than managing apps: name exactly what is missing.
HINT_403_CONSENT = (
    "granting admin consent needs the Cloud Application Administrator or Application Administrator "
    "role (Privileged Role Administrator for application permissions such as Group.Read.All), or "
    "the DelegatedPermissionGrant.ReadWrite.All and AppRoleAssignment.ReadWrite.All permissions"
)
# Reading consent needs more than Application.ReadWrite.All: grants are directory objects.
HINT_403_READ_CONSENT = (
    "reading admin consent needs Directory.Read.All or DelegatedPermissionGrant.ReadWrite.All (for "
    "grants) and Application.Read.All (for app role assignments), or a role such as Cloud "
    "Application Administrator"
)
# Tenant app-management policies (GRAPH.md "Client secrets"): say plainly what the tenant forbids.
POLICY_HINTS = {
    "CredentialInvalidLifetimeAsPerAppPolicy": (
        "your tenant's app management policy caps client secret lifetime: run again with a "
        "smaller --secret-days (ask your admin for the limit)"
    ),
    "CredentialTypeNotAllowedAsPerAppPolicy": (
        "your tenant's app management policy forbids client secrets on applications: ask your "
        "admin for an exemption for this app"
    ),
}


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None and isinstance(headers, dict):
        lowered = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    return str(value) if value is not None else None


def failure_from_api_error(exc: Any) -> Failure:
    """Graph's code, message and request-id from an ODataError; a plain APIError (a body that
    was not JSON, e.g. a gateway's HTML page) has no `.error` and gets a neutral message."""
    status = getattr(exc, "response_status_code", None) or 0
    headers = getattr(exc, "response_headers", None)
    code = message = request_id = ""
    details: tuple[str, ...] = ()
    main = getattr(exc, "error", None)
    if main is not None:
        code = main.code or ""
        message = main.message or ""
        details = tuple(d.code for d in (main.details or []) if getattr(d, "code", None))
        inner = main.inner_error
        request_id = (inner.request_id or "") if inner is not None else ""
    if not message:
        message = f"HTTP {status} with no readable error message"
    request_id = request_id or _header(headers, "request-id") or ""
    return Failure(
        status=status,
        code=code,
        message=message.strip()[:500],
        request_id=request_id,
        detail_codes=details,
        retry_after=_header(headers, "Retry-After"),
    )


def graph_error(
    what: str,
    failure: Failure,
    *,
    host: str,
    unknown: bool = False,
    retried: bool = False,
    hint_403: str = HINT_403,
) -> GraphError:
    """The error for a request that failed for good. `unknown`: Graph may have acted anyway."""
    status = failure.status
    message = f"{what}: {failure.message or f'HTTP {status}'}"
    hint: str | None = None
    if status == 0 and failure.timed_out:
        message = f"{what}: Microsoft Graph at {host} gave {failure.message}"
        hint = (
            "Graph may be slow right now: run the command again (it is safe to repeat); to wait "
            "longer per request, set SSOCTL_GRAPH_TIMEOUT (seconds, default 30)"
        )
    elif status == 0:
        message = f"{what}: could not reach Microsoft Graph at {host} ({failure.message})"
        hint = (
            f"check the network connection to {host}, proxy settings "
            "(HTTPS_PROXY/NO_PROXY) and SSOCTL_GRAPH_ENDPOINT"
        )
    elif status == 401:
        hint = HINT_401
    elif status == 403:
        hint = hint_403
    elif status == 429:
        hint = "Microsoft Graph is throttling requests: wait a minute and run the command again"
    elif status in (400, 404) and retried:
        hint = (
            "the object was just created and is not visible yet (or it no longer exists): run the "
            "command again in a minute"
        )
    elif status >= 500:
        hint = "Microsoft Graph had a problem: run the command again (it is safe to repeat)"
    if failure.code in POLICY_HINTS:
        hint = POLICY_HINTS[failure.code]
    if unknown:
        hint = (
            "Microsoft Graph may have created the secret anyway: run the command again, and "
            "remove any credential on the application that no store holds"
        )
        return GraphOutcomeUnknown(
            message, status=status, graph_code=failure.code, request_id=failure.request_id, hint=hint
        )
    return GraphError(
        message, status=status, graph_code=failure.code, request_id=failure.request_id, hint=hint
    )


def sign_in_failed(exc: Exception, hint: str) -> AuthError:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    return AuthError(f"sign-in failed: {text}", hint=hint)


_GONE = re.compile(
    r"\b(password|credential|key ?id)\b.*\b(not found|does not exist|doesn't exist|no longer exists)",
    re.IGNORECASE,
)


def password_already_gone(failure: Failure, key_id: str) -> bool:
    """removePassword for a keyId the application no longer has: the goal is met.

    Graph's documentation does not specify this answer; treat a 400/404 whose message names the
    keyId, or says a password/credential does not exist, as "already removed". A 404 about the
    application itself (replication lag, or a wrong object id) is not this case.
    """
    if failure.status not in (400, 404):
        return False
    return key_id.lower() in failure.message.lower() or bool(_GONE.search(failure.message))

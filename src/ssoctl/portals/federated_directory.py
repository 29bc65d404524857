"""Federated Directory (seed 003): Microsoft sign-in through its own app, SCIM provisioning from Entra.

Unlike emnify or PingOne, Federated Directory needs no app registration: users sign in through
Federated Directory's multitenant Microsoft app (an admin consents at the first sign-in), and Entra
pushes users to Federated Directory's SCIM 2.0 API with a directory key's access token. So this
portal is not an `AppSpec` profile; it is the guide's facts as data (the enterprise app's name, the
Tenant URL, the attribute table, the sign-in steps) plus the one call ssoctl makes to Federated
Directory itself: checking that the token works before anything in the tenant changes.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from ssoctl.config import check_base_url
from ssoctl.credentials import Secret
from ssoctl.errors import SsoctlError, UsageError

NAME = "federated-directory"
TITLE = "Federated Directory"
GUIDE = "https://www.federated.directory/docs/administrator/integrate-with-microsoft"
ENTERPRISE_APP = "Federated Directory"  # the enterprise app's (and gallery template's) display name
UNIQUE_NAME = "ssoctl-federated-directory-scim"  # ssoctl's key for the provisioning record and token
DEFAULT_BASE_URL = "https://api.federated.directory/v2"
SANDBOX_BASE_URL = "http://127.0.0.1:8766/v2"  # `ssoctl sandbox serve`'s fake Federated Directory
SCOPES = {"assigned": "false", "all": "true"}  # --scope -> the job's SyncAll secret
CHECK_TIMEOUT = 15.0


@dataclass(frozen=True)
class Attribute:
    """One row of the guide's attribute table: what Entra sends to Federated Directory."""

    display_name: str
    variable: str  # the guide's "Variable Name" (an Entra user attribute)
    mandatory: bool
    aliases: tuple[str, ...] = ()  # Entra's own spelling where the guide's differs

    def matches(self, source: str) -> bool:
        return source.casefold() in {self.variable.casefold(), *(a.casefold() for a in self.aliases)}


# "User management by Microsoft": the first two are mandatory, the rest may be disabled in Entra.
ATTRIBUTES = (
    Attribute("User Name", "userPrincipalName", True),
    Attribute("Display name", "displayName", True),
    Attribute("Given name", "givenName", False),
    Attribute("Last name", "surName", False, ("surname",)),
    Attribute("Mail", "mail", False),
    Attribute("Office phone", "telephoneNumber", False),
    Attribute("Mobile Phone", "mobile", False),
    Attribute("Street address", "streetAddress", False),
    Attribute("City", "city", False),
    Attribute("State or province", "state", False),
    Attribute("ZIP or postal Code", "postalCode", False),
    Attribute("Country or region", "country", False),
    Attribute("Preferred language", "preferredLanguage", False),
    Attribute("Employee number", "employeeNumber", False, ("employeeId",)),
    Attribute("Cost center", "costCenter", False),
    Attribute("Job title", "jobTitle", False),
    Attribute("Department", "department", False),
    Attribute("Manager", "manager", False),
    Attribute("Object ID", "objectId", False),
)

# The guide's "Prerequisites" for Microsoft sign-in: done in Federated Directory and by signing in.
SIGN_IN_STEPS = (
    "No app registration is needed: Federated Directory signs users in with its own multitenant "
    "Microsoft app, which appears in Entra as the enterprise app 'Federated Directory' once an admin "
    "consents at the first sign-in.",
    "In Federated Directory, create a directory for your Microsoft users and set its Authentication "
    "method to 'Microsoft accounts'.",
    "In that directory, create a user whose username is exactly the Entra userPrincipalName you will "
    "sign in with.",
    "Log out, switch to that directory on the login screen and click 'Log in with your Microsoft "
    "account'; approve Microsoft's permission prompt (as an admin, for the organisation). That consent "
    "creates the enterprise app.",
    "For user provisioning: in that directory's 'keys' tab create a key (e.g. 'Microsoft integration "
    "key'), copy its access token (shown once), then run: "
    "ssoctl azure provision --portal federated-directory --token-stdin",
)

ASSIGNED_NOTE = (
    "Scope 'Sync only assigned users and groups': only users and groups assigned to the Federated "
    "Directory enterprise app are provisioned (Entra → Enterprise applications → Federated Directory "
    "→ Users and groups), and an assignment with the role 'Default Access' is not provisioned; use "
    "--scope all to provision everyone."
)


class TokenRefused(SsoctlError):
    """Federated Directory said no to the directory key's access token."""

    code = "fd_token_refused"


def tenant_url(given: str | None, *, sandbox: bool) -> str:
    """`--fd-base-url`, checked (https, or http only for loopback); the default is the real API, or
    the fake one `ssoctl sandbox serve` runs when working against the sandbox."""
    default = SANDBOX_BASE_URL if sandbox else DEFAULT_BASE_URL
    return check_base_url(given or default, what="--fd-base-url")


def base_url_flag(base_url: str | None, *, sandbox: bool) -> list[str]:
    """`--fd-base-url URL` for a hint, when the Tenant URL is not the default: a pasted
    `azure provision` without it would point the job's Tenant URL back at the default."""
    import shlex

    if not base_url or base_url == tenant_url(None, sandbox=sandbox):
        return []
    return ["--fd-base-url", shlex.quote(base_url)]


def sync_all(scope: str) -> str:
    """The job's SyncAll secret for `--scope`."""
    try:
        return SCOPES[scope.strip().lower()]
    except KeyError:
        raise UsageError(f"--scope {scope!r} is not known", hint="use assigned or all") from None


def check_token(base_url: str, token: Secret, *, timeout: float = CHECK_TIMEOUT) -> None:
    """Ask Federated Directory itself whether the token works: `GET {base}/Users?count=1`.

    A 401/403 is the token's fault and says so; nothing else has happened yet. The token is sent
    only in the Authorization header and never appears in a message.
    """
    request = urllib.request.Request(
        f"{base_url}/Users?count=1",
        headers={"Authorization": f"Bearer {token.reveal()}", "Accept": "application/scim+json"},
    )
    from ssoctl import verbose

    url, started = request.full_url, time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read()
            verbose.request(
                "federated-directory", "GET", verbose.safe_url(url), answer.status, started=started
            )
            return
    except urllib.error.HTTPError as err:
        status, detail = err.code, _detail(err.read())
        verbose.request("federated-directory", "GET", verbose.safe_url(url), status, started=started)
    except (OSError, ValueError) as exc:
        verbose.request(
            "federated-directory",
            "GET",
            verbose.safe_url(url),
            f"no answer ({type(exc).__name__})",
            started=started,
        )
        reason = getattr(exc, "reason", exc)
        raise SsoctlError(
            f"cannot reach Federated Directory at {base_url}: {reason}",
            hint="check --fd-base-url and the network (with --sandbox: is `ssoctl sandbox serve` running?)",
            code="fd_unreachable",
        ) from None
    if status in (401, 403):
        raise TokenRefused(
            f"Federated Directory refused the directory key access token (HTTP {status}"
            + (f": {detail}" if detail else "")
            + "); nothing was changed",
            hint="create a new key in the directory's 'keys' tab, copy its access token (shown once) and "
            "pass it with --token-stdin",
        )
    raise SsoctlError(
        f"Federated Directory answered HTTP {status} to {base_url}/Users" + (f": {detail}" if detail else ""),
        hint="check --fd-base-url (the Tenant URL, e.g. https://api.federated.directory/v2)",
        code="fd_failed",
    )


def _detail(raw: bytes) -> str:
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        return ""
    if isinstance(body, dict):
        text = body.get("detail") or body.get("error_description") or body.get("error") or ""
        return str(text)[:200]
    return ""

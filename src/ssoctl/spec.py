"""AppSpec: the app registration a portal needs, as frozen values validated on construction.

A spec is what ssoctl *wants* to exist; `graph.mapping` turns it into Graph JSON and reads Graph
JSON back into `AppState`, and `plan.diff` compares the two. Nothing here talks to Graph.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ssoctl.errors import UsageError

MICROSOFT_GRAPH = "00000003-0000-0000-c000-000000000000"

SIGN_IN_AUDIENCES = (
    "AzureADMyOrg",
    "AzureADMultipleOrgs",
    "AzureADandPersonalMicrosoftAccount",
    "PersonalMicrosoftAccount",
)
GROUP_MEMBERSHIP_CLAIMS = ("None", "SecurityGroup", "ApplicationGroup", "DirectoryRole", "All")
TOKEN_TYPES = ("idToken", "accessToken", "saml2Token")

SECRET_DAYS_DEFAULT = 180
SECRET_DAYS_MIN = 1
SECRET_DAYS_MAX = 730
REDIRECT_URI_MAX_LENGTH = 256  # Entra's limit for web redirect URIs
DISPLAY_NAME_MAX_LENGTH = 120  # Entra's limit for application displayName
# Entra's "Redirect URI (reply URL) restrictions": at most 256 redirect URIs on an app that signs in
# work or school accounts (100 with personal accounts; Graph refuses the rest with a 400).
REDIRECT_URI_MAX_COUNT = 256


def _shown(text: str, limit: int = 40) -> str:
    """A value for an error line: repr'd (control characters visible), cut to `limit` characters."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text)} characters)"


def check_display_name(name: str | None, *, flag: str = "--name") -> str | None:
    """A registration's display name (None: the portal's name): 1..120 printable characters with
    at least one ASCII letter or digit (ssoctl keys the app by them). Checked before any request
    by every command that takes --name, so a name a script got wrong never reaches Graph."""
    if name is None:
        return None
    text = name.strip()
    if not text:
        raise UsageError(
            f"{flag} is empty",
            hint=f"give {flag} a name with letters or digits, e.g. {flag} 'emnify EU', or leave {flag} out",
        )
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise UsageError(
            f"{flag} {_shown(name)} contains control characters",
            hint=f"give {flag} printable text only (no tabs, newlines or escape codes)",
        )
    if len(text) > DISPLAY_NAME_MAX_LENGTH:
        raise UsageError(
            f"{flag} {_shown(name)} must be 1..{DISPLAY_NAME_MAX_LENGTH} characters",
            hint=f"give {flag} a shorter name (at most {DISPLAY_NAME_MAX_LENGTH} characters, Entra's limit)",
        )
    if not slug(text):
        raise UsageError(
            f"{flag} {_shown(name)} needs at least one ASCII letter or digit (ssoctl keys the app by them)",
            hint=f"give {flag} a name with letters or digits, e.g. {flag} 'emnify EU'",
        )
    return text


@dataclass(frozen=True, order=True)
class Permission:
    """One entry of requiredResourceAccess: a delegated scope or an application role."""

    resource_app_id: str
    id: str
    type: str  # "Scope" (delegated) or "Role" (application)
    name: str = field(default="", compare=False)  # for people; Graph knows only the id

    def __post_init__(self) -> None:
        if self.type not in ("Scope", "Role"):
            raise UsageError(
                f"permission type {self.type!r} must be Scope or Role",
                hint="use Scope for a delegated permission, Role for an application permission",
            )


@dataclass(frozen=True, order=True)
class OptionalClaim:
    """An optional claim in one token type (idToken, accessToken or saml2Token)."""

    token: str
    name: str
    essential: bool = False
    source: str | None = None
    additional_properties: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.token not in TOKEN_TYPES:
            raise UsageError(
                f"optional claim token {self.token!r} is not a token type",
                hint=f"use one of {', '.join(TOKEN_TYPES)}",
            )


@dataclass(frozen=True, order=True)
class PermissionName:
    """A permission as people write it, `Microsoft Graph/User.Read`: the API (its service
    principal's display name or appId) and the permission's value. Graph needs ids, so a name
    ssoctl does not know by heart is resolved through the API's service principal at register."""

    api: str
    value: str
    type: str = "Scope"  # "Scope" (delegated) or "Role" (application)

    def __str__(self) -> str:
        return f"{self.api}/{self.value}" + (" (application)" if self.type == "Role" else "")


_PERMISSION = re.compile(r"^(?P<api>[^/]+)/(?P<value>[^\s/()]+)\s*(?:\((?P<kind>[A-Za-z]+)\))?$")


def parse_permission(text: str) -> PermissionName:
    """`Microsoft Graph/User.Read`, `Microsoft Graph/Group.Read.All (application)`; else UsageError."""
    match = _PERMISSION.match(text.strip())
    kind = (match.group("kind") or "delegated").lower() if match else ""
    if not match or kind not in ("delegated", "application"):
        raise UsageError(
            f"permission {text!r} is not API/VALUE",
            hint="write it as 'Microsoft Graph/User.Read', or 'Microsoft Graph/Group.Read.All (application)'",
        )
    return PermissionName(
        match.group("api").strip(), match.group("value"), "Role" if kind == "application" else "Scope"
    )


def parse_optional_claim(text: str) -> OptionalClaim:
    """`idToken:upn` (token type, then the claim name)."""
    token, sep, name = text.strip().partition(":")
    by_lower = {t.lower(): t for t in TOKEN_TYPES}
    if not sep or not name.strip() or token.strip().lower() not in by_lower:
        raise UsageError(
            f"optional claim {text!r} is not TOKEN:CLAIM",
            hint=f"TOKEN is one of {', '.join(TOKEN_TYPES)}, e.g. idToken:upn or saml2Token:upn",
        )
    return OptionalClaim(token=by_lower[token.strip().lower()], name=name.strip())


def sign_in_audience(text: str) -> str:
    """Graph's signInAudience from its name (any case)."""
    by_lower = {a.lower(): a for a in SIGN_IN_AUDIENCES}
    try:
        return by_lower[text.strip().lower()]
    except KeyError:
        raise UsageError(
            f"audience {text!r} is not known", hint=f"use one of: {', '.join(SIGN_IN_AUDIENCES)}"
        ) from None


# Entra's "Redirect URI (reply URL) restrictions": characters it refuses, and the only hosts
# plain http is allowed for ("The IPv6 loopback address ([::1]) is not currently supported").
REDIRECT_URI_FORBIDDEN_CHARS = "!$'(),;"
HTTP_REDIRECT_HOSTS = ("localhost", "127.0.0.1")


def check_redirect_uri(uri: str) -> str:
    """Entra's web redirect URI rules, checked before any request so bad input exits 2."""
    parts = urlsplit(uri)
    if "@" in parts.netloc:  # first: the other messages repeat the URI, and this part is a password
        raise UsageError(
            "a redirect URI must not contain a user name or password (user:password@host)",
            hint="give the portal's redirect URI without the user:password@ part (Entra refuses it)",
        )
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise UsageError(
            f"redirect URI {uri!r} has an invalid port", hint="give a port 1..65535, or none"
        ) from None
    if not parts.scheme or not parts.netloc or not parts.hostname:
        raise UsageError(
            f"redirect URI {uri!r} is not an absolute URI", hint="give e.g. https://example.com/callback"
        )
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in HTTP_REDIRECT_HOSTS):
        raise UsageError(
            f"redirect URI {uri!r} must use https",
            hint="Entra accepts plain http only for http://localhost and http://127.0.0.1",
        )
    if parts.fragment or "#" in uri:
        raise UsageError(
            f"redirect URI {uri!r} must not contain a fragment (#…)",
            hint="leave out the # and what follows it, as Entra does not accept fragments",
        )
    if any(unicodedata.category(c) in ("Cc", "Cf") and not c.isspace() for c in uri):
        raise UsageError(
            f"redirect URI {_shown(uri)} contains control characters",
            hint="copy the portal's redirect URI again, as printable text",
        )
    bad = sorted({c for c in uri if c in REDIRECT_URI_FORBIDDEN_CHARS or c.isspace() or c == "*"})
    if bad:
        raise UsageError(
            f"redirect URI {uri!r} contains characters Entra refuses: {' '.join(repr(c) for c in bad)}",
            hint="percent-encode them, or leave them out (Entra refuses ! $ ' ( ) , ; spaces and *)",
        )
    if len(uri) > REDIRECT_URI_MAX_LENGTH:
        raise UsageError(
            f"redirect URI is {len(uri)} characters; Entra allows at most {REDIRECT_URI_MAX_LENGTH}",
            hint="copy the portal's redirect URI again: it is usually much shorter",
        )
    return uri


def check_redirect_uri_count(uris: tuple[str, ...] | list[str]) -> None:
    """Entra keeps at most 256 redirect URIs on an app; more is refused here, not by Graph."""
    count = len(dict.fromkeys(uris))
    if count > REDIRECT_URI_MAX_COUNT:
        raise UsageError(
            f"{count} redirect URIs; Entra allows at most {REDIRECT_URI_MAX_COUNT} on an app",
            hint="register the others on a second app (--name), or drop the ones the portal no longer uses",
        )


def check_identifier_uri(uri: str) -> str:
    """Entra's application ID URI shape: `scheme://…` or `urn:…`, no trailing slash or spaces."""
    if (
        ("://" not in uri and not uri.startswith("urn:"))
        or uri.endswith("/")
        or any(c.isspace() for c in uri)
        or len(uri) > 255
    ):
        raise UsageError(
            f"identifier URI {uri!r} is not valid",
            hint="use e.g. api://{appId} or https://contoso.com/app (no trailing slash, no spaces)",
        )
    return uri


def check_secret_days(days: int) -> int:
    if not SECRET_DAYS_MIN <= days <= SECRET_DAYS_MAX:
        raise UsageError(
            f"--secret-days {days} is out of range",
            hint=f"choose {SECRET_DAYS_MIN}..{SECRET_DAYS_MAX} days (default {SECRET_DAYS_DEFAULT})",
        )
    return days


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """Lower-case letters and digits joined by '-': safe in uniqueName, keyring names and env keys."""
    return _SLUG.sub("-", text.lower()).strip("-")


def env_prefix(display_name: str) -> str:
    """Dotenv key prefix from a display name: `emnify` -> `EMNIFY` (EMNIFY_CLIENT_ID, …)."""
    return slug(display_name).replace("-", "_").upper()


@dataclass(frozen=True)
class AppSpec:
    """The desired app registration. Collections are sorted tuples so equal specs compare equal."""

    portal: str
    display_name: str
    unique_name: str
    sign_in_audience: str
    redirect_uris: tuple[str, ...]
    implicit_access_tokens: bool
    implicit_id_tokens: bool
    optional_claims: tuple[OptionalClaim, ...]
    permissions: tuple[Permission, ...]
    expose_api: bool  # "Expose an API → Set": identifierUris = ["api://{appId}"]
    group_membership_claims: str | None = None  # None: ssoctl leaves the setting alone
    secret_days: int = SECRET_DAYS_DEFAULT
    admin_consent: bool = False  # "Grant admin consent": service principal, grants, assignments
    identifier_uri: str = ""  # overrides expose_api's api://{appId}; "{appId}" is filled in
    unresolved: tuple[PermissionName, ...] = ()  # by name: resolved through the API's service principal

    @property
    def identifier_uri_template(self) -> str:
        """The application ID URI to set, `{appId}` not yet filled in ("" for none)."""
        return self.identifier_uri or ("api://{appId}" if self.expose_api else "")

    def identifier_uris(self, app_id: str | None) -> tuple[str, ...]:
        """identifierUris for an app with this appId (`{appId}` kept while it is unknown)."""
        template = self.identifier_uri_template
        return (template.replace("{appId}", app_id or "{appId}"),) if template else ()

    def __post_init__(self) -> None:
        check_display_name(self.display_name, flag="--name")
        if self.sign_in_audience not in SIGN_IN_AUDIENCES:
            raise UsageError(
                f"signInAudience {self.sign_in_audience!r} is not an audience Entra knows",
                hint=f"use one of {', '.join(SIGN_IN_AUDIENCES)}",
            )
        if self.group_membership_claims not in (None, *GROUP_MEMBERSHIP_CLAIMS):
            raise UsageError(
                f"group claims {self.group_membership_claims!r} are not known",
                hint="use --group-claims security or --group-claims all",
            )
        for uri in self.redirect_uris:
            check_redirect_uri(uri)
        check_redirect_uri_count(self.redirect_uris)
        check_secret_days(self.secret_days)
        if self.admin_consent:
            unnamed = [p.id for p in self.permissions if p.type == "Scope" and not p.name]
            if unnamed:
                raise UsageError(
                    f"delegated permission(s) {', '.join(unnamed)} need a name to be consented",
                    hint="give each delegated permission its value, e.g. User.Read",
                )
        if self.identifier_uri:
            check_identifier_uri(self.identifier_uri)
        object.__setattr__(self, "redirect_uris", tuple(dict.fromkeys(self.redirect_uris)))
        object.__setattr__(self, "unresolved", tuple(sorted(set(self.unresolved))))
        object.__setattr__(self, "optional_claims", tuple(sorted(set(self.optional_claims))))
        object.__setattr__(self, "permissions", tuple(sorted(set(self.permissions))))

    @property
    def env_prefix(self) -> str:
        return env_prefix(self.display_name)

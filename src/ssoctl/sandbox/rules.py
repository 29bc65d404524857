"""Entra's rules for application objects, beyond what the CSDL can say.

Each rule cites where it comes from. They run after the schema check, on the application as it
would be after the write (collections replaced whole, complex properties merged), so a rule about
two properties (signInAudience and redirect URIs, say) sees both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ssoctl.sandbox import graph_errors as ge

JSON = dict[str, Any]

SIGN_IN_AUDIENCES = (
    "AzureADMyOrg",
    "AzureADMultipleOrgs",
    "AzureADandPersonalMicrosoftAccount",
    "PersonalMicrosoftAccount",
)
WORK_OR_SCHOOL_ONLY = ("AzureADMyOrg", "AzureADMultipleOrgs")
GROUP_MEMBERSHIP_CLAIMS = ("None", "SecurityGroup", "ApplicationGroup", "DirectoryRole", "All")
RESOURCE_ACCESS_TYPES = ("Scope", "Role")

# Read-only on the application resource page ("Read-only." in the property table) or set only by
# their own APIs: the upsert page says passwordCredentials cannot be set with PATCH (addPassword /
# removePassword), verifiedPublisher has setVerifiedPublisher, certification is Microsoft's.
READ_ONLY = (
    "id",
    "appId",
    "applicationTemplateId",
    "certification",
    "createdByAppId",
    "createdDateTime",
    "deletedDateTime",
    "disabledByMicrosoftStatus",
    "passwordCredentials",
    "publisherDomain",
    "verifiedPublisher",
)

# "Redirect URI (reply URL) restrictions and limitations" (entra-docs identity-platform/reply-url):
MAX_REDIRECT_URI_LENGTH = 256
MAX_REDIRECT_URIS = {True: 256, False: 100}  # work/school-only audience -> limit
UNSUPPORTED_REDIRECT_CHARS = "!$'(),;"
# http is allowed only for loopback; "The IPv6 loopback address ([::1]) is not currently supported."
HTTP_HOSTS = ("localhost", "127.0.0.1")

# identifier-uri-restrictions: the message a tenant policy returns for a URI without a tenant
# verified domain, tenant id or app id (code from public deployments hitting it, e.g.
# "InvalidUniqueTenantIdentifierAsPerAppPolicy").
IDENTIFIER_URI_POLICY_MESSAGE = (
    "Failed to add identifier URI {uri}. All newly added URIs must contain a tenant verified "
    "domain, tenant ID, or app ID, as per the default tenant policy of your organization. See "
    "https://aka.ms/identifier-uri-addition-error for more information on this error."
)


def check_read_only(body: Mapping[str, Any], *, existing: JSON | None) -> None:
    """Reject properties a client may not write; uniqueName may be set once, on create."""
    for name in READ_ONLY:
        if name in body:
            raise ge.read_only(name)
    if existing is not None and "uniqueName" in body:
        current = existing.get("uniqueName")
        wanted = body["uniqueName"]
        if current is not None and (not isinstance(wanted, str) or wanted.lower() != current.lower()):
            raise ge.read_only("uniqueName")


def check_scalars(app: JSON) -> None:
    name = app.get("displayName")
    if not isinstance(name, str) or not name.strip() or len(name) > 256:
        raise ge.invalid_value("displayName", "Application")
    if app.get("signInAudience") not in SIGN_IN_AUDIENCES:
        raise ge.invalid_value("signInAudience", "Application")
    claims = app.get("groupMembershipClaims")
    if claims is not None:
        parts = [p.strip() for p in str(claims).split(",")]
        if not all(p in GROUP_MEMBERSHIP_CLAIMS for p in parts):
            raise ge.invalid_value("groupMembershipClaims", "Application")
    api = app.get("api") or {}
    # Apps that sign in personal Microsoft accounts must request v2 tokens
    # (hashicorp/terraform-provider-azuread#1374: "Property api.requestedAccessTokenVersion is invalid.").
    if app.get("signInAudience") not in WORK_OR_SCHOOL_ONLY and api.get("requestedAccessTokenVersion") != 2:
        raise ge.bad_request("Property api.requestedAccessTokenVersion is invalid.")


def _redirect_uri_ok(uri: str, *, work_or_school_only: bool, loopback_http: bool) -> bool:
    if not isinstance(uri, str) or not uri or len(uri) > MAX_REDIRECT_URI_LENGTH:
        return False
    if any(c in uri for c in UNSUPPORTED_REDIRECT_CHARS) or any(c.isspace() for c in uri):
        return False
    try:
        parts = urlsplit(uri)
        port = parts.port  # raises on a malformed port
        del port
    except ValueError:
        return False
    if parts.fragment or "#" in uri or not parts.netloc or not parts.hostname:
        return False
    host = parts.hostname.lower()
    if parts.scheme == "https":
        pass
    elif parts.scheme == "http" and loopback_http:
        if host not in HTTP_HOSTS:
            return False
    else:
        return False
    if "*" in uri and not work_or_school_only:
        return False  # wildcards only for apps that sign in work or school accounts only
    return not (parts.query and not work_or_school_only)  # no query with personal accounts


def check_redirect_uris(app: JSON) -> None:
    """web/spa redirect URIs: absolute https (http for localhost/127.0.0.1), <= 256 chars,
    no fragment, no `! $ ' ( ) , ;`, wildcards and query strings only for work/school-only apps,
    at most 256 URIs (100 when personal accounts can sign in) across the app."""
    work_only = app.get("signInAudience") in WORK_OR_SCHOOL_ONLY
    total = 0
    for platform in ("web", "spa", "publicClient"):
        section = app.get(platform) or {}
        uris = section.get("redirectUris") or []
        total += len(uris)
        if platform == "publicClient":
            continue  # native clients may use custom schemes (msal{appId}://auth, ...)
        for uri in uris:
            if not _redirect_uri_ok(uri, work_or_school_only=work_only, loopback_http=True):
                raise ge.invalid_value(platform, "Application")
    if total > MAX_REDIRECT_URIS[work_only]:
        raise ge.invalid_value("web", "Application")


def check_required_resource_access(app: JSON) -> None:
    """One entry per resourceAppId; each entry names at least one Scope/Role permission."""
    seen: set[str] = set()
    for entry in app.get("requiredResourceAccess") or []:
        resource = str(entry.get("resourceAppId") or "")
        if not resource:
            raise ge.bad_request(
                "Property requiredResourceAccess.resourceAppId value is required but is empty or missing."
            )
        if resource.lower() in seen:
            raise ge.duplicate_value()
        seen.add(resource.lower())
        access = entry.get("resourceAccess") or []
        if not access:
            raise ge.bad_request(
                "Property requiredResourceAccess.resourceAccess value is required but is empty or missing."
            )
        pairs = set()
        for item in access:
            if item.get("type") not in RESOURCE_ACCESS_TYPES or not item.get("id"):
                raise ge.bad_request("Property requiredResourceAccess.resourceAccess is invalid.")
            pair = (str(item["id"]).lower(), item["type"])
            if pair in pairs:
                raise ge.duplicate_value()
            pairs.add(pair)


def _uri_host(uri: str) -> str:
    """The authority of `scheme://authority/...`, lower-cased; '' when there is none."""
    rest = uri.split("://", 1)[1] if "://" in uri else ""
    return rest.split("/", 1)[0].split("?", 1)[0].lower()


def _on_domain(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def check_identifier_uris(
    app: JSON,
    *,
    previous: Iterable[str],
    tenant_id: str,
    domains: Iterable[str],
    taken: Iterable[str],
) -> None:
    """identifierUris: well-formed, unique in the tenant, and (for URIs added now) allowed by
    the default app management policy Microsoft enabled in 2025 (identifier-uri-restrictions):
    each new URI must contain the app id, the tenant id or a verified domain, unless the app asks
    for v2.0 access tokens (api.requestedAccessTokenVersion = 2), which is exempt by default."""
    uris = app.get("identifierUris") or []
    domains = [d.lower() for d in domains]
    old = {u.lower() for u in previous}
    taken_lower = {u.lower() for u in taken}
    seen: set[str] = set()
    v2 = (app.get("api") or {}).get("requestedAccessTokenVersion") == 2
    for uri in uris:
        if not isinstance(uri, str) or ("://" not in uri and not uri.startswith("urn:")):
            raise ge.invalid_value("identifierUris", "Application")
        if uri.endswith("/") or len(uri) > 255 or any(c.isspace() for c in uri):
            raise ge.invalid_value("identifierUris", "Application")
        key = uri.lower()
        if key in seen:
            raise ge.duplicate_value()
        seen.add(key)
        if key in taken_lower:
            raise ge.object_conflict("identifierUris")
        if key in old or v2:
            continue
        host = _uri_host(uri)
        if uri.lower().startswith(("http://", "https://")) and not _on_domain(host, domains):
            # Since Oct 2021: http(s) identifier URIs must be on a verified domain
            # (MicrosoftDocs/azure-docs#90448, Azure/Industrial-IoT#1432).
            raise ge.GraphFault(
                400,
                "HostNameNotOnVerifiedDomain",
                "Values of identifierUris property must use a verified domain of the organization "
                f"or its subdomain: '{uri}'",
            )
        app_id = str(app.get("appId") or "").lower()
        if not ((app_id and app_id in key) or tenant_id.lower() in key or _on_domain(host, domains)):
            message = IDENTIFIER_URI_POLICY_MESSAGE.format(uri=uri)
            raise ge.GraphFault(400, "InvalidUniqueTenantIdentifierAsPerAppPolicy", message)


def check_application(
    app: JSON,
    *,
    previous: JSON | None,
    tenant_id: str,
    domains: Iterable[str],
    taken_identifier_uris: Iterable[str],
) -> None:
    """All rules on an application as it would be stored."""
    check_scalars(app)
    check_redirect_uris(app)
    check_required_resource_access(app)
    check_identifier_uris(
        app,
        previous=(previous or {}).get("identifierUris") or [],
        tenant_id=tenant_id,
        domains=domains,
        taken=taken_identifier_uris,
    )

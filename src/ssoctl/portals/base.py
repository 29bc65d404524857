"""What a portal profile is: the app registration its vendor guide asks for, and the steps left.

Built-in profiles are TOML files next to this module (`profile.py` reads them, and users' own);
a Python module may still build a `Portal` for behaviour TOML cannot express. A portal decides the
AppSpec from the user's options (`PortalOptions`, where every setting can be overridden by a flag
on `azure register`) and, after apply, the remaining manual steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ssoctl.errors import UsageError
from ssoctl.portals.graph_permissions import known_by_name
from ssoctl.spec import (
    SECRET_DAYS_DEFAULT,
    AppSpec,
    OptionalClaim,
    Permission,
    PermissionName,
    check_redirect_uri,
    slug,
)

OKTA_ORG = "{okta_org}"  # a placeholder a profile's redirect URIs may use; --okta-org fills it


@dataclass(frozen=True)
class PortalOptions:
    """The user's choices that shape a spec (`--name`, `--redirect-uri`, `--secret-days`, ...).

    None means "as the profile says"; lists add to the profile's. `generic-oidc` starts almost
    empty, so these flags are the whole registration there.
    """

    display_name: str | None = None
    redirect_uris: tuple[str, ...] = ()
    secret_days: int = SECRET_DAYS_DEFAULT
    group_claims: str | None = None
    sign_in_audience: str | None = None
    implicit_access_tokens: bool | None = None
    implicit_id_tokens: bool | None = None
    optional_claims: tuple[OptionalClaim, ...] = ()
    permissions: tuple[PermissionName, ...] = ()
    identifier_uri: str | None = None  # "" removes the profile's
    admin_consent: bool | None = None
    okta_org: str | None = None
    tenant_only: bool = False  # signInAudience AzureADMyOrg


def split_permissions(
    names: tuple[PermissionName, ...],
) -> tuple[tuple[Permission, ...], tuple[PermissionName, ...]]:
    """Permissions ssoctl knows by heart (with ids), and the names left to resolve through Graph."""
    known: list[Permission] = []
    unknown: list[PermissionName] = []
    for name in names:
        found = known_by_name(name.api, name.value, name.type)
        if found:
            known.append(found)
        else:
            unknown.append(name)
    return tuple(known), tuple(unknown)


def check_okta_org(url: str) -> str:
    """An Okta org's base URL, normalised so a re-run with `https://ACME.okta.com/` matches
    `https://acme.okta.com`: https (http only for loopback), lower-case scheme and host, no
    trailing slash. User info, a path, query or fragment is refused — it would spread into the
    redirect URI, state.json and output."""
    from urllib.parse import urlsplit

    from ssoctl.errors import UsageError

    example = "e.g. --okta-org https://acme.okta.com"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or not parts.hostname:
        raise UsageError(
            f"--okta-org {url!r} is not an Okta org URL", hint=f"give the org's base URL, {example}"
        )
    shown = f"{parts.scheme}://{parts.hostname}"  # never echo user info back
    if "@" in parts.netloc:
        raise UsageError(
            f"--okta-org {shown} has user info (user:password@)",
            hint=f"an org base URL has no user info: drop it, {example}",
        )
    if parts.path.strip("/") or parts.query or parts.fragment or "?" in url or "#" in url:
        raise UsageError(
            f"--okta-org {url!r} has a path, query or fragment",
            hint=f"give only the org's base URL (path empty), {example}",
        )
    scheme = parts.scheme.lower()
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if not (scheme == "https" or (scheme == "http" and loopback)):
        raise UsageError(
            f"--okta-org {url!r} is not an Okta org URL",
            hint=f"give the org's base URL, {example} (plain http only for 127.0.0.1)",
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # hostname is lower-case
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")


@dataclass(frozen=True)
class NextStepContext:
    """What the next steps may mention: IDs (never the secret's value) and how to reveal it."""

    client_id: str
    tenant_id: str
    display_name: str
    reveal_command: str
    secret_location: str | None
    discovery_url: str = ""  # the tenant's OpenID Connect metadata document, in its cloud

    @property
    def secret_to_paste(self) -> str:
        """Where the person gets the secret's value from: the reveal command, or what they saved."""
        if self.secret_location and self.secret_location.split(":")[0] in ("pingone", "okta"):
            return f"nothing — ssoctl already wrote it to {self.secret_location}"
        if self.secret_location:
            return f"the value printed by `{self.reveal_command}`"
        return "the secret value you saved when it was shown"


@dataclass(frozen=True)
class Portal:
    """A portal profile: its guide turned into data plus a function for the steps left to do."""

    name: str
    title: str
    guide: str
    summary: str
    sign_in_audience: str
    redirect_uris: tuple[str, ...]
    implicit_access_tokens: bool
    implicit_id_tokens: bool
    optional_claims: tuple[OptionalClaim, ...]
    permissions: tuple[Permission, ...]
    expose_api: bool
    next_steps: Callable[[NextStepContext], list[str]]
    troubleshooting: tuple[str, ...] = ()
    stores: tuple[str, ...] = field(default=("keyring", "env-file:PATH", "none"))
    admin_consent: bool = False  # grant the permissions tenant-wide, as "Grant admin consent" does
    group_claims: str | None = None  # groupMembershipClaims unless --group-claims says otherwise
    redirect_uri_from_portal: str = ""  # non-empty: --redirect-uri is required; says where to find it
    shows_discovery_url: bool = False  # next steps need the tenant's OpenID Connect metadata URL
    identifier_uri: str = ""  # an application ID URI other than expose_api's api://{appId}
    unresolved: tuple[PermissionName, ...] = ()  # permissions by name, resolved at register
    origin: str = "built-in"  # or the TOML file a user wrote
    source: str = ""  # the TOML text the profile was read from ("" for a Python-made profile)

    @property
    def needs_okta_org(self) -> bool:
        return any(OKTA_ORG in uri for uri in self.redirect_uris)

    def unique_name(self, display_name: str) -> str:
        """The immutable Graph key: `ssoctl-emnify`, or `ssoctl-emnify-<name>` for another name.

        Keying on uniqueName (never displayName) is what makes register idempotent.
        """
        base = f"ssoctl-{self.name}"
        return base if slug(display_name) == slug(self.name) else f"{base}-{slug(display_name)}"

    def build_spec(self, options: PortalOptions, *, for_display: bool = False) -> AppSpec:
        """The desired app registration. `for_display` (portals show): a required redirect URI
        the user has not given yet is shown as a placeholder instead of refused."""
        if options.display_name is not None and not options.display_name.strip():
            raise UsageError(
                "--name is empty",
                hint=f"give --name a name with letters or digits, or leave it out for {self.name!r}",
            )
        display_name = (options.display_name or self.name).strip()
        redirect_uris = (*self._own_redirect_uris(options, for_display), *options.redirect_uris)
        if self.redirect_uri_from_portal and not options.redirect_uris and not for_display:
            raise UsageError(
                f"--redirect-uri is required for {self.name}",
                hint=f"copy it from {self.redirect_uri_from_portal} and pass --redirect-uri URI",
            )
        for uri in options.redirect_uris:
            check_redirect_uri(uri)
        known, unresolved = split_permissions((*self.unresolved, *options.permissions))
        audience = "AzureADMyOrg" if options.tenant_only else options.sign_in_audience
        identifier_uri = self.identifier_uri if options.identifier_uri is None else options.identifier_uri
        return AppSpec(
            portal=self.name,
            display_name=display_name,
            unique_name=self.unique_name(display_name),
            sign_in_audience=audience or self.sign_in_audience,
            redirect_uris=redirect_uris,
            implicit_access_tokens=_either(options.implicit_access_tokens, self.implicit_access_tokens),
            implicit_id_tokens=_either(options.implicit_id_tokens, self.implicit_id_tokens),
            optional_claims=(*self.optional_claims, *options.optional_claims),
            permissions=(*self.permissions, *known),
            expose_api=self.expose_api if options.identifier_uri is None else False,
            group_membership_claims=options.group_claims or self.group_claims,
            secret_days=options.secret_days,
            admin_consent=_either(options.admin_consent, self.admin_consent),
            identifier_uri=identifier_uri,
            unresolved=unresolved,
        )

    def _own_redirect_uris(self, options: PortalOptions, for_display: bool) -> tuple[str, ...]:
        """The profile's redirect URIs, with `{okta_org}` filled from --okta-org."""
        if not self.needs_okta_org:
            return self.redirect_uris
        if options.okta_org:
            org = check_okta_org(options.okta_org)
            return tuple(uri.replace(OKTA_ORG, org) for uri in self.redirect_uris)
        if for_display:
            return tuple(uri.replace(OKTA_ORG, "https://YOUR-ORG.okta.com") for uri in self.redirect_uris)
        raise UsageError(
            f"--okta-org is required for {self.name}",
            hint="pass your Okta org's base URL, e.g. --okta-org https://acme.okta.com",
        )


def _either(choice: bool | None, default: bool) -> bool:
    return default if choice is None else choice

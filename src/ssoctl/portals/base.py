"""What a portal profile is: the app registration its vendor guide asks for, and the steps left.

One module per portal builds a `Portal`; `portals/__init__.py` registers it. A portal decides the
AppSpec from the user's options (`PortalOptions`) and, after apply, the remaining manual steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ssoctl.errors import UsageError
from ssoctl.spec import SECRET_DAYS_DEFAULT, AppSpec, OptionalClaim, Permission, slug


@dataclass(frozen=True)
class PortalOptions:
    """The user's choices that shape a spec (`--name`, `--redirect-uri`, `--secret-days`, ...)."""

    display_name: str | None = None
    redirect_uris: tuple[str, ...] = ()
    secret_days: int = SECRET_DAYS_DEFAULT
    group_claims: str | None = None


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

    def unique_name(self, display_name: str) -> str:
        """The immutable Graph key: `ssoctl-emnify`, or `ssoctl-emnify-<name>` for another name.

        Keying on uniqueName (never displayName) is what makes register idempotent.
        """
        base = f"ssoctl-{self.name}"
        return base if slug(display_name) == slug(self.name) else f"{base}-{slug(display_name)}"

    def build_spec(self, options: PortalOptions, *, for_display: bool = False) -> AppSpec:
        """The desired app registration. `for_display` (portals show): a required redirect URI
        the user has not given yet is shown as a placeholder instead of refused."""
        display_name = (options.display_name or self.name).strip()
        redirect_uris = (*self.redirect_uris, *options.redirect_uris)
        if self.redirect_uri_from_portal and not options.redirect_uris and not for_display:
            raise UsageError(
                f"--redirect-uri is required for {self.name}",
                hint=f"copy it from {self.redirect_uri_from_portal} and pass --redirect-uri URI",
            )
        return AppSpec(
            portal=self.name,
            display_name=display_name,
            unique_name=self.unique_name(display_name),
            sign_in_audience=self.sign_in_audience,
            redirect_uris=redirect_uris,
            implicit_access_tokens=self.implicit_access_tokens,
            implicit_id_tokens=self.implicit_id_tokens,
            optional_claims=self.optional_claims,
            permissions=self.permissions,
            expose_api=self.expose_api,
            group_membership_claims=options.group_claims or self.group_claims,
            secret_days=options.secret_days,
            admin_consent=self.admin_consent,
        )

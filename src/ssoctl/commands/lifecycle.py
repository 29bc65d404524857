"""What verify, rotate and prune share: finding a registration, its spec and its stored secret.

These commands work on a registration ssoctl made (state.json) rather than on options typed
again, so the spec is rebuilt from the portal profile plus what the app itself records: the extra
redirect URIs (where the portal has the user copy them in) and group claims the user chose at
register time are taken from the app, and only the portal's own settings are compared for drift.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ssoctl.credentials import CredentialRef, Credentials
from ssoctl.deps import Deps
from ssoctl.errors import StoreError
from ssoctl.graph.mapping import AppState
from ssoctl.graph.token_check import TokenResult, request_token, retry_budget
from ssoctl.portals import Portal, PortalOptions
from ssoctl.portals.base import OKTA_ORG
from ssoctl.spec import AppSpec, env_prefix
from ssoctl.state import Registration, StateFile
from ssoctl.stores import parse_store
from ssoctl.stores.base import Store
from ssoctl.stores.portal_api import ProviderOptions

from .hints import command_for, hint_store
from .session import GraphSession

GROUP_CLAIM_VALUES = ("SecurityGroup", "All")


@dataclass(frozen=True)
class Target:
    """One registration as a command addresses it, and how to name it in hints."""

    portal: Portal
    record: Registration
    sandbox: bool
    tenant_named: bool = False  # --tenant/AZURE_TENANT_ID was given: hints name it too

    @property
    def ref(self) -> CredentialRef:
        reg = self.record
        return CredentialRef(reg.tenant_id, reg.unique_name, env_prefix(reg.display_name))

    def command(self, verb: str, *, store: str | None = None, extra: tuple[str, ...] = ()) -> str:
        """The exact command for this registration (hints.command_for): `--tenant` when the user
        named the tenant, `--store` on rotate/register when it is not the keyring."""
        return command_for(
            verb,
            self.portal.name,
            name=self.record.display_name,
            sandbox=self.sandbox,
            tenant=self.record.tenant_id if self.tenant_named else None,
            store=store,
            extra=extra,
        )


def find_target(state: StateFile, portal: Portal, name: str | None, session: GraphSession) -> Target:
    """The registration of `portal` named `name` in the session's tenant, or UsageError saying
    how to find it."""
    unique_name = portal.unique_name(name or portal.name)
    record = state.find(portal.name, unique_name, session.tenant_id.lower())
    return Target(portal, record, session.sandbox, tenant_named=bool(session.requested_tenant))


def spec_for(portal: Portal, record: Registration, app: AppState | None) -> AppSpec:
    """The spec to compare against: the portal's profile, with the user's own register-time
    choices (group claims; redirect URIs where the portal has the user copy them in; the Okta
    org) read back from the app. Where the profile fixes the redirect URIs (emnify), an extra one
    is drift, as `register` sees it: a redirect URI added by hand can send sign-in tokens anywhere.

    A registration whose record holds the flags it was made with (`registerOptions`) is built from
    those instead: every flag, for every portal (generic-oidc's are the whole registration)."""
    from .register import remembered_portal_options

    remembered = remembered_portal_options(record)
    if remembered is not None:
        for_display = portal.redirect_uri_from_portal != "" and not remembered.redirect_uris
        return portal.build_spec(
            remembered, for_display=for_display or (portal.needs_okta_org and not remembered.okta_org)
        )
    okta_org = recorded_okta_org(portal, record, app)
    own = portal.build_spec(PortalOptions(okta_org=okta_org), for_display=True).redirect_uris
    chosen = app.redirect_uris if app and portal.redirect_uri_from_portal else ()
    extra = tuple(u for u in chosen if u not in own)
    claims = app.group_membership_claims if app else None
    return portal.build_spec(
        PortalOptions(
            display_name=record.display_name,
            redirect_uris=extra,
            group_claims=claims if claims in GROUP_CLAIM_VALUES else None,
            okta_org=okta_org,
        ),
        for_display=not extra or (portal.needs_okta_org and okta_org is None),
    )


def recorded_okta_org(portal: Portal, record: Registration, app: AppState | None) -> str | None:
    """The Okta org a registration was made for (`--okta-org` is not asked again): the record's
    `okta:<org>/<idp>` store, else the org part of the app's redirect URI the profile fills."""
    if not portal.needs_okta_org:
        return None
    held = record.secret
    if held is not None and held.store.startswith("okta:"):
        return parse_store(held.store).place or None
    for template in portal.redirect_uris:
        head, found, tail = template.partition(OKTA_ORG)
        for uri in app.redirect_uris if app and found else ():
            if uri.startswith(head) and uri.endswith(tail) and len(uri) > len(head) + len(tail):
                return uri[len(head) : len(uri) - len(tail)]
    return None


def open_location(deps: Deps, location: str) -> Store | None:
    """The store a state.json location names (`keyring`, `env-file:/abs`); None for `none`."""
    opened, _ = deps.open_store(parse_store(location), home=deps.home, sandbox=False, env=deps.env)
    return opened


def open_held(deps: Deps, target: Target, location: str) -> Store | None:
    """The store holding a registration's secret, ready to read: a portal's API store (PingOne,
    Okta) is opened against the sandbox's fakes under --sandbox, looks its identity provider up by
    the registration's name, and is checked (its credentials, the provider) before a read."""
    spec = parse_store(location)
    if spec.kind not in ("pingone", "okta"):
        return open_location(deps, location)
    spec = dataclasses.replace(spec, provider=ProviderOptions(idp_name=target.record.display_name))
    opened, _ = deps.open_store(spec, home=deps.home, sandbox=target.sandbox, env=deps.env)
    if opened is not None:
        opened.preflight(target.ref)
    return opened


def load_held(deps: Deps, target: Target) -> tuple[Credentials | None, str]:
    """The stored client ID and secret, or None and why not (never raises for a missing value)."""
    held = target.record.secret
    if held is None or held.store == "none":
        return None, "ssoctl keeps no copy of this registration's secret (it was shown once, --store none)"
    try:
        store = open_held(deps, target, held.store)
        creds = store.load(target.ref) if store else None
    except StoreError as exc:
        return None, f"cannot read {held.store}: {exc.message}"
    if creds is None:
        return None, f"{held.store} no longer holds the client secret {held.key_id}"
    return creds, ""


def store_hint(deps: Deps, location: str | None) -> str | None:
    """The --store to name in a hint (None for the keyring and the sandbox's stand-in for it)."""
    return hint_store(location, deps.home)


def check_token(deps: Deps, endpoint: str, creds: Credentials, *, fresh: bool) -> TokenResult:
    """A client-credentials token request with these credentials (bounded retry when fresh)."""
    return request_token(
        endpoint,
        creds.client_id,
        creds.client_secret,
        sleep=deps.sleep,
        fresh=fresh,
        retry_for=retry_budget(deps.env),
    )

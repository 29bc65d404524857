"""`ssoctl secrets reveal`: read a stored secret back, only because the user asked."""

from __future__ import annotations

from ssoctl.credentials import CredentialRef, Credentials
from ssoctl.deps import Deps
from ssoctl.errors import StoreError, UsageError
from ssoctl.ids import is_guid
from ssoctl.portals import find_portal
from ssoctl.spec import check_display_name, env_prefix
from ssoctl.state import Registration, StateFile
from ssoctl.stores import parse_store

from .hints import command_for, hint_store


def reveal_secret(
    deps: Deps, *, portal: str, name: str | None, tenant: str | None, sandbox: bool
) -> tuple[Registration, Credentials]:
    check_display_name(name)
    profile = find_portal(portal, home=deps.home)
    state = StateFile(deps.home)
    in_sandbox = deps.sandbox_requested(sandbox)
    register = command_for(
        "azure register",
        profile.name,
        name=name,
        sandbox=in_sandbox,
        extra=["--redirect-uri", "URI"] if profile.redirect_uri_from_portal else [],
    )
    if tenant and not is_guid(tenant):
        # state.json records tenants by ID; resolving a domain would need a Graph sign-in.
        raise UsageError(
            f"--tenant {tenant!r} is not a tenant ID",
            hint="give the tenant's GUID (see `ssoctl azure register` output)",
        )
    if deps.sandbox_requested(sandbox):
        from ssoctl.sandbox import existing_tenant_id

        sandbox_tenant = existing_tenant_id(deps.home)
        if sandbox_tenant is None:
            raise UsageError(
                "there is no sandbox tenant yet",
                hint=f"register first: {register}",
            )
        if tenant and tenant.lower() != sandbox_tenant:
            raise UsageError(
                f"--tenant {tenant} is not the sandbox tenant ({sandbox_tenant})",
                hint="drop --tenant or --sandbox",
            )
        tenant = sandbox_tenant
    env_tenant = deps.env.get("AZURE_TENANT_ID") or None
    if tenant is None and env_tenant and is_guid(env_tenant):  # a domain there is for sign-in only
        tenant = env_tenant
    unique_name = profile.unique_name(name or profile.name)
    reg = state.find(profile.name, unique_name, tenant.lower() if tenant else None)
    held = reg.secret

    def register_again(store: str | None) -> str:
        """register for exactly this registration (found: its tenant is known now)."""
        return command_for(
            "azure register",
            profile.name,
            name=reg.display_name,
            sandbox=in_sandbox,
            tenant=None if in_sandbox else reg.tenant_id,
            store=store,
            extra=["--redirect-uri", "URI"] if profile.redirect_uri_from_portal else [],
        )

    if held is None or held.store == "none":
        # Without --store, register keeps `none`: the hint must name a store that keeps it.
        raise UsageError(
            f"ssoctl stores no secret for {reg.display_name}",
            hint=f"create one: {register_again(None)} --store keyring (or --store env-file:PATH)",
        )
    if held.store.split(":")[0] in ("pingone", "okta"):
        raise UsageError(
            f"the secret of {reg.display_name} lives only in {held.store}; ssoctl never keeps a copy to reveal",
            hint="the portal already has it; to get a value you can see, register again with "
            "--store keyring or --store env-file:PATH (that makes a new secret)",
        )
    register = register_again(hint_store(held.store, deps.home))
    ref = CredentialRef(reg.tenant_id, reg.unique_name, env_prefix(reg.display_name))
    store, _ = deps.open_store(parse_store(held.store), home=deps.home, sandbox=False, env=deps.env)
    creds = store.load(ref) if store else None
    if creds is None:
        raise StoreError(
            f"{held.store} no longer holds the client secret of {reg.display_name}",
            hint=f"make a new one: {register}",
        )
    return reg, creds

"""`ssoctl azure register`: portal → spec → read → plan → confirm → apply → store → next steps.

The whole run holds SSOCTL_HOME (`state.exclusive_run`) from its first read to its last write, so
two runs on one machine never plan against each other's half-done work.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets as random_tokens
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ssoctl.apply import DEFAULT_CONCURRENCY, ApplyResult, apply_plan, used_now
from ssoctl.cloud_features import APPLICATION_UPSERT, cloud_notices
from ssoctl.config import Cloud
from ssoctl.credentials import CredentialRef
from ssoctl.deps import Deps
from ssoctl.errors import StoreError, UsageError
from ssoctl.graph.api import GraphApi
from ssoctl.graph.mapping import AppState, graph_datetime
from ssoctl.plan import NO_STORE, Plan, SecretStatus, diff
from ssoctl.portals import NextStepContext, Portal, PortalOptions, find_portal, remember_applied
from ssoctl.preflight import assess, needs_of, preflight
from ssoctl.resources import identity_provider, read_current
from ssoctl.resources.permission_names import resolve as resolve_permission_names
from ssoctl.secrets import Reminder
from ssoctl.spec import (
    SECRET_DAYS_DEFAULT,
    AppSpec,
    parse_optional_claim,
    parse_permission,
    sign_in_audience,
)
from ssoctl.state import HeldSecret, Registration, StateFile, exclusive_run
from ssoctl.stores import StoreSpec, parse_store
from ssoctl.stores.base import Store
from ssoctl.stores.portal_api import PortalApiStore, ProviderOptions, check_provider_options

from .confirm import confirm_change
from .hints import command_for
from .reminders import due as due_reminders_now
from .session import GraphSession, graph_session
from .store_rule import choose_store


@dataclass(frozen=True)
class RegisterOptions:
    """`azure register`'s options. The profile settings (audience … admin_consent) override the
    portal profile's; None means "as the profile says"."""

    portal: str | None
    name: str | None = None
    redirect_uris: tuple[str, ...] = ()
    group_claims: str | None = None
    portal_file: Path | None = None
    audience: str | None = None
    implicit_access_tokens: bool | None = None
    implicit_id_tokens: bool | None = None
    optional_claims: tuple[str, ...] = ()  # TOKEN:CLAIM, e.g. idToken:upn
    permissions: tuple[str, ...] = ()  # API/VALUE [(application)], e.g. Microsoft Graph/User.Read
    identifier_uri: str | None = None
    admin_consent: bool | None = None
    okta_org: str | None = None
    tenant_only: bool = False
    pingone_env: str | None = None
    pingone_region: str | None = None
    pingone_api_url: str | None = None
    pingone_auth_url: str | None = None
    secret_days: int = SECRET_DAYS_DEFAULT
    store: str | None = None
    plan_only: bool = False
    yes: bool = False
    show_secret: bool = False
    sandbox: bool = False
    tenant: str | None = None
    cloud: str | None = None


@dataclass
class RegisterOutcome:
    portal: Portal
    spec: AppSpec
    plan: Plan
    tenant_id: str
    sandbox: bool
    discovery_url: str = ""
    tenant_flag: str | None = None  # the tenant hints name (--tenant): None for the signed-in default
    cloud: Cloud | None = None  # the real cloud (None in the sandbox): its admin portal link
    applied: bool = False
    result: ApplyResult | None = None
    next_steps: list[str] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)
    # Said on stderr before confirming (not again after); JSON `warnings` lists them with apply's.
    warnings: list[str] = field(default_factory=list)


class RegisterUI(Protocol):
    """What register needs from the terminal while it runs (the result is rendered afterwards)."""

    def notice(self, text: str) -> None: ...

    def show_plan(self, plan: Plan, tenant_id: str, sandbox: bool) -> None: ...

    def confirm(self, question: str) -> bool: ...

    def progress(self, text: str) -> contextlib.AbstractContextManager[None]:
        """A spinner while a slow step runs (at a terminal only)."""
        ...


def reveal_command(spec: AppSpec, tenant: str | None, sandbox: bool) -> str:
    """The exact `secrets reveal` for this registration: named, and in this tenant (`tenant`:
    the tenant to name, None when it is the signed-in default)."""
    return command_for("secrets reveal", spec.portal, name=spec.display_name, sandbox=sandbox, tenant=tenant)


def _store_at(deps: Deps, location: str) -> Store | None:
    """The store a state.json location names (`keyring`, `env-file:/abs`); None for `none`."""
    opened, _ = deps.open_store(parse_store(location), home=deps.home, sandbox=False, env=deps.env)
    return opened


def _held_in_store(
    held: HeldSecret | None, ref: CredentialRef, current: AppState | None, deps: Deps, requested: Store | None
) -> bool:
    """Does the store named in state.json still hold this app's secret? (`none`: the user does.)

    An unreadable *other* store counts as not holding it (the secret then moves to the requested
    store); the requested store already passed its preflight, so its errors are real ones.
    """
    if held is None or current is None:
        return False
    if held.store == NO_STORE:
        return True
    if requested is not None and held.store == requested.location:
        creds = requested.load(ref)
    else:
        try:
            other = _store_at(deps, held.store)
            creds = other.load(ref) if other else None
        except StoreError:
            return False
    return creds is not None and creds.client_id == current.app_id


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _refuse_key_collision(record: Registration | None, spec: AppSpec) -> None:
    """`--name 'Team A'` and `--name team-a` (or `Zürich` and `Z rich`) give the same uniqueName:
    refuse the second rather than let two names silently share one app and one secret."""
    if record is None or _same_name(record.display_name, spec.display_name):
        return
    raise UsageError(
        f"--name {spec.display_name!r} would share the app {spec.unique_name} with the registration "
        f"named {record.display_name!r}",
        hint=f"use --name {record.display_name!r} for that registration, or a name that differs in "
        "its letters or digits",
    )


def _adopt_pending(
    pending: tuple[str, ...], current: AppState | None, ref: CredentialRef, store: Store | None
) -> HeldSecret | None:
    """A run killed after storing its new secret but before recording it: the store holds a secret
    of this app whose first characters are the hint of a credential the run noted as pending.
    That credential is the stored one, so it is adopted rather than replaced by yet another."""
    if not pending or current is None or store is None:
        return None
    creds = store.load(ref)
    if creds is None or creds.client_id != current.app_id:
        return None
    text = creds.client_secret.reveal()
    for password in current.passwords:
        if password.display_name in pending and password.hint and text.startswith(password.hint):
            end = graph_datetime(password.end) if password.end else ""
            return HeldSecret(password.key_id, end, store.location, password.display_name)
    return None


def _adopt_unrecorded(
    current: AppState | None, ref: CredentialRef, store: Store | None, now: datetime
) -> HeldSecret | None:
    """ssoctl has no record of this app (state.json was removed or lost) but the store it was
    told to use holds a secret of it: the one valid credential whose hint (its first characters)
    the stored value starts with is adopted, so the store's secret (the portal's) stays the one
    in use instead of being replaced. Two that match, or none: nothing is adopted."""
    if current is None or store is None or not current.passwords:
        return None
    creds = store.load(ref)
    if creds is None or creds.client_id != current.app_id:
        return None
    text = creds.client_secret.reveal()
    matches = [
        p for p in current.passwords if p.hint and text.startswith(p.hint) and (p.end is None or p.end > now)
    ]
    if len(matches) != 1:
        return None
    (password,) = matches
    end = graph_datetime(password.end) if password.end else ""
    return HeldSecret(password.key_id, end, store.location, password.display_name)


def _record_adopted(adopted: HeldSecret | None, state: StateFile, ref: CredentialRef, plan: Plan) -> None:
    """Write down the adopted secret (and what it replaced) before anything else happens."""
    if adopted is None:
        return

    def adopt(record: Registration | None) -> Registration | None:
        if record is None:
            current = plan.current
            if current is None:
                return None
            spec = plan.spec  # adopted with no record (`_adopt_unrecorded`): record it anew
            return Registration(
                portal=spec.portal,
                display_name=spec.display_name,
                unique_name=spec.unique_name,
                tenant_id=ref.tenant_id,
                app_id=current.app_id,
                object_id=current.object_id,
                secret=adopted,
                replaced=plan.secret.replaced,
            )
        return dataclasses.replace(record, secret=adopted, replaced=plan.secret.replaced)

    state.update(ref.tenant_id, plan.spec.unique_name, adopt)


def _confirm(opts: RegisterOptions, deps: Deps, ui: RegisterUI) -> None:
    confirm_change(
        deps,
        ui.confirm,
        "Apply these changes?",
        what="change the tenant",
        yes=opts.yes,
        hint="review with --plan, then pass --yes to apply without a prompt",
    )


def _read_and_plan(
    spec: AppSpec,
    graph: GraphApi,
    state: StateFile,
    ref: CredentialRef,
    store: Store | None,
    deps: Deps,
) -> tuple[Plan, HeldSecret | None]:
    """The tenant (one read per resource kind), ssoctl's record and the store → the plan (pure),
    and the secret of an interrupted run it adopted (see `_adopt_pending`), if any."""
    record = state.get(ref.tenant_id, spec.unique_name)
    tenant = read_current(graph, spec, record)
    current = tenant.app
    held = record.secret if record else None
    same_app = bool(record and current and record.app_id == current.app_id)
    replaced = record.replaced if record and same_app else ()
    pending = record.pending if record and same_app else ()
    adopted = _adopt_pending(pending, current, ref, store)
    if adopted is None and record is None:
        adopted = _adopt_unrecorded(current, ref, store, deps.clock())
    if adopted is not None:
        if held is not None and held.key_id != adopted.key_id:
            replaced = (*replaced, held.key_id)  # what the interrupted run was replacing
        held = adopted
    in_store = _held_in_store(held, ref, current, deps, store)
    plan = diff(
        spec,
        tenant,
        SecretStatus(held, in_store, replaced, pending),
        store=store.location if store else NO_STORE,
        now=deps.clock(),
        tag=random_tokens.token_hex(3),
    )
    return plan, adopted


def portal_options(opts: RegisterOptions) -> PortalOptions:
    """The flags as PortalOptions, each parsed (bad input → UsageError before any request)."""
    return PortalOptions(
        display_name=opts.name,
        redirect_uris=opts.redirect_uris,
        secret_days=opts.secret_days,
        group_claims=opts.group_claims,
        sign_in_audience=sign_in_audience(opts.audience) if opts.audience else None,
        implicit_access_tokens=opts.implicit_access_tokens,
        implicit_id_tokens=opts.implicit_id_tokens,
        optional_claims=tuple(parse_optional_claim(c) for c in opts.optional_claims),
        permissions=tuple(parse_permission(p) for p in opts.permissions),
        identifier_uri=opts.identifier_uri,
        admin_consent=opts.admin_consent,
        okta_org=opts.okta_org,
        tenant_only=opts.tenant_only,
    )


# The flags that shape the spec, and their keys in the registration record (state.json
# `registerOptions`): what register was told is what status, verify, rotate and a re-run expect.
REMEMBERED = {
    "redirect_uris": "redirectUris",
    "group_claims": "groupClaims",
    "audience": "audience",
    "implicit_access_tokens": "implicitAccessTokens",
    "implicit_id_tokens": "implicitIdTokens",
    "optional_claims": "optionalClaims",
    "permissions": "permissions",
    "identifier_uri": "identifierUri",
    "admin_consent": "adminConsent",
    "okta_org": "oktaOrg",
    "tenant_only": "tenantOnly",
    "secret_days": "secretDays",
}
_DEFAULTS = RegisterOptions(portal=None)


def remembered_flags(opts: RegisterOptions) -> dict[str, Any]:
    """The spec-shaping flags this run uses (those not left at their default), JSON-ready."""
    chosen: dict[str, Any] = {}
    for name, key in REMEMBERED.items():
        value = getattr(opts, name)
        if value != getattr(_DEFAULTS, name):
            chosen[key] = list(value) if isinstance(value, tuple) else value
    return chosen


def with_remembered(opts: RegisterOptions, remembered: Any) -> RegisterOptions:
    """`opts` with each flag left out taken from the record: a plain re-run (the repair command
    status prints) rebuilds the registration as it was made; a flag given again wins (a list flag
    such as --redirect-uri replaces the remembered list)."""
    if not isinstance(remembered, dict):
        return opts
    changes: dict[str, Any] = {}
    for name, key in REMEMBERED.items():
        if key not in remembered or getattr(opts, name) != getattr(_DEFAULTS, name):
            continue
        if (name == "tenant_only" and opts.audience) or (name == "audience" and opts.tenant_only):
            continue  # the audience given now replaces the remembered one
        value = remembered[key]
        changes[name] = tuple(str(v) for v in value) if isinstance(value, list) else value
    return dataclasses.replace(opts, **changes)


def remembered_portal_options(record: Registration) -> PortalOptions | None:
    """The PortalOptions a registration was made with (None: made before ssoctl recorded them)."""
    if record.options is None:
        return None
    opts = with_remembered(RegisterOptions(portal=record.portal, name=record.display_name), record.options)
    return portal_options(opts)


def provider_options(opts: RegisterOptions) -> ProviderOptions:
    """The portal-store flags (--store pingone / okta); `prepare` names the provider after the app."""
    return ProviderOptions(
        pingone_env=opts.pingone_env,
        pingone_region=opts.pingone_region,
        pingone_api_url=opts.pingone_api_url,
        pingone_auth_url=opts.pingone_auth_url,
        okta_org=opts.okta_org,
    )


def build_request(
    opts: RegisterOptions, home: Path, *, sandbox: bool = True
) -> tuple[Portal, AppSpec, str | None]:
    """The portal, desired spec and `--store` text an invocation asks for: checks only, no
    request (user portal profiles are read from `home`). `sandbox`: whether the sandbox's fake
    portals stand in for a PingOne environment or Okta org left out."""
    portal = find_portal(opts.portal, home=home, portal_file=opts.portal_file)
    spec = portal.build_spec(portal_options(opts))
    chosen = parse_store(opts.store) if opts.store is not None else None
    if chosen is not None and chosen.kind in ("pingone", "okta"):
        check_provider_options(chosen.kind, chosen.place, provider_options(opts), sandbox=sandbox)
    if chosen is not None and chosen.kind == "none" and not opts.show_secret:
        # bad input stops here, before any request (parse_store refuses unknown kinds)
        raise UsageError(
            "--store none would keep the new secret nowhere",
            hint="add --show-secret to print it once, or use --store keyring / --store env-file:PATH",
        )
    return portal, spec, opts.store


@dataclass
class Prepared:
    """One registration read and planned against its tenant, ready to be shown, confirmed and
    applied: what `register` does for one registration and `apply` for each of a file's."""

    portal: Portal
    spec: AppSpec
    store: Store | None
    ref: CredentialRef
    plan: Plan
    tenant_id: str
    sandbox: bool
    discovery_url: str = ""
    tenant_flag: str | None = None  # the tenant hints name (--tenant): None for the signed-in default
    cloud: Cloud | None = None  # the real cloud (None in the sandbox): its admin portal link
    adopted: HeldSecret | None = None  # the secret of an interrupted run, found in the store
    flags: dict[str, Any] | None = None  # the spec-shaping flags to remember (remembered_flags)

    def outcome(self) -> RegisterOutcome:
        outcome = RegisterOutcome(
            self.portal, self.spec, self.plan, self.tenant_id, self.sandbox, self.discovery_url
        )
        outcome.tenant_flag = self.tenant_flag
        outcome.cloud = self.cloud
        return outcome


def _quiet(text: str) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext()


def prepare(
    portal: Portal,
    spec: AppSpec,
    requested_store: str | None,
    session: GraphSession,
    state: StateFile,
    deps: Deps,
    notice: Callable[[str], None],
    progress: Callable[[str], contextlib.AbstractContextManager[None]] = _quiet,
    provider: ProviderOptions | None = None,
) -> Prepared:
    """Choose, open and preflight the store and state.json, read the tenant, plan. Changes nothing.

    `provider`: the --store pingone / okta flags; the identity provider is named like the app.
    A store that runs something (the sandbox's fake PingOne) is closed again if this fails."""
    with progress("Signing in to Microsoft Graph…"):
        tenant_id = session.tenant_id
    # A registration keeps its store: without --store, the one holding its secret now.
    store_spec: StoreSpec = dataclasses.replace(
        choose_store(requested_store, state.get(tenant_id, spec.unique_name)),
        provider=dataclasses.replace(provider or ProviderOptions(), idp_name=spec.display_name),
    )
    store, note = deps.open_store(store_spec, home=deps.home, sandbox=session.sandbox, env=deps.env)
    if note:
        notice(note)
    try:
        return _prepare_with(portal, spec, store, tenant_id, session, state, deps, progress)
    except BaseException:
        close_store(store)
        raise


def close_store(store: Store | None) -> None:
    """Stop what a store started (the sandbox's fake PingOne / Okta); nothing for the others."""
    if isinstance(store, PortalApiStore):
        store.close()


def _prepare_with(
    portal: Portal,
    spec: AppSpec,
    store: Store | None,
    tenant_id: str,
    session: GraphSession,
    state: StateFile,
    deps: Deps,
    progress: Callable[[str], contextlib.AbstractContextManager[None]],
) -> Prepared:
    spec = resolve_permission_names(spec, session.graph)
    ref = CredentialRef(tenant_id, spec.unique_name, spec.env_prefix)
    _refuse_key_collision(state.get(tenant_id, spec.unique_name), spec)
    # Before anything in the tenant changes (and for --plan too, so it tells the truth).
    state.preflight()
    if store is not None:
        store.preflight(ref)
    with progress(f"Reading {spec.display_name} in tenant {tenant_id}…"):
        plan, adopted = _read_and_plan(spec, session.graph, state, ref, store, deps)
    if isinstance(store, PortalApiStore):  # the portal's identity provider, as a resource
        app_id = plan.current.app_id if plan.current else None
        idp_step = identity_provider.diff(store, app_id, plan.new_secret is not None)
        plan = dataclasses.replace(plan, steps=(*plan.steps, idp_step))
    discovery = session.discovery_url if portal.shows_discovery_url else ""
    tenant_flag = tenant_id if session.requested_tenant else None
    cloud = None if session.sandbox else session.cloud
    return Prepared(
        portal, spec, store, ref, plan, tenant_id, session.sandbox, discovery, tenant_flag, cloud, adopted
    )


def conclude_unchanged(
    prepared: Prepared, deps: Deps, state: StateFile, *, plan_only: bool
) -> RegisterOutcome:
    """Nothing to apply (or --plan): refresh ssoctl's record when applying, then next steps."""
    plan = prepared.plan
    if not plan_only:
        _record_adopted(prepared.adopted, state, prepared.ref, plan)
        _note_resources(plan, state, prepared.tenant_id)
        _remember_flags(prepared, state)
        remember_applied(prepared.portal, deps.home)
    return _finish(prepared.outcome(), deps, state, plan.current.app_id if plan.current else None)


def _remember_flags(prepared: Prepared, state: StateFile) -> None:
    """Write the flags this run used into its record, for status, verify, rotate and re-runs."""
    flags = prepared.flags
    if flags is None:
        return

    def remember(record: Registration | None) -> Registration | None:
        return None if record is None else dataclasses.replace(record, options=flags)

    state.update(prepared.tenant_id, prepared.spec.unique_name, remember)


def apply_prepared(
    prepared: Prepared,
    session: GraphSession,
    state: StateFile,
    deps: Deps,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> RegisterOutcome:
    """Carry out a confirmed plan, record it, and work out the next steps."""

    def store_at(where: str) -> Store:
        opened = _store_at(deps, where)
        if opened is None:
            raise StoreError(
                f"cannot open store {where}", hint="check that the store named in state.json still exists"
            )
        return opened

    _record_adopted(prepared.adopted, state, prepared.ref, prepared.plan)
    outcome = prepared.outcome()
    outcome.result = apply_plan(
        prepared.plan,
        graph=session.graph,
        store=prepared.store,
        ref=prepared.ref,
        state=state,
        open_store=store_at,
        concurrency=concurrency,
    )
    outcome.applied = True
    _remember_flags(prepared, state)
    remember_applied(prepared.portal, deps.home)
    return _finish(outcome, deps, state, outcome.result.app_id)


def run_register(opts: RegisterOptions, deps: Deps, ui: RegisterUI) -> RegisterOutcome:
    portal, spec, requested_store = build_request(
        opts, deps.home, sandbox=deps.sandbox_requested(opts.sandbox)
    )
    state = StateFile(deps.home, sleep=deps.sleep)
    # --plan only reads: it does not wait for (or hold up) a run that applies.
    held = (
        contextlib.nullcontext()
        if opts.plan_only
        else exclusive_run(
            deps.home, command=f"ssoctl azure register --portal {portal.name}", sleep=deps.sleep
        )
    )
    with held, graph_session(deps, sandbox=opts.sandbox, tenant=opts.tenant, cloud=opts.cloud) as session:
        with ui.progress("Signing in to Microsoft Graph…"):
            record = state.get(session.tenant_id, spec.unique_name)
        if record is not None and record.options is not None:  # a flag left out: as it was made
            opts = with_remembered(opts, record.options)
            portal, spec, requested_store = build_request(
                opts, deps.home, sandbox=deps.sandbox_requested(opts.sandbox)
            )
        prepared = prepare(
            portal,
            spec,
            requested_store,
            session,
            state,
            deps,
            ui.notice,
            ui.progress,
            provider=provider_options(opts),
        )
        prepared.flags = remembered_flags(opts)
        try:
            return _register_prepared(prepared, opts, session, state, deps, ui)
        finally:
            close_store(prepared.store)


def _register_prepared(
    prepared: Prepared,
    opts: RegisterOptions,
    session: GraphSession,
    state: StateFile,
    deps: Deps,
    ui: RegisterUI,
) -> RegisterOutcome:
    """Show, confirm and apply one prepared registration."""
    plan = prepared.plan
    if prepared.store is None and plan.new_secret is not None and not opts.show_secret:
        raise UsageError(
            "--store none would keep the new secret nowhere",
            hint="add --show-secret to print it once, or use --store keyring / --store env-file:PATH",
        )
    if opts.show_secret and plan.new_secret is None:
        ui.notice("no new secret is made, so there is none to show: a value is shown only when it is created")
    unknown = unknown_secrets_warning(prepared, state)
    if unknown:
        ui.notice(unknown)
    if plan.has_changes:
        _check_rights(session.graph, plan, opts, ui)
        if not session.sandbox and plan.write_application:
            for notice in cloud_notices(session.cloud, (APPLICATION_UPSERT,)):
                ui.notice(notice)
    ui.show_plan(plan, prepared.tenant_id, prepared.sandbox)
    if opts.plan_only or not plan.has_changes:
        return conclude_unchanged(prepared, deps, state, plan_only=opts.plan_only)
    _confirm(opts, deps, ui)
    with ui.progress("Applying the changes…"):
        outcome = apply_prepared(prepared, session, state, deps)
    if unknown:
        outcome.warnings.append(unknown)
    return outcome


def unknown_secrets_warning(prepared: Prepared, state: StateFile) -> str | None:
    """About to add a client secret to an existing app that has secrets ssoctl's record knows
    nothing about (state.json was removed, or another machine registered it): one of them may be
    the one the portal uses, held in a store this run was not told about."""
    plan = prepared.plan
    if plan.new_secret is None or plan.current is None:
        return None
    record = state.get(prepared.tenant_id, prepared.spec.unique_name)
    known: set[str] = set()
    if record is not None and record.app_id == plan.current.app_id:
        known = {k.lower() for k in record.replaced} | (
            {record.secret.key_id.lower()} if record.secret else set()
        )
    pending = record.pending if record is not None else ()
    if prepared.adopted is not None:
        known.add(prepared.adopted.key_id.lower())
    unknown = [
        p for p in plan.current.passwords if p.key_id.lower() not in known and p.display_name not in pending
    ]
    if not unknown:
        return None
    portal, where = prepared.portal.name, " --sandbox" if prepared.sandbox else ""
    return (
        f"{prepared.spec.display_name} already has {len(unknown)} client secret(s) ssoctl has no record "
        "of, and this run adds another (was state.json removed?); if a store holds one of them, "
        f"re-run with that store to adopt it: ssoctl azure register --portal {portal}{where} "
        "--store <that store, e.g. env-file:PATH>"
    )


def _check_rights(graph: GraphApi, plan: Plan, opts: RegisterOptions, ui: RegisterUI) -> None:
    """The preflight: exit 4 before the first change when a role or permission is missing;
    --plan only says so (it changes nothing)."""
    needs = needs_of(plan)
    if not opts.plan_only:
        preflight(graph, needs)
        return
    for check in assess(graph, needs).missing(needs):
        ui.notice(f"applying this plan needs {check.requirement} (to {check.need.value}): {check.fix}")


def _note_resources(plan: Plan, state: StateFile, tenant_id: str) -> None:
    """An unchanged run still brings ssoctl's record up to date with the IDs it read (a record
    from an older ssoctl, or one made before the enterprise app existed): no request, only state.json."""
    current = plan.current
    used = {k: tuple(v) for k, v in sorted(used_now(plan).items())}

    def with_resources(record: Registration | None) -> Registration | None:
        if record is None or current is None or record.app_id != current.app_id:
            return None
        # Nothing to change: no credential of an interrupted run is on the app, so its trace goes.
        return dataclasses.replace(record, resources=used, pending=())

    state.update(tenant_id, plan.spec.unique_name, with_resources)


def _finish(outcome: RegisterOutcome, deps: Deps, state: StateFile, app_id: str | None) -> RegisterOutcome:
    spec = outcome.spec
    record = state.get(outcome.tenant_id, spec.unique_name)
    if app_id and record:
        location = record.secret.store if record.secret else None
        outcome.next_steps = outcome.portal.next_steps(
            NextStepContext(
                client_id=app_id,
                tenant_id=outcome.tenant_id,
                display_name=spec.display_name,
                reveal_command=reveal_command(spec, outcome.tenant_flag, outcome.sandbox),
                secret_location=location if location != NO_STORE else None,
                discovery_url=outcome.discovery_url,
            )
        )
        if outcome.cloud is not None:  # the admin portal of the cloud the app lives in
            outcome.next_steps.append(f"Review the app registration: {outcome.cloud.app_link(app_id)}")
    outcome.reminders = due_reminders_now(deps)  # every managed secret due (JSON `reminders`)
    return outcome

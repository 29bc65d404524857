"""`ssoctl secrets rotate`: a new client secret that is proven to work before the old one goes.

plan → confirm → add the new secret and store it (resources/password.apply: a store that fails
takes the new secret back off the app) → read it back from the store → a client-credentials token
request with it (verify's token check, retried for a bounded time since a brand-new secret may
take a moment) → only then the previous secret is removed (`--overlap-days 0`) or given a date in
state.json after which `secrets prune` removes it (default 7 days: time to paste the new one into a
portal without an API). If reading back or verifying fails, the new secret is removed again, the
store gets its previous content back and state.json its previous record: a rotate never breaks
sign-in.

The store write is `Store.save` and the read back `Store.load`, so any store (keyring, env file,
and portal-API stores later) rotates the same way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets as random_tokens
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NoReturn, Protocol

from ssoctl.apply import hold_ctrl_c
from ssoctl.credentials import CredentialRef, Credentials, IssuedSecret
from ssoctl.deps import Deps
from ssoctl.errors import GraphError, SsoctlError, StoreError, UsageError
from ssoctl.graph.mapping import AppState, PasswordInfo, graph_datetime, parse_graph_datetime
from ssoctl.graph.token_check import NO_SERVICE_PRINCIPAL, TokenResult, retry_budget
from ssoctl.portals import find_portal
from ssoctl.preflight import Need, preflight
from ssoctl.resources import application, password
from ssoctl.resources.base import APPLICATION, PASSWORD, SERVICE_PRINCIPAL, Action, ApplyContext, Change, Step
from ssoctl.resources.current import TenantView
from ssoctl.resources.password import SECRET_NAME_PREFIX, NewSecret, SecretPlan, fmt_day, secret_end
from ssoctl.secrets import Reminder
from ssoctl.spec import SECRET_DAYS_DEFAULT, SECRET_DAYS_MAX, SECRET_DAYS_MIN, check_display_name
from ssoctl.state import HeldSecret, Registration, StateFile, exclusive_run
from ssoctl.stores.base import Store
from ssoctl.stores.portal_api import ProviderOptions, check_provider_options

from .confirm import confirm_change
from .hints import command_for
from .lifecycle import Target, check_token, find_target, open_location
from .register import close_store
from .reminders import due as due_reminders_now
from .session import GraphSession, graph_session
from .store_rule import choose_store
from .verify import describe_refusal

DEFAULT_OVERLAP_DAYS = 7
MAX_OVERLAP_DAYS = 365


class RotateUndone(SsoctlError):
    """The new secret did not prove itself and was taken back; the previous one is untouched."""

    code = "rotate_undone"


class RotateUnproven(SsoctlError):
    """The new secret did not prove itself, but a portal store (PingOne, Okta) already holds it and
    cannot be given the previous one back: the new secret stays, on the app and in the record."""

    code = "rotate_unproven"


@dataclass(frozen=True)
class RotateOptions:
    portal: str
    name: str | None = None
    store: str | None = None
    pingone_env: str | None = None
    pingone_region: str | None = None
    pingone_api_url: str | None = None
    pingone_auth_url: str | None = None
    okta_org: str | None = None
    overlap_days: int = DEFAULT_OVERLAP_DAYS
    secret_days: int = SECRET_DAYS_DEFAULT
    yes: bool = False
    sandbox: bool = False
    tenant: str | None = None
    cloud: str | None = None


class LifecycleUI(Protocol):
    """What rotate and prune need from the terminal while they run."""

    def notice(self, text: str) -> None: ...

    def show_plan(self, title: str, changes: list[Change]) -> None: ...

    def confirm(self, question: str) -> bool: ...


@dataclass
class RotateOutcome:
    target: Target
    changes: list[Change]
    previous: PasswordInfo | None = None
    overdue: tuple[PasswordInfo, ...] = ()  # earlier replaced secrets whose overlap is over
    applied: bool = False
    issued: IssuedSecret | None = None
    stored_in: str | None = None
    previous_removed: bool = False
    remove_after: datetime | None = None
    verified: bool = False
    verification: str = ""
    next_steps: list[str] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def secret_json(self) -> dict[str, Any] | None:
        if self.issued is None:
            return None
        return {
            "keyId": self.issued.key_id,
            "displayName": self.issued.display_name,
            "endDateTime": graph_datetime(self.issued.end),
            "hint": self.issued.hint,
            "store": self.stored_in,
        }

    def previous_json(self) -> dict[str, Any] | None:
        if self.previous is None:
            return None
        return {
            "keyId": self.previous.key_id,
            "removed": self.previous_removed,
            "removeAfter": graph_datetime(self.remove_after)
            if self.remove_after and not self.previous_removed
            else None,
        }


def confirm(yes: bool, deps: Deps, ui: LifecycleUI, question: str) -> None:
    """--yes, or a person at a terminal who says yes; never a hang without one (nor in CI)."""
    confirm_change(
        deps,
        ui.confirm,
        question,
        what="change the tenant",
        yes=yes,
        hint="review the plan, then pass --yes to apply without a prompt",
    )


def _check_options(opts: RotateOptions) -> None:
    check_display_name(opts.name)
    if not 0 <= opts.overlap_days <= MAX_OVERLAP_DAYS:
        raise UsageError(
            f"--overlap-days {opts.overlap_days} is out of range",
            hint=f"use 0 (remove the previous secret at once) to {MAX_OVERLAP_DAYS}; default {DEFAULT_OVERLAP_DAYS}",
        )
    if not SECRET_DAYS_MIN <= opts.secret_days <= SECRET_DAYS_MAX:
        raise UsageError(
            f"--secret-days {opts.secret_days} is out of range",
            hint=f"use {SECRET_DAYS_MIN} to {SECRET_DAYS_MAX}",
        )


def prune_command(target: Target) -> str:
    """The `secrets prune` that acts on this registration's tenant (`--sandbox` / `--tenant` kept)."""
    return command_for(
        "secrets prune",
        None,
        name=None,
        sandbox=target.sandbox,
        tenant=target.record.tenant_id if target.tenant_named else None,
    )


def rotation_step(
    unique_name: str,
    previous: PasswordInfo | None,
    held: HeldSecret | None,
    *,
    store: str,
    now: datetime,
    secret_days: int,
    overlap_days: int,
    tag: str,
    prune: str = "ssoctl secrets prune",
    overdue: tuple[PasswordInfo, ...] = (),
    provable: bool = True,
) -> tuple[Step, datetime]:
    """The plan of a rotation (pure): the new secret, what becomes of the previous one, and the
    earlier replaced secrets whose overlap is over (`overdue`), which go with it.

    Returns the step and the date after which the previous secret may go. `prune`: the exact
    `secrets prune` for this registration's tenant, named in the plan. `provable`: ssoctl made the
    app's service principal, so a token request can prove the new secret (without one Entra
    answers AADSTS7000229 and the secret is kept unproven; the plan says so rather than promise).
    """
    end = secret_end(now, secret_days)
    name = f"{SECRET_NAME_PREFIX} {fmt_day(now)} {tag}"
    after = f"{name!r}, expires {fmt_day(end)}, stored in {store}"
    changes = [
        Change(
            PASSWORD,
            Action.CREATE,
            "passwordCredentials",
            f"client secret {after}; "
            + (
                "read back and proven with a token request before anything else changes"
                if provable
                else "read back before anything else changes; a token request proves it only where the "
                "app has a service principal (enterprise app), and ssoctl made none, so Entra may answer "
                "AADSTS7000229 and the new secret is then kept unproven"
            ),
            after=after,
        )
    ]
    until = now + timedelta(days=overlap_days)
    if previous is not None:
        expired = previous.end is not None and previous.end <= now
        if expired or overlap_days == 0:
            why = (
                "expired"
                if expired
                else "--overlap-days 0: sign-in through the portal fails until it has the new one"
            )
            changes.append(
                Change(
                    PASSWORD,
                    Action.DELETE,
                    "passwordCredentials",
                    f"client secret {previous.key_id} (the previous one, {why}), once the new one works",
                    before=previous.key_id,
                )
            )
        else:
            changes.append(
                Change(
                    PASSWORD,
                    Action.NONE,
                    "passwordCredentials",
                    f"client secret {previous.key_id} (the previous one) stays until {fmt_day(until)} "
                    f"({overlap_days}-day overlap) so the portal keeps working until the new one is pasted; "
                    f"`{prune}` removes it after that",
                )
            )
    for stale in overdue:
        changes.append(
            Change(
                PASSWORD,
                Action.DELETE,
                "passwordCredentials",
                f"client secret {stale.key_id} (replaced earlier, its overlap is over), once the new one works",
                before=stale.key_id,
            )
        )
    if held is not None and held.store not in (store, "none"):
        changes.append(
            Change(
                PASSWORD,
                Action.DELETE,
                held.store,
                f"the previous secret's value (moved to {store}), once the new one works",
            )
        )
    plan = SecretPlan(unique_name, NewSecret(name, end, store), (), ())
    return Step(PASSWORD, Action.CREATE, tuple(changes), needs=(APPLICATION,), payload=plan), until


def run_rotate(opts: RotateOptions, deps: Deps, ui: LifecycleUI) -> RotateOutcome:
    _check_options(opts)
    retry_budget(deps.env)  # SSOCTL_VERIFY_WAIT (the new secret is proven): bad input before any request
    profile = find_portal(opts.portal, home=deps.home)
    if opts.store is not None:
        chosen = choose_store(opts.store, None)  # bad input stops here, before any request
        if chosen.kind in ("pingone", "okta"):
            flags = ProviderOptions(
                pingone_env=opts.pingone_env,
                pingone_region=opts.pingone_region,
                pingone_api_url=opts.pingone_api_url,
                pingone_auth_url=opts.pingone_auth_url,
                okta_org=opts.okta_org,
            )
            check_provider_options(
                chosen.kind, chosen.place, flags, sandbox=deps.sandbox_requested(opts.sandbox)
            )
    state = StateFile(deps.home, sleep=deps.sleep)
    running = exclusive_run(
        deps.home, command=f"ssoctl secrets rotate --portal {profile.name}", sleep=deps.sleep
    )
    with (
        running,
        contextlib.ExitStack() as closing,
        graph_session(deps, sandbox=opts.sandbox, tenant=opts.tenant, cloud=opts.cloud) as session,
    ):
        target = find_target(state, profile, opts.name, session)
        record = target.record
        provider = ProviderOptions(  # --store pingone / okta: the provider is named like the app
            idp_name=record.display_name,
            pingone_env=opts.pingone_env,
            pingone_region=opts.pingone_region,
            pingone_api_url=opts.pingone_api_url,
            pingone_auth_url=opts.pingone_auth_url,
            okta_org=opts.okta_org,
        )
        store_spec = dataclasses.replace(choose_store(opts.store, record), provider=provider)
        store, notice = deps.open_store(store_spec, home=deps.home, sandbox=session.sandbox, env=deps.env)
        closing.callback(close_store, store)
        if notice:
            ui.notice(notice)
        if store is None:
            raise UsageError(
                "a rotation keeps the new secret in a store, to read it back and prove it works",
                hint=f"name one: {target.command('secrets rotate', store='env-file:PATH')} (or --store keyring)",
            )
        state.preflight()
        store.preflight(target.ref)
        raw = session.graph.get_application(record.unique_name, application.expectation(record))
        if raw is None:
            raise UsageError(
                f"the app {record.unique_name} no longer exists in tenant {record.tenant_id}",
                hint=f"register it again: {target.command('azure register')}",
            )
        current = AppState.from_json(raw)
        now = deps.clock()
        previous = current.password(record.secret.key_id) if record.secret else None
        overdue = overdue_secrets(record, current, now, previous)
        step, until = rotation_step(
            record.unique_name,
            previous,
            record.secret,
            store=store.location,
            now=now,
            secret_days=opts.secret_days,
            overlap_days=opts.overlap_days,
            tag=random_tokens.token_hex(3),
            prune=prune_command(target),
            overdue=overdue,
            provable=bool(record.resources.get(SERVICE_PRINCIPAL)),
        )
        outcome = RotateOutcome(
            target, list(step.changes), previous=previous, overdue=overdue, remove_after=until
        )
        where = f"tenant {record.tenant_id}" + (" (sandbox)" if session.sandbox else "")
        ui.show_plan(
            f"Rotate the client secret of {record.display_name} ({record.unique_name}) in {where}:",
            outcome.changes,
        )
        preflight(session.graph, (Need.APPS,))  # exit 4 before the first change
        confirm(opts.yes, deps, ui, "Rotate the secret?")
        _rotate(outcome, step, deps, session, state, store, current)
        return outcome


def overdue_secrets(
    record: Registration, current: AppState, now: datetime, previous: PasswordInfo | None
) -> tuple[PasswordInfo, ...]:
    """Replaced secrets still on the app whose overlap date has passed: what `secrets prune`
    would remove. A rotate removes them too, so a previous secret whose removal failed once
    (a 5xx, a dropped connection) does not outlive the next `--overlap-days 0` rotation."""
    found = []
    for key_id in record.replaced:
        cred = current.password(key_id)
        until = record.overlap_until.get(key_id)
        if cred is None or until is None or (previous is not None and key_id == previous.key_id):
            continue
        if parse_graph_datetime(until) <= now:
            found.append(cred)
    return tuple(found)


def _load_quietly(store: Store, ref: CredentialRef) -> Credentials | None:
    try:
        return store.load(ref)
    except StoreError:
        return None


def _rotate(
    outcome: RotateOutcome,
    step: Step,
    deps: Deps,
    session: GraphSession,
    state: StateFile,
    store: Store,
    current: AppState,
) -> None:
    target, record = outcome.target, outcome.target.record
    before = _load_quietly(store, target.ref)  # what the store gets back if the new secret fails
    ctx = ApplyContext(
        graph=session.graph,
        current=TenantView(current),
        store=store,
        ref=target.ref,
        open_store=lambda where: _must_open(deps, where),
    )
    ctx.object_id, ctx.app_id = current.object_id, current.app_id
    # Ctrl-C is held (noted, raised after) from addPassword until state.json knows the stored
    # secret, during an undo and while the previous secret is retired: never half of one.
    with hold_ctrl_c() as ctrl_c:
        password.apply(step, ctx)  # a failing store takes the new secret back off the app
        issued = ctx.issued
        assert issued is not None
        outcome.applied, outcome.issued, outcome.stored_in = True, issued, store.location
        pending = _stored_record(record, current, issued, step, outcome.previous, outcome.remove_after)
        state.put(pending)
    if ctrl_c.pressed:
        raise KeyboardInterrupt

    creds = _load_quietly(store, target.ref)
    if creds is None or creds.client_secret != issued.text or creds.client_id != current.app_id:
        _undo(ctx, store, before, state, record, issued, f"{store.location} did not give the new secret back")
    result = check_token(deps, session.token_endpoint, creds, fresh=True)
    _judge(outcome, result, current, ctx, store, before, state, record, issued)
    _retire(outcome, deps, session, state, pending, current)
    _finish(outcome, deps, state)


def _must_open(deps: Deps, where: str) -> Store:
    opened = open_location(deps, where)
    if opened is None:
        raise StoreError(
            f"cannot open store {where}", hint="name a store with --store keyring or env-file:PATH"
        )
    return opened


def _stored_record(
    record: Registration,
    current: AppState,
    issued: IssuedSecret,
    step: Step,
    previous: PasswordInfo | None,
    until: datetime | None,
) -> Registration:
    """state.json once the new secret is stored: it is the held one, the previous one replaced
    with the date it may go (so an interrupted rotate still leaves an accurate record)."""
    plan: SecretPlan = step.payload
    assert plan.new is not None
    replaced = [k for k in record.replaced if current.password(k)]
    overlap = {k: v for k, v in record.overlap_until.items() if k in replaced}
    if previous is not None:
        replaced.append(previous.key_id)
        if until is not None:
            overlap[previous.key_id] = graph_datetime(until)
    return dataclasses.replace(
        record,
        app_id=current.app_id,
        object_id=current.object_id,
        secret=HeldSecret(issued.key_id, graph_datetime(issued.end), plan.new.store, plan.new.display_name),
        replaced=tuple(dict.fromkeys(replaced)),
        overlap_until=overlap,
    )


def _judge(
    outcome: RotateOutcome,
    result: TokenResult,
    current: AppState,
    ctx: ApplyContext,
    store: Store,
    before: Credentials | None,
    state: StateFile,
    record: Registration,
    issued: IssuedSecret,
) -> None:
    """Keep the new secret only when Entra accepted it (or structurally cannot say: no service
    principal yet); otherwise undo. An unreachable login host proves nothing, so it undoes too."""
    if result.ok:
        outcome.verified = True
        outcome.verification = "Entra issued a token for the new secret"
        return
    if result.outcome == "refused" and result.code == NO_SERVICE_PRINCIPAL:
        _, detail = describe_refusal(result, current.app_id, record.tenant_id)
        outcome.verification = f"not verified: {detail}"
        outcome.warnings.append(
            "the new secret was stored and read back, but Entra cannot prove it with a token yet: " + detail
        )
        return
    if result.outcome == "unreachable":
        why = f"the token endpoint could not be reached, so the new secret is unproven ({result.message})"
    else:
        why = describe_refusal(result, current.app_id, record.tenant_id)[1].replace(
            "stored secret", "new secret"
        )
    _undo(ctx, store, before, state, record, issued, why)


def _undo(
    ctx: ApplyContext,
    store: Store,
    before: Credentials | None,
    state: StateFile,
    record: Registration,
    issued: IssuedSecret,
    why: str,
) -> NoReturn:
    """Take the new secret back everywhere: app, store, state.json; then fail saying so.

    Except from a portal store: it never shows a secret back, so the provider, which already took
    the new secret, cannot get the previous one again. Taking the new secret off the app would
    leave the provider with a secret Entra does not know, and state.json calling the previous
    one held; so the new secret stays (state.json already records it, the previous one replaced),
    unproven, and the command fails saying so."""
    from ssoctl.stores.portal_api import PortalApiStore

    if isinstance(store, PortalApiStore):
        previous = record.secret.key_id if record.secret else None
        raise RotateUnproven(
            f"the new secret is unproven: {why}. {store.title} already holds it and never gives a secret "
            f"back, so ssoctl kept it on the app and recorded it as held in {store.location}"
            + (
                f"; the previous secret {previous} stays on the app until the next rotate" if previous else ""
            ),
            hint=f"check sign-in through {store.title}; `ssoctl azure verify` shows what Entra says, and "
            "running the same rotate again later writes and proves a fresh secret",
        )
    left: list[str] = []
    with hold_ctrl_c():
        try:
            password.undo(ctx, issued.key_id)
        except GraphError as exc:
            left.append(
                f"removing the new secret {issued.key_id} from the app failed ({exc}); remove it in the Entra admin center"
            )
        try:
            if before is not None:
                store.save(ctx.ref, before)
            else:
                store.delete(ctx.ref)
        except StoreError as exc:
            left.append(f"restoring {store.location} failed: {exc.message}")
        state.put(record)
    held = record.secret
    kept = (
        f"the previous secret {held.key_id} is untouched and still in {held.store}"
        if held
        else "nothing else changed"
    )
    raise RotateUndone(
        f"rotation undone: {why}. The new secret was removed again; {kept}"
        + ("; " + "; ".join(left) if left else ""),
        hint="run the same command again later (it is safe to repeat); `ssoctl azure verify` shows what Entra says",
    )


def _retire(
    outcome: RotateOutcome,
    deps: Deps,
    session: GraphSession,
    state: StateFile,
    pending: Registration,
    current: AppState,
) -> None:
    """After the new secret proved itself: the previous one goes now (overlap 0, expired) or stays
    dated; a value left in the store it moved from is deleted."""
    previous, record = outcome.previous, outcome.target.record
    now = deps.clock()
    with hold_ctrl_c() as ctrl_c:
        if previous is not None and (
            (outcome.remove_after is not None and outcome.remove_after <= now)
            or (previous.end is not None and previous.end <= now)
        ):
            try:
                session.graph.remove_password(current.object_id, previous.key_id)
                outcome.previous_removed = True
            except GraphError as exc:
                outcome.warnings.append(
                    f"could not remove the previous client secret {previous.key_id}: {exc}; `{prune_command(outcome.target)}` will"
                )
            if outcome.previous_removed:
                state.put(
                    dataclasses.replace(
                        pending,
                        replaced=tuple(k for k in pending.replaced if k != previous.key_id),
                        overlap_until={
                            k: v for k, v in pending.overlap_until.items() if k != previous.key_id
                        },
                    )
                )
        for stale in outcome.overdue:
            try:
                session.graph.remove_password(current.object_id, stale.key_id)
            except GraphError as exc:
                outcome.warnings.append(
                    f"could not remove the replaced client secret {stale.key_id}: {exc}; `ssoctl secrets prune` will"
                )
                continue
            state.update(record.tenant_id, record.unique_name, forget_secret(stale.key_id))
    held = record.secret
    if held is not None and held.store not in (outcome.stored_in, "none"):
        try:
            old = open_location(deps, held.store)
            if old is not None:
                old.delete(outcome.target.ref)
        except StoreError as exc:
            outcome.warnings.append(f"could not delete the previous secret from {held.store}: {exc.message}")
    if ctrl_c.pressed:
        raise KeyboardInterrupt


def forget_secret(key_id: str) -> Callable[[Registration | None], Registration | None]:
    """A state.json change: a removed secret leaves the record's replaced list and dates."""

    def change(record: Registration | None) -> Registration | None:
        if record is None:
            return None
        return dataclasses.replace(
            record,
            replaced=tuple(k for k in record.replaced if k != key_id),
            overlap_until={k: v for k, v in record.overlap_until.items() if k != key_id},
        )

    return change


def _finish(outcome: RotateOutcome, deps: Deps, state: StateFile) -> None:
    target, issued = outcome.target, outcome.issued
    assert issued is not None
    title = target.portal.title
    reveal = target.command("secrets reveal")
    verify = target.command("azure verify")
    previous = outcome.previous
    paste = f"Paste the NEW client secret (ID {issued.key_id}) into the {title}"
    if isinstance(outcome.stored_in, str) and outcome.stored_in.split(":")[0] in ("pingone", "okta"):
        steps = [
            f"Nothing to paste: ssoctl wrote the new secret to {outcome.stored_in} before retiring the old one."
        ]
    elif previous is None:
        steps = [f"{paste}: `{reveal}` prints it."]
    elif outcome.previous_removed:
        steps = [
            f"{paste} now: `{reveal}` prints it. The previous secret {previous.key_id} was removed, so sign-in "
            f"through the {title} fails until it has the new one."
        ]
    else:
        assert outcome.remove_after is not None
        steps = [
            f"{paste} by {fmt_day(outcome.remove_after)}: `{reveal}` prints it. Until then the previous secret "
            f"{previous.key_id} keeps working; after that date `{prune_command(target)}` removes it."
        ]
    steps.append(
        f"Then check from Entra's side: `{verify}`, and use the {title}'s own test or verify button."
    )
    outcome.next_steps = steps
    outcome.reminders = due_reminders_now(deps)  # every managed secret due, with its command

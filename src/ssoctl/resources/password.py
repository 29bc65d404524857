"""The client secret: whether a new one is needed, what becomes of older ones, and storing it.

The lifecycle policy lives here, not in plan.py: a secret is kept while the store holds it and it
is valid; a new one is made when there is none, it expired, it moved store or the store lost it.
A replaced secret that is still valid stays on the app until it expires (the portal may still use
it). Apply adds the secret, stores it, and takes it back if storing fails, so a secret exists in
exactly one place the user can reach.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ssoctl.credentials import Credentials, IssuedSecret
from ssoctl.errors import GraphError, StoreError
from ssoctl.graph.lag import Expected
from ssoctl.graph.mapping import AppState, PasswordInfo
from ssoctl.graph.retry import GraphOutcomeUnknown
from ssoctl.resources.base import APPLICATION, PASSWORD, Action, ApplyContext, Change, Step
from ssoctl.spec import AppSpec
from ssoctl.state import HeldSecret

SECRET_NAME_PREFIX = "ssoctl"  # every credential ssoctl creates starts with this: findable later
NO_STORE = "none"  # --store none: the user took the secret when it was shown


@dataclass(frozen=True)
class SecretStatus:
    """What ssoctl knows about the secret it stored before (from state.json and the store)."""

    held: HeldSecret | None  # the state record's secret, if any
    in_store: bool  # the store still holds a secret for this registration
    replaced: tuple[str, ...] = ()  # keyIds replaced earlier but left on the app until they expire
    pending: tuple[str, ...] = ()  # display names of secrets an interrupted run may have added


@dataclass(frozen=True)
class NewSecret:
    """A client secret to create: its recognisable display name and expiry (never its value)."""

    display_name: str
    end: datetime
    store: str


@dataclass(frozen=True)
class RetiredSecret:
    """An older ssoctl secret to clean up once the new one is safely stored (expired, or moved)."""

    key_id: str
    on_app: bool  # still a passwordCredential of the app: removePassword it
    clear_store: str | None  # another store still holding its value: delete it there


@dataclass(frozen=True)
class SecretPlan:
    """The password step's payload."""

    unique_name: str
    new: NewSecret | None
    retire: tuple[RetiredSecret, ...]
    replaced: tuple[str, ...]  # what state.json remembers after apply (see SecretStatus)


def secret_end(now: datetime, days: int) -> datetime:
    """Expiry as a calendar date: 00:00 UTC on the day `days` after today.

    Easy to remember and remind of, and never longer than `days`, so `--secret-days 180` stays
    inside a tenant policy that caps secrets at 180 days (rounding up would exceed it).
    """
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days)


def fmt_day(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d") if moment else "unknown"


def _line(action: Action, detail: str, target: str = "passwordCredentials") -> Change:
    return Change(PASSWORD, action, target, detail)


def _kept_detail(key_id: str, end: datetime | None) -> str:
    return (
        f"client secret {key_id} (replaced) stays until it expires {fmt_day(end)}, as the portal may "
        "still use it; ssoctl removes it then (or remove it in the Entra admin center once the "
        "portal has the new one)"
    )


def _earlier_replaced(
    current: AppState | None, status: SecretStatus, now: datetime
) -> tuple[list[Change], list[RetiredSecret], list[str]]:
    """Secrets replaced earlier and kept for the portal: removed once expired, else kept in view."""
    changes: list[Change] = []
    retire: list[RetiredSecret] = []
    keep: list[str] = []
    for key_id in status.replaced:
        found = current.password(key_id) if current else None
        if found is None:
            continue  # removed by hand: nothing left to track
        if found.end is not None and found.end <= now:
            retire.append(RetiredSecret(key_id, on_app=True, clear_store=None))
            changes.append(_line(Action.DELETE, f"client secret {key_id} (replaced earlier, expired)"))
        else:
            keep.append(key_id)
            changes.append(_line(Action.NONE, _kept_detail(key_id, found.end)))
    return changes, retire, keep


def _orphans(current: AppState | None, status: SecretStatus) -> list[PasswordInfo]:
    """Credentials an interrupted run added (their names were recorded before addPassword was
    sent) that ssoctl does not hold: nobody can use them, so they go."""
    if current is None or not status.pending:
        return []
    held = status.held.key_id if status.held else None
    return [p for p in current.passwords if p.display_name in status.pending and p.key_id != held]


def diff(
    spec: AppSpec,
    current: AppState | None,
    status: SecretStatus,
    *,
    store: str,
    now: datetime,
    tag: str,
) -> Step:
    """Decide whether a new client secret is needed, and what becomes of the older ones.

    `tag` makes the new secret's display name unique, so a failed addPassword can be found again.
    """
    changes, retire, keep = _earlier_replaced(current, status, now)
    held = status.held
    for orphan in _orphans(current, status):
        retire.append(RetiredSecret(orphan.key_id, on_app=True, clear_store=None))
        changes.append(
            _line(
                Action.DELETE,
                f"client secret {orphan.key_id} {orphan.display_name!r}: added by a run that was "
                "interrupted before storing it, so no store holds it",
            )
        )
    on_app = current.password(held.key_id) if (current and held) else None
    end_on_app = on_app.end if on_app else None
    if held and on_app and status.in_store and held.store == store and end_on_app and end_on_app > now:
        detail = f"client secret {held.key_id} valid until {fmt_day(end_on_app)}, held in {store}"
        lines = (_line(Action.NONE, detail), *changes)
        payload = SecretPlan(spec.unique_name, None, tuple(retire), tuple(keep))
        action = Action.DELETE if retire else Action.NONE
        return Step(PASSWORD, action, lines, needs=(APPLICATION,), payload=payload)

    end = secret_end(now, spec.secret_days)
    name = f"{SECRET_NAME_PREFIX} {fmt_day(now)} {tag}"
    new = NewSecret(display_name=name, end=end, store=store)
    if current is None:
        why = "for the new app"
    elif held is None:
        why = "no secret of this app is held by ssoctl"
    elif not on_app:
        why = f"the stored secret {held.key_id} no longer exists on the app"
    elif not status.in_store:
        why = f"{held.store} no longer holds secret {held.key_id}"
    elif held.store == NO_STORE:
        why = f"storing a new secret in {store}; ssoctl never kept the one shown earlier"
    elif held.store != store:
        why = f"moving the secret from {held.store} to {store}"
    else:
        why = f"secret {held.key_id} expired {fmt_day(end_on_app)}"
    after = f"{name!r}, expires {fmt_day(end)}, stored in {store}"
    changes.insert(
        0,
        Change(PASSWORD, Action.CREATE, "passwordCredentials", f"client secret {after} ({why})", after=after),
    )
    valid_on_app = bool(held and on_app and end_on_app and end_on_app > now)
    if held and valid_on_app:
        # The portal may still use it: removing it now would break sign-in until the new one is
        # pasted in. It stays until it expires (the overlap), and ssoctl removes it then.
        keep.append(held.key_id)
        changes.append(_line(Action.NONE, _kept_detail(held.key_id, end_on_app)))
    clear = held.store if (held and status.in_store and held.store not in (store, NO_STORE)) else None
    expired_on_app = bool(on_app and not valid_on_app)
    if held and (expired_on_app or clear):
        retire.append(RetiredSecret(held.key_id, expired_on_app, clear))
    if held and expired_on_app:
        changes.append(_line(Action.DELETE, f"client secret {held.key_id} (expired)"))
    if held and clear:
        changes.append(
            Change(
                PASSWORD, Action.DELETE, clear, f"the value of client secret {held.key_id} (moved to {store})"
            )
        )
    payload = SecretPlan(spec.unique_name, new, tuple(retire), tuple(keep))
    return Step(PASSWORD, Action.CREATE, tuple(changes), needs=(APPLICATION,), payload=payload)


def _add_password(ctx: ApplyContext, name: str, new: NewSecret, unique_name: str) -> IssuedSecret:
    """addPassword, and if Graph's answer left it open, remove any secret it may have made anyway."""
    graph = ctx.graph
    try:
        return graph.add_password(ctx.object_id, name, new.end)
    except GraphOutcomeUnknown as exc:  # the client decides when Graph may have acted
        # A secret Graph made moments ago may not show in a read yet: wait for it a while
        # (graph.lag) rather than conclude "none was created" and leave it unheld.
        raw = graph.get_application(unique_name, Expected(app_id=ctx.app_id, secret_names=(name,)))
        leftovers = (
            [p.key_id for p in AppState.from_json(raw).passwords if p.display_name == name] if raw else []
        )
        for key_id in leftovers:
            graph.remove_password(ctx.object_id, key_id, fresh=True)
        raise GraphError(
            f"{exc.message}; adding the client secret may have half-happened, so ssoctl checked: "
            + (f"removed {len(leftovers)} unheld secret(s) again" if leftovers else "none was created"),
            status=exc.status,
            graph_code=exc.graph_code,
            request_id=exc.request_id,
            hint="nothing secret was left behind; run the same command again",
        ) from None


def _store_or_undo(ctx: ApplyContext, creds: Credentials, issued: IssuedSecret) -> None:
    assert ctx.store is not None
    try:
        ctx.store.save(ctx.ref, creds)
    except KeyboardInterrupt:
        # Interrupted between Graph issuing the secret and the store holding it: take it back.
        with contextlib.suppress(GraphError):
            undo(ctx, issued.key_id)
        raise
    except StoreError as exc:
        try:
            undo(ctx, issued.key_id)
        except GraphError as failed:
            raise StoreError(
                f"{exc.message}; and removing the new client secret {issued.key_id} from the app failed too "
                f"({failed}). Nobody holds that secret: delete it in the Entra admin center → App registrations → "
                f"{creds.client_id} → Certificates & secrets",
                hint=exc.hint,
            ) from None
        raise StoreError(
            f"{exc.message}. The new client secret was removed from the app again; nothing was left behind",
            hint=exc.hint,
        ) from None


def undo(ctx: ApplyContext, key_id: str) -> None:
    """Take a just-added secret back off the app."""
    ctx.graph.remove_password(ctx.object_id, key_id, fresh=True)


def apply(step: Step, ctx: ApplyContext) -> None:
    """Add and store the new secret (if any), then retire what it replaces."""
    plan: SecretPlan = step.payload
    if plan.new is not None:
        ctx.before_secret(plan.new.display_name)
        issued = _add_password(ctx, plan.new.display_name, plan.new, plan.unique_name)
        creds = Credentials(client_id=ctx.app_id, tenant_id=ctx.ref.tenant_id, client_secret=issued.text)
        if ctx.store is not None:
            _store_or_undo(ctx, creds, issued)
        # A portal store knows its provider's id only once it wrote it (`pingone:<env>/<idp>`).
        ctx.issued, ctx.stored_in = issued, (ctx.store.location if ctx.store is not None else plan.new.store)
    for old in plan.retire:
        if old.on_app:
            try:
                ctx.graph.remove_password(ctx.object_id, old.key_id)
            except GraphError as exc:
                ctx.warn(f"could not remove the replaced client secret {old.key_id}: {exc}")
        if old.clear_store:
            try:
                ctx.open_store(old.clear_store).delete(ctx.ref)
            except StoreError as exc:
                ctx.warn(f"could not delete the replaced secret from {old.clear_store}: {exc.message}")

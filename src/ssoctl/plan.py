"""The plan: what register will change, as a value computed purely from desired and current state.

`diff(spec, current, secret_status, ...)` never talks to Graph or a store: the caller reads the
current app, the state record and the store first. A plan is shown (human or JSON), confirmed,
then handed to `apply.apply_plan`. It never holds a secret's value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from ssoctl.graph.mapping import AppState, identifier_uri
from ssoctl.portals.graph_permissions import describe
from ssoctl.spec import AppSpec, OptionalClaim, Permission
from ssoctl.state import HeldSecret

SECRET_NAME_PREFIX = "ssoctl"
NO_STORE = "none"  # --store none: the user took the secret when it was shown  # every credential ssoctl creates starts with this: findable later


class Action(str, Enum):
    """Change kinds; `symbol` is what the human plan shows (Terraform's + ~ -)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NONE = "none"

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "delete": "-", "none": " "}[self.value]


@dataclass(frozen=True)
class Change:
    action: Action
    target: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"action": self.action.value, "target": self.target, "detail": self.detail}


@dataclass(frozen=True)
class SecretStatus:
    """What ssoctl knows about the secret it stored before (from state.json and the store)."""

    held: HeldSecret | None  # the state record's secret, if any
    in_store: bool  # the store still holds a secret for this registration
    replaced: tuple[str, ...] = ()  # keyIds replaced earlier but left on the app until they expire


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
class Plan:
    spec: AppSpec
    current: AppState | None
    changes: tuple[Change, ...]
    write_application: bool
    new_secret: NewSecret | None
    retire: tuple[RetiredSecret, ...]
    replaced: tuple[str, ...] = ()  # what state.json remembers after apply (see SecretStatus)

    @property
    def has_changes(self) -> bool:
        return any(c.action is not Action.NONE for c in self.changes)

    @property
    def counts(self) -> dict[str, int]:
        return {a.value: sum(c.action is a for c in self.changes) for a in Action if a is not Action.NONE}


def _claims(claims: tuple[OptionalClaim, ...]) -> str:
    if not claims:
        return "none"
    return ", ".join(f"{c.token}: {c.name}{' (essential)' if c.essential else ''}" for c in claims)


def _perms(perms: tuple[Permission, ...]) -> str:
    if not perms:
        return "none"
    names = [
        describe(p.resource_app_id, p.id, p.type) + (" (application)" if p.type == "Role" else "")
        for p in perms
    ]
    return ", ".join(sorted(names, key=str.lower))


def _implicit(access: bool, id_token: bool) -> str:
    on = [name for name, flag in (("access tokens", access), ("ID tokens", id_token)) if flag]
    return " + ".join(on) if on else "off"


def _uris(uris: tuple[str, ...] | list[str]) -> str:
    return ", ".join(uris) if uris else "none"


@dataclass(frozen=True)
class _Field:
    """One managed setting: how to show it desired and current, and whether they agree."""

    target: str
    desired: Callable[[AppSpec, str | None], str]
    current: Callable[[AppState], str]
    same: Callable[[AppSpec, AppState], bool]
    applies: Callable[[AppSpec], bool] = lambda spec: True


def _id_uris(spec: AppSpec, app_id: str | None) -> tuple[str, ...]:
    return (identifier_uri(app_id or "{appId}"),) if spec.expose_api else ()


FIELDS: tuple[_Field, ...] = (
    _Field(
        "displayName",
        lambda s, _: s.display_name,
        lambda c: c.display_name,
        lambda s, c: s.display_name == c.display_name,
    ),
    _Field(
        "signInAudience",
        lambda s, _: s.sign_in_audience,
        lambda c: c.sign_in_audience,
        lambda s, c: s.sign_in_audience == c.sign_in_audience,
    ),
    _Field(
        "web.redirectUris",
        lambda s, _: _uris(s.redirect_uris),
        lambda c: _uris(c.redirect_uris),
        lambda s, c: sorted(s.redirect_uris) == sorted(c.redirect_uris),
    ),
    _Field(
        "web.implicitGrantSettings",
        lambda s, _: _implicit(s.implicit_access_tokens, s.implicit_id_tokens),
        lambda c: _implicit(c.implicit_access_tokens, c.implicit_id_tokens),
        lambda s, c: (
            (s.implicit_access_tokens, s.implicit_id_tokens)
            == (c.implicit_access_tokens, c.implicit_id_tokens)
        ),
    ),
    _Field(
        "optionalClaims",
        lambda s, _: _claims(s.optional_claims),
        lambda c: _claims(c.optional_claims),
        lambda s, c: s.optional_claims == c.optional_claims,
    ),
    _Field(
        "requiredResourceAccess",
        lambda s, _: _perms(s.permissions),
        lambda c: _perms(c.permissions),
        lambda s, c: s.permissions == c.permissions,
    ),
    _Field(
        "groupMembershipClaims",
        lambda s, _: s.group_membership_claims or "None",
        lambda c: c.group_membership_claims or "None",
        lambda s, c: (s.group_membership_claims or "None") == (c.group_membership_claims or "None"),
        applies=lambda s: s.group_membership_claims is not None,
    ),
    _Field(
        "identifierUris",
        lambda s, app_id: _uris(_id_uris(s, app_id)),
        lambda c: _uris(c.identifier_uris),
        lambda s, c: sorted(_id_uris(s, c.app_id)) == sorted(c.identifier_uris),
        applies=lambda s: s.expose_api,
    ),
)


def secret_end(now: datetime, days: int) -> datetime:
    """Expiry as a calendar date: 00:00 UTC on the day `days` after today.

    Easy to remember and remind of, and never longer than `days`, so `--secret-days 180` stays
    inside a tenant policy that caps secrets at 180 days (rounding up would exceed it).
    """
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days)


def _fmt_day(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d") if moment else "unknown"


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
            changes.append(
                Change(
                    Action.DELETE,
                    "passwordCredentials",
                    f"client secret {key_id} (replaced earlier, expired)",
                )
            )
        else:
            keep.append(key_id)
            changes.append(Change(Action.NONE, "passwordCredentials", _kept_detail(key_id, found.end)))
    return changes, retire, keep


def _kept_detail(key_id: str, end: datetime | None) -> str:
    return (
        f"client secret {key_id} (replaced) stays until it expires {_fmt_day(end)}, as the portal may "
        "still use it; ssoctl removes it then (or remove it in the Entra admin center once the "
        "portal has the new one)"
    )


def _secret_changes(
    spec: AppSpec,
    current: AppState | None,
    status: SecretStatus,
    store: str,
    now: datetime,
    tag: str,
) -> tuple[list[Change], NewSecret | None, list[RetiredSecret], list[str]]:
    """Decide whether a new client secret is needed, and what becomes of the older ones."""
    changes, retire, keep = _earlier_replaced(current, status, now)
    held = status.held
    on_app = current.password(held.key_id) if (current and held) else None
    end_on_app = on_app.end if on_app else None
    if held and on_app and status.in_store and held.store == store and end_on_app and end_on_app > now:
        detail = f"client secret {held.key_id} valid until {_fmt_day(end_on_app)}, held in {store}"
        return [Change(Action.NONE, "passwordCredentials", detail), *changes], None, retire, keep

    end = secret_end(now, spec.secret_days)
    name = f"{SECRET_NAME_PREFIX} {_fmt_day(now)} {tag}"
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
        why = f"secret {held.key_id} expired {_fmt_day(end_on_app)}"
    changes.insert(
        0,
        Change(
            Action.CREATE,
            "passwordCredentials",
            f"client secret {name!r}, expires {_fmt_day(end)}, stored in {store} ({why})",
        ),
    )
    valid_on_app = bool(held and on_app and end_on_app and end_on_app > now)
    if held and valid_on_app:
        # The portal may still use it: removing it now would break sign-in until the new one is
        # pasted in. It stays until it expires (the overlap), and ssoctl removes it then.
        keep.append(held.key_id)
        changes.append(Change(Action.NONE, "passwordCredentials", _kept_detail(held.key_id, end_on_app)))
    clear = held.store if (held and status.in_store and held.store not in (store, NO_STORE)) else None
    expired_on_app = bool(on_app and not valid_on_app)
    if held and (expired_on_app or clear):
        retire.append(RetiredSecret(held.key_id, expired_on_app, clear))
    if held and expired_on_app:
        changes.append(Change(Action.DELETE, "passwordCredentials", f"client secret {held.key_id} (expired)"))
    if held and clear:
        changes.append(
            Change(Action.DELETE, clear, f"the value of client secret {held.key_id} (moved to {store})")
        )
    return changes, new, retire, keep


def diff(
    spec: AppSpec,
    current: AppState | None,
    status: SecretStatus,
    *,
    store: str,
    now: datetime,
    tag: str,
) -> Plan:
    """Compare desired and current: one Change per managed setting, plus the secret decision.

    `tag` makes the new secret's display name unique, so a failed addPassword can be found again.
    """
    changes: list[Change] = []
    fields = [f for f in FIELDS if f.applies(spec)]
    if current is None:
        changes.append(
            Change(Action.CREATE, "application", f"{spec.display_name} (uniqueName {spec.unique_name})")
        )
        changes += [
            Change(Action.CREATE, f.target, f.desired(spec, None))
            for f in fields
            if f.target != "displayName"
        ]
        write = True
    else:
        drift = [f for f in fields if not f.same(spec, current)]
        for f in drift:
            changes.append(
                Change(
                    Action.UPDATE,
                    f.target,
                    f"{f.current(current)} → {f.desired(spec, current.app_id)}",
                )
            )
        if not drift:
            changes.append(
                Change(
                    Action.NONE,
                    "application",
                    f"{spec.display_name} (appId {current.app_id}) is up to date",
                )
            )
        write = bool(drift)
    secret_changes, new, retire, keep = _secret_changes(spec, current, status, store, now, tag)
    changes += secret_changes
    return Plan(spec, current, tuple(changes), write, new, tuple(retire), tuple(keep))

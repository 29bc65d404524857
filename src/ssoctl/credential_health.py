"""How healthy each credential of an app is: pure, from Graph's JSON and ssoctl's record.

`assess` turns applications (as `GET /applications?$select=CREDENTIAL_SELECT` returns them) and
state.json's registrations into one `CredentialHealth` per client secret and certificate. The
status answers "does someone have to act?":

- `expired`: its end has passed;
- `expiring`: it ends within the window (days left, rounded up, at most `within`);
- `orphan`: ssoctl made it, and no store holds it and no portal is meant to (not the secret
  ssoctl stored, not one it replaced and keeps for the portal): nothing can use it; `prune`.
  Not one made before this machine's record of the registration (state.json was made again):
  another store may hold it, so it is not called an orphan (its store shows as unknown);
- `ok`: otherwise.

A credential "ssoctl made" is one of a registration in state.json that is its stored secret, a
secret it replaced, or a secret named like ssoctl names them (`ssoctl <date> <tag>`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from ssoctl.errors import UsageError
from ssoctl.graph.mapping import parse_graph_datetime
from ssoctl.resources.password import NO_STORE, SECRET_NAME_PREFIX
from ssoctl.state import Registration

# A window in days (--within, --alarm-days) longer than ten years is a typo, not a plan: Entra's
# own secrets last two years at most, and `--all` apps' longest are flagged anyway.
DAYS_WINDOW_MAX = 3650


def check_days(days: int, flag: str, *, example: int) -> int:
    """A window in days: 0..3650, refused before any request."""
    if not 0 <= days <= DAYS_WINDOW_MAX:
        raise UsageError(
            f"{flag} {days} is out of range",
            hint=f"give 0..{DAYS_WINDOW_MAX} days, e.g. {flag} {example}",
        )
    return days


Status = Literal["ok", "expiring", "expired", "orphan"]
Kind = Literal["secret", "certificate"]
ATTENTION: tuple[Status, ...] = ("expiring", "expired")  # what makes `secrets status` exit 8
NO_END_DATE = "noEndDate"
OVER_TWO_YEARS = "overTwoYears"


def zulu(moment: datetime) -> str:
    """`2027-05-21T00:00:00Z`, as graph_datetime writes it; formatted by hand because a status of a
    whole tenant formats tens of thousands of them."""
    d = moment.astimezone(UTC)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}Z"


def days_left(end: datetime, now: datetime) -> int:
    """Whole days left, rounded up: a secret made today for 20 days has 20; an ended one <= 0."""
    return math.ceil((end - now).total_seconds() / 86400)


def _plus_two_years(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 2)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 2, day=28)


@dataclass(frozen=True)
class CredentialHealth:
    """One client secret or certificate of one application, and what it needs."""

    tenant_id: str
    app_id: str
    object_id: str
    app_name: str  # the registration's display name (or the application's, when ssoctl has none)
    portal: str | None  # None: an application ssoctl does not manage (--all)
    kind: Kind
    key_id: str
    display_name: str | None  # the credential's own name
    start: datetime | None
    end: datetime | None
    days_left: int | None  # None: no end date
    store: str | None  # where ssoctl keeps its value (`keyring`, `env-file:…`, `none`), if anywhere
    managed: bool  # ssoctl made it
    status: Status
    flags: tuple[str, ...]
    registration: Registration | None = None

    @property
    def needs_attention(self) -> bool:
        return self.status in ATTENTION

    @property
    def label(self) -> str:
        """`emnify (emnify)`: the app, and the portal when it is another word."""
        if self.portal and self.portal != self.app_name:
            return f"{self.app_name} ({self.portal})"
        return self.app_name


def _credentials(app: Mapping[str, Any]) -> Iterable[tuple[Kind, Mapping[str, Any]]]:
    for cred in app.get("passwordCredentials") or []:
        if isinstance(cred, Mapping) and cred.get("keyId"):
            yield "secret", cred
    for cred in app.get("keyCredentials") or []:
        if isinstance(cred, Mapping) and cred.get("keyId"):
            yield "certificate", cred


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_graph_datetime(value)
    except ValueError:
        return None


def _status(end: datetime | None, now: datetime, within: int, orphan: bool) -> tuple[Status, int | None]:
    left = days_left(end, now) if end is not None else None
    if orphan:
        return "orphan", left
    if end is not None and end <= now:
        return "expired", left
    if left is not None and left <= within:
        return "expiring", left
    return "ok", left


def _one(
    kind: Kind,
    cred: Mapping[str, Any],
    app: Mapping[str, Any],
    reg: Registration | None,
    tenant_id: str,
    now: datetime,
    within: int,
) -> CredentialHealth:
    key_id = str(cred["keyId"]).lower()
    name = cred.get("displayName") if isinstance(cred.get("displayName"), str) else None
    start, end = _when(cred.get("startDateTime")), _when(cred.get("endDateTime"))
    held = reg.secret if reg and reg.secret and reg.secret.key_id.lower() == key_id else None
    replaced = bool(reg) and key_id in {k.lower() for k in (reg.replaced if reg else ())}
    named_like_ssoctl = kind == "secret" and (name or "").startswith(f"{SECRET_NAME_PREFIX} ")
    managed = reg is not None and (held is not None or replaced or named_like_ssoctl)
    made_before_record = reg is not None and reg.predates(start, name)
    orphan = managed and held is None and not replaced and not made_before_record
    status, left = _status(end, now, within, orphan)
    flags: list[str] = []
    if end is None:
        flags.append(NO_END_DATE)
    elif end > _plus_two_years(start or now):
        flags.append(OVER_TWO_YEARS)
    return CredentialHealth(
        tenant_id=tenant_id,
        app_id=str(app.get("appId") or ""),
        object_id=str(app.get("id") or ""),
        app_name=reg.display_name if reg else str(app.get("displayName") or app.get("appId") or ""),
        portal=reg.portal if reg else None,
        kind=kind,
        key_id=key_id,
        display_name=name,
        start=start,
        end=end,
        days_left=left,
        store=held.store if held else None,
        managed=managed,
        status=status,
        flags=tuple(flags),
        registration=reg,
    )


def assess(
    apps: Iterable[Mapping[str, Any]],
    registrations: Iterable[Registration],
    *,
    tenant_id: str,
    now: datetime,
    within: int,
) -> list[CredentialHealth]:
    """Every credential of these applications, soonest end first (no end date last)."""
    by_app = {r.app_id.lower(): r for r in registrations if r.tenant_id == tenant_id}
    rows = [
        _one(kind, cred, app, by_app.get(str(app.get("appId") or "").lower()), tenant_id, now, within)
        for app in apps
        for kind, cred in _credentials(app)
    ]
    return sorted(rows, key=soonest_first)


def soonest_first(row: CredentialHealth) -> tuple[bool, float, str, str]:
    return (row.end is None, row.end.timestamp() if row.end else 0.0, row.app_name.casefold(), row.key_id)


def held_nowhere(row: CredentialHealth) -> bool:
    """The value is kept nowhere ssoctl can reach (`--store none`, or not ssoctl's)."""
    return row.store in (None, NO_STORE)


def to_json(row: CredentialHealth, *, command: Callable[[CredentialHealth], str | None]) -> dict[str, Any]:
    """A `secrets status` entry (INTERFACE.md), plus kind, flags and the exact command."""
    return {
        "portal": row.portal,
        "name": row.app_name,
        "tenantId": row.tenant_id,
        "appId": row.app_id,
        "kind": row.kind,
        "keyId": row.key_id,
        "displayName": row.display_name,
        "endDateTime": zulu(row.end) if row.end else None,
        "daysLeft": row.days_left,
        "store": row.store,
        "managed": row.managed,
        "status": row.status,
        "flags": list(row.flags),
        "command": command(row),
    }

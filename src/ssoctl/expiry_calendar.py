"""`secrets status --ics FILE`: one calendar event per credential, at the moment it expires.

Each event is named after the app and portal, rings an alarm `alarm_days` ahead, and says in its
description what to run (the exact `secrets rotate` for a secret ssoctl keeps). Its UID is the
credential's keyId, so importing a newer file updates the events instead of doubling them.
Written with the `icalendar` library (RFC 5545 folding, escaping and dates done right), which is
imported only when a calendar is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from ssoctl.credential_health import CredentialHealth
from ssoctl.errors import UsageError
from ssoctl.files import write_private

PRODID = "-//ssoctl//client secret expiry//EN"
ALARM_DAYS_DEFAULT = 14
EVENT_LENGTH = timedelta(minutes=30)


def summary(row: CredentialHealth) -> str:
    what = "client secret" if row.kind == "secret" else "certificate"
    return f"{row.label}: {what} expires"


def description(row: CredentialHealth, command: str | None) -> str:
    what = "client secret" if row.kind == "secret" else "certificate"
    named = f" ({row.display_name})" if row.display_name else ""
    when = f" expires at {row.end:%Y-%m-%d %H:%M} UTC." if row.end else "."
    lines = [
        f"The {what} {row.key_id}{named} of app registration {row.app_name} "
        f"(appId {row.app_id}, tenant {row.tenant_id}){when}"
    ]
    if command:
        lines.append(f"Replace it before then: {command}")
        lines.append("then paste the new secret into the portal.")
    else:
        lines.append(
            "Replace it before then in the Entra admin center: App registrations > "
            f"{row.app_id} > Certificates & secrets."
        )
    if row.store:
        lines.append(f"ssoctl keeps it in: {row.store}")
    return "\n".join(lines)


def calendar_bytes(
    rows: Sequence[CredentialHealth],
    *,
    now: datetime,
    alarm_days: int,
    command: Callable[[CredentialHealth], str | None],
) -> bytes:
    """The .ics document: one VEVENT (with a VALARM) per credential that has an end date."""
    from icalendar import Alarm, Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "ssoctl: client secrets expiring")
    for row in rows:
        if row.end is None:
            continue
        event = Event()
        event.add("uid", f"{row.key_id}@ssoctl")
        event.add("dtstamp", now)
        event.add("dtstart", row.end)
        event.add("dtend", row.end + EVENT_LENGTH)
        event.add("summary", summary(row))
        event.add("description", description(row, command(row)))
        event.add("categories", ["ssoctl"])
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{summary(row)} in {alarm_days} days")
        alarm.add("trigger", timedelta(days=-alarm_days))
        event.add_component(alarm)
        cal.add_component(event)
    return bytes(cal.to_ical())


def check_target(path: Path) -> None:
    """Bad input before any request: the folder must exist, and FILE must not be a folder."""
    if path.is_dir():
        raise UsageError(f"--ics {path} is a folder", hint="give a file name, e.g. --ics secrets.ics")
    if not path.parent.is_dir():
        raise UsageError(
            f"--ics: the folder {path.parent} does not exist", hint="create it, or choose another path"
        )
    if path.is_file() and not _is_calendar(path):
        raise UsageError(
            f"--ics {path} exists and is not a calendar; ssoctl will not overwrite it",
            hint="choose another path (e.g. --ics secrets.ics), or move that file away",
        )


def _is_calendar(path: Path) -> bool:
    """An iCalendar file (ssoctl's own, perhaps cut short), or an empty one: safe to replace."""
    try:
        with path.open("rb") as handle:
            start = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return not start or start.upper().startswith(b"BEGIN:VCALENDAR")


def write_calendar(path: Path, data: bytes) -> None:
    """Atomically, 0600: it names apps, tenants and stores (no secret, but the user's business)."""
    write_private(path, data)

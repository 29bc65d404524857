"""Secret lifecycle, pure where possible: which stored secrets need attention, and when.

Expiry reminders for what ssoctl manages (commands/reminders.py decides when they are shown).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ssoctl.graph.mapping import graph_datetime
from ssoctl.state import Registration

REMIND_WITHIN_DAYS = 30


@dataclass(frozen=True)
class Reminder:
    """A managed secret that expires soon or has expired, and the exact command that renews it."""

    portal: str
    display_name: str
    key_id: str
    end: datetime
    days_left: int
    tenant_id: str = ""
    command: str = ""  # e.g. `ssoctl secrets rotate --portal emnify --name 'emnify eu' --sandbox`
    where: str = ""  # "tenant <id>" or "the sandbox tenant"

    @property
    def text(self) -> str:
        app = f"{self.display_name} ({self.portal})" if self.display_name != self.portal else self.portal
        where = f" in {self.where}" if self.where else ""
        todo = f": run `{self.command}`" if self.command else ""
        if self.days_left <= 0:
            return f"the client secret of {app}{where} expired on {self.end:%Y-%m-%d}{todo}"
        return (
            f"the client secret of {app}{where} expires in {self.days_left} day(s), "
            f"on {self.end:%Y-%m-%d}{todo}"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "portal": self.portal,
            "displayName": self.display_name,
            "tenantId": self.tenant_id,
            "keyId": self.key_id,
            "endDateTime": graph_datetime(self.end),
            "daysLeft": self.days_left,
            "command": self.command,
            "message": self.text,
        }


def due_reminders(
    registrations: list[Registration],
    now: datetime,
    within_days: int = REMIND_WITHIN_DAYS,
    *,
    describe: Callable[[Registration], tuple[str, str]] | None = None,
) -> list[Reminder]:
    """Secrets ssoctl holds that expire within `within_days` (or already have), soonest first.

    `describe(reg)` gives (where, command): the tenant in words and the exact renewing command.
    """
    due = []
    for reg in registrations:
        if reg.secret is None:
            continue
        end = reg.secret.end_datetime
        days_left = math.ceil((end - now).total_seconds() / 86400)  # a fresh 5-day secret: 5
        if days_left <= within_days:
            where, command = describe(reg) if describe else ("", "")
            due.append(
                Reminder(
                    reg.portal,
                    reg.display_name,
                    reg.secret.key_id,
                    end,
                    days_left,
                    reg.tenant_id,
                    command,
                    where,
                )
            )
    return sorted(due, key=lambda r: r.end)

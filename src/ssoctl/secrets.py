"""Secret lifecycle, pure where possible: which stored secrets need attention, and when.

Today: expiry reminders for what ssoctl manages. Rotation and calendar export build on this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from ssoctl.graph.mapping import graph_datetime
from ssoctl.state import Registration

REMIND_WITHIN_DAYS = 30


@dataclass(frozen=True)
class Reminder:
    portal: str
    display_name: str
    key_id: str
    end: datetime
    days_left: int

    @property
    def text(self) -> str:
        if self.days_left <= 0:
            return (
                f"the client secret of {self.display_name} ({self.portal}) expired on {self.end:%Y-%m-%d}: "
                f"run `ssoctl azure register --portal {self.portal}` for a new one and paste it into the portal"
            )
        return (
            f"the client secret of {self.display_name} ({self.portal}) expires in {self.days_left} day(s), "
            f"on {self.end:%Y-%m-%d}; once it has, `ssoctl azure register --portal {self.portal}` makes a "
            "new one to paste into the portal"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "portal": self.portal,
            "displayName": self.display_name,
            "keyId": self.key_id,
            "endDateTime": graph_datetime(self.end),
            "daysLeft": self.days_left,
            "message": self.text,
        }


def due_reminders(
    registrations: list[Registration], now: datetime, within_days: int = REMIND_WITHIN_DAYS
) -> list[Reminder]:
    """Secrets ssoctl holds that expire within `within_days` (or already have), soonest first."""
    due = []
    for reg in registrations:
        if reg.secret is None:
            continue
        end = reg.secret.end_datetime
        days_left = math.ceil((end - now).total_seconds() / 86400)  # a fresh 5-day secret: 5
        if days_left <= within_days:
            due.append(Reminder(reg.portal, reg.display_name, reg.secret.key_id, end, days_left))
    return sorted(due, key=lambda r: r.end)

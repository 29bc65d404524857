"""The portal registry. Adding a portal: write `portals/<name>.py` with a `PORTAL`, register it here."""

from __future__ import annotations

from ssoctl.errors import UsageError
from ssoctl.portals import emnify, pingone
from ssoctl.portals.base import NextStepContext, Portal, PortalOptions

PORTALS: dict[str, Portal] = {p.name: p for p in (emnify.PORTAL, pingone.PORTAL)}

__all__ = ["PORTALS", "NextStepContext", "Portal", "PortalOptions", "get_portal"]


def get_portal(name: str) -> Portal:
    try:
        return PORTALS[name.strip().lower()]
    except KeyError:
        raise UsageError(
            f"unknown portal {name!r}",
            hint=f"known portals: {', '.join(sorted(PORTALS))} (see `ssoctl portals list`)",
        ) from None

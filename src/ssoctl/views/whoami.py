"""`ssoctl whoami` for people: the identity, then one line per check with what to do."""

from __future__ import annotations

from datetime import datetime

from rich.markup import escape

from ssoctl.commands.whoami import WhoamiResult
from ssoctl.preflight import MISSING, PRESENT
from ssoctl.views.console import Consoles

_MARK = {PRESENT: "[green]✓ present[/]", MISSING: "[red]✗ missing[/]"}


def _expiry(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "unknown"
    minutes = int((moment - now).total_seconds() // 60)
    left = "expired" if minutes < 0 else f"in {minutes} min" if minutes < 120 else f"in {minutes // 60} h"
    return f"{moment.strftime('%Y-%m-%d %H:%M UTC')} ({left})"


def render_whoami(result: WhoamiResult, consoles: Consoles, *, now: datetime) -> None:
    out = consoles.out()
    identity = result.assessment.identity
    kind = {"user": "user", "app": "application"}.get(identity.kind, "unknown kind")
    rows = [
        ("Signed in", f"{identity.account or '(no name in the token)'} ({kind})"),
        ("With", result.signed_in_with),
        ("Tenant", result.tenant_id + (" (sandbox)" if result.sandbox else "")),
        ("Cloud", f"{result.cloud.name} ({result.graph_endpoint})"),
        ("Token expires", _expiry(identity.expires, now)),
    ]
    for label, value in rows:
        out.print(f"[bold]{label + ':':<15}[/]{escape(value)}")
    out.print()
    out.print("[bold]What ssoctl needs[/]")
    for check in result.assessment.checks:
        mark = _MARK.get(check.status, "[yellow]? unknown[/]")
        out.print(f"  {mark}  {escape(check.requirement)} [dim]— to {escape(check.need.value)}[/]")
        if check.note:
            out.print(f"             [dim]{escape(check.note)}[/]")
        if check.fix and check.status != PRESENT:
            out.print(f"             [hint]→ {escape(check.fix)}[/]")
    if result.ready:
        out.print("\n[green]Everything ssoctl may need is in place.[/]")
    else:
        out.print("\n[yellow]Commands that need a missing item stop before changing anything (exit 4).[/]")

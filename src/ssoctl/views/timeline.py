"""`secrets status` for a person: a timeline of days left per credential, soonest first.

One row per client secret or certificate: status, app (and portal), kind, expiry, days left and a
bar whose length is the days left, coloured by status, then the store that holds it. Below it,
the exact command for each one that needs attention. Colours follow Rich's theme handling, so
NO_COLOR and pipes get plain text.
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ssoctl.commands.hints import command_for
from ssoctl.commands.secrets_status import StatusReport
from ssoctl.credential_health import CredentialHealth
from ssoctl.views.console import Consoles

BAR_WIDTH = 20  # 10 on a terminal narrower than WIDE
WIDE = 120
STORE_WIDTH = 34  # a store wider than what is left is shortened in the middle; JSON keeps it whole
FIXED = 8 + 6 + 10 + 4 + 2 * 7  # status, kind, expires, days, and the padding of seven columns
BAR_SCALE_MAX = 730  # days: longer lifetimes all get a full bar
STYLE = {"ok": "green", "expiring": "yellow", "expired": "red", "orphan": "magenta"}


def bar(row: CredentialHealth, scale: int, width: int = BAR_WIDTH) -> Text:
    """`██████░░░░`: days left out of `scale`; an expired credential shows none left."""
    left = max(row.days_left or 0, 0) if row.end is not None else scale
    filled = round(width * min(left, scale) / scale) if scale else 0
    if row.end is not None and left > 0:
        filled = max(filled, 1)  # a day left is still visible
    return Text("█" * filled, style=STYLE[row.status]) + Text("░" * (width - filled), style="dim")


def store_label(store: str | None, width: int = STORE_WIDTH) -> str:
    """The store as one short cell: `~` for the home folder, and a long path cut in the middle
    (`env-file:…/sandbox/credentials.env`), since the file's name says most. One long path would
    otherwise wrap the whole table into unreadable columns."""
    if not store:
        return "-"
    kind, sep, where = store.partition(":")
    home = str(Path.home())
    if sep and where.startswith(home + "/"):
        where = "~" + where[len(home) :]
    label = f"{kind}{sep}{where}"
    if len(label) <= width:
        return label
    name = where.rsplit("/", 1)[-1]
    for short in (f"{kind}{sep}…/{name}", f"…/{name}"):
        if len(short) <= width:
            return short
    return f"…{label[-(width - 1) :]}"


def _scale(report: StatusReport) -> int:
    longest = max((r.days_left or 0 for r in report.rows if r.end is not None), default=0)
    return max(min(longest, BAR_SCALE_MAX), report.within, 1)


def render_status(report: StatusReport, consoles: Consoles) -> None:
    out = consoles.out()
    where = f"tenant {report.tenant_id}" + (" (sandbox)" if report.sandbox else "")
    if not report.rows and not report.missing:
        managed = "no app registration" if not report.registrations else "no credential"
        out.print(f"ssoctl manages {managed} with credentials in {where}.")
        return
    bar_width = BAR_WIDTH if out.width >= WIDE else BAR_WIDTH // 2
    app_width = max((len(r.label) for r in report.rows), default=12)
    store_width = max(16, min(STORE_WIDTH, out.width - FIXED - bar_width - app_width))
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("status", no_wrap=True, min_width=8)
    table.add_column("app", min_width=12, overflow="fold")
    table.add_column("kind", no_wrap=True, min_width=6)
    table.add_column("expires", no_wrap=True, min_width=10)
    table.add_column("days", justify="right", no_wrap=True, min_width=4)
    table.add_column("left", no_wrap=True, min_width=bar_width)
    table.add_column("store", no_wrap=True, min_width=8)
    scale = _scale(report)
    for row in report.rows:
        flags = " [dim](" + ", ".join(row.flags) + ")[/]" if row.flags else ""
        table.add_row(
            Text(row.status, style=STYLE[row.status]),
            escape(row.label),
            row.kind,
            f"{row.end:%Y-%m-%d}" if row.end else "never",
            str(row.days_left) if row.days_left is not None else "∞",
            bar(row, scale, bar_width),
            escape(store_label(row.store, store_width)) + flags,
        )
    out.print(f"Credentials in {where}, expiring within {report.within} days:\n")
    out.print(table)
    _footer(report, consoles)


def _footer(report: StatusReport, consoles: Consoles) -> None:
    out = consoles.out()
    attention = report.attention
    orphans = [r for r in report.rows if r.status == "orphan"]
    if not attention and not report.missing:
        out.print(
            f"\n[green]All {len(report.rows)} credential(s) are valid for more than {report.within} days.[/]"
        )
    for row in attention:
        command = report.command(row)
        state = "expired" if row.status == "expired" else f"expires in {row.days_left} day(s)"
        todo = f"run [bold]{escape(command)}[/]" if command else "renew it in the Entra admin center"
        out.print(f"\n[{STYLE[row.status]}]{escape(row.label)}[/]: {row.kind} {state}: {todo}")
    for reg in report.missing:
        out.print(
            f"\n[red]{escape(reg.display_name)}[/] ({escape(reg.portal)}): app {reg.app_id} no longer exists "
            "in the tenant, so sign-in through it fails"
        )
    if orphans:
        prune = command_for(
            "secrets prune",
            None,
            name=None,
            sandbox=report.sandbox,
            tenant=None if report.sandbox else report.tenant_id,  # read later: name the tenant
        )
        out.print(
            f"\n{len(orphans)} orphan(s): made by ssoctl, held by no store; "
            f"`{escape(prune)}` removes them after showing the plan."
        )

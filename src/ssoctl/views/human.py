"""Human output with Rich: a Terraform-like plan, the result, next steps, reminders."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager

from rich.markup import escape
from rich.text import Text

from ssoctl.commands.register import RegisterOutcome
from ssoctl.plan import Change, Plan
from ssoctl.views.console import Consoles, print_rows


class HumanRegisterUI:
    """Shows the plan on stdout and asks on the terminal; notices go to stderr."""

    def __init__(self, consoles: Consoles) -> None:
        self.consoles = consoles
        self.out = consoles.out()
        self.err = consoles.err()

    def notice(self, text: str) -> None:
        self.err.print(f"note: {escape(text)}")

    def show_plan(self, plan: Plan, tenant_id: str, sandbox: bool) -> None:
        where = f"tenant {tenant_id}" + (" (sandbox)" if sandbox else "")
        self.out.print(f"[bold]{escape(plan.spec.display_name)}[/] ({plan.spec.unique_name}) in {where}:\n")
        print_rows(self.out, plan_rows(plan.changes))
        counts = plan.counts
        if plan.has_changes:
            self.out.print(
                f"\nPlan: {counts['create']} to add, {counts['update']} to change, {counts['delete']} to remove."
            )
        else:
            self.out.print("\nNo changes: the app registration and its secret are as the portal needs them.")

    def confirm(self, question: str) -> bool:
        return self.consoles.ask_yes(question)

    def progress(self, text: str) -> AbstractContextManager[None]:
        return self.consoles.progress(text)


TARGET_WIDTH = 26  # the widest Graph property a plan names (web.implicitGrantSettings) fits


def plan_rows(changes: Sequence[Change]) -> list[tuple[Text, Text]]:
    """(symbol and target, detail) per line, the targets in one column.

    A target wider than the column (an env file's path, when a secret moves store) gets a row of
    its own with the detail under the column, so one long path never pushes every row right.
    """
    width = max((len(c.target) for c in changes if len(c.target) <= TARGET_WIDTH), default=0)
    rows: list[tuple[Text, Text]] = []
    for change in changes:
        style = change.action.value
        if len(change.target) > width:
            rows.append((Text(f"  {change.action.symbol} {change.target}", style=style), Text("")))
            rows.append((Text(" " * (width + 6)), Text(change.detail)))
        else:
            head = Text(f"  {change.action.symbol} {change.target:<{width}}", style=style)
            rows.append((head + Text("  "), Text(change.detail)))
    return rows


def render_register(
    outcome: RegisterOutcome, consoles: Consoles, *, show_secret: bool, plan_only: bool, show_reminders: bool
) -> None:
    out, err = consoles.out(), consoles.err()
    result = outcome.result
    if plan_only:
        out.print("\n--plan: nothing was changed. Run without --plan to apply.")
        return
    if result is not None:
        counts = outcome.plan.counts
        out.print(
            f"\n[bold green]Apply complete![/] {counts['create']} added, {counts['update']} changed, "
            f"{counts['delete']} removed."
        )
        out.print(f"  Application (client) ID: {result.app_id}")
        out.print(f"  Directory (tenant) ID:   {outcome.tenant_id}")
        if result.issued:
            issued = result.issued
            where = result.stored_in if result.stored_in != "none" else "nowhere (printed below, once)"
            out.print(
                f"  Client secret:           {escape(repr(issued.display_name))}, expires {issued.end:%Y-%m-%d}"
            )
            out.print(f"  Client secret ID:        {issued.key_id} (not the value)")
            out.print(f"  Stored in:               {escape(where or '')}")
            if show_secret:
                out.print(f"  Client secret value:     {issued.text.reveal()}", markup=False)
        for warning in result.warnings:
            err.print(f"warning: {escape(warning)}")
    if outcome.next_steps:
        out.print(f"\n[bold]Next, in the {escape(outcome.portal.title)}:[/]")
        for n, step in enumerate(outcome.next_steps, 1):
            out.print(f"  {n}. {escape(step)}")
    for reminder in outcome.reminders if show_reminders else []:
        err.print(f"[yellow]reminder:[/] {escape(reminder.text)}")

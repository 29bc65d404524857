"""Output of the lifecycle commands (`azure verify`, `secrets rotate`, `secrets prune`): human and JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.text import Text

from ssoctl.views.console import print_rows
from ssoctl.views.human import plan_rows

if TYPE_CHECKING:
    from ssoctl.commands.prune import PruneOutcome
    from ssoctl.commands.rotate import RotateOutcome
    from ssoctl.commands.verify import VerifyOutcome
    from ssoctl.views.console import Consoles

MARKS = {
    "pass": "[green]✓ pass[/]",
    "fail": "[red]✗ fail[/]",
    "not-verified": "[yellow]? not verified[/]",
    "skip": "[dim]- skip[/]",
}


def verify_document(outcome: VerifyOutcome) -> dict[str, Any]:
    reg = outcome.target.record
    return {
        "portal": reg.portal,
        "name": reg.display_name,
        "tenantId": outcome.tenant_id,
        "appId": outcome.app_id,
        "verified": outcome.verified,
        "checks": [c.to_json() for c in outcome.checks],
        "reminders": [r.to_json() for r in outcome.reminders],
    }


def render_verify(outcome: VerifyOutcome, consoles: Consoles, *, show_reminders: bool = False) -> None:
    out = consoles.out()
    reg = outcome.target.record
    out.print(f"[bold]{escape(reg.display_name)}[/] ({outcome.app_id}) in tenant {outcome.tenant_id}:")
    # Marks and names in columns; details (and hints) wrap at spaces under their own column.
    marks = {status: Text.from_markup(mark) for status, mark in MARKS.items()}
    mark_width = max(m.cell_len for m in marks.values())
    width = max(len(c.name) for c in outcome.checks)
    rows: list[tuple[Text, Text]] = []
    for check in outcome.checks:
        mark = marks[check.status].copy()
        mark.pad_right(mark_width - mark.cell_len)
        head = Text("  ") + mark + Text(f"  {check.name:<{width}}  ")
        rows.append((head, Text(check.detail)))
        if check.hint and check.status not in ("pass", "skip"):
            rows.append((Text(" " * head.cell_len), Text(check.hint, style="hint")))
    print_rows(out, rows)
    if outcome.verified:
        out.print(
            "\n[bold green]Verified:[/] Entra accepts the stored secret and the app is as the portal needs it."
        )
    else:
        out.print("\n[bold red]Not verified:[/] see the checks above.")
    for reminder in outcome.reminders if show_reminders else []:
        consoles.err().print(f"[yellow]reminder:[/] {escape(reminder.text)}")


def _changes(changes: list[Any]) -> list[dict[str, Any]]:
    return [c.to_json() for c in changes]


def rotate_document(outcome: RotateOutcome) -> dict[str, Any]:
    target = outcome.target
    reg = target.record
    doc: dict[str, Any] = {
        "formatVersion": 1,
        "portal": reg.portal,
        "name": reg.display_name,
        "displayName": reg.display_name,
        "uniqueName": reg.unique_name,
        "tenantId": reg.tenant_id,
        "appId": reg.app_id,
        "objectId": reg.object_id,
        "sandbox": target.sandbox,
        "applied": outcome.applied,
        "changes": _changes(outcome.changes),
        "secret": outcome.secret_json(),
        "previous": outcome.previous_json(),
        "verified": outcome.verified,
        "verification": outcome.verification,
        "nextSteps": outcome.next_steps,
        "reminders": [r.to_json() for r in outcome.reminders],
        "warnings": outcome.warnings,
    }
    return doc


class HumanLifecycleUI:
    """The plan on stdout, the question and notices on stderr."""

    def __init__(self, consoles: Consoles) -> None:
        self.consoles = consoles

    def notice(self, text: str) -> None:
        self.consoles.err().print(f"note: {escape(text)}")

    def show_plan(self, title: str, changes: list[Any]) -> None:
        out = self.consoles.out()
        out.print(escape(title) + ("\n" if changes else ""))
        print_rows(out, plan_rows(changes))

    def confirm(self, question: str) -> bool:
        return self.consoles.ask_yes(question)


class JsonLifecycleUI(HumanLifecycleUI):
    """JSON mode: stdout holds only the document (it carries the plan); notices on stderr."""

    def notice(self, text: str) -> None:
        self.consoles.note(f"note: {text}")

    def show_plan(self, title: str, changes: list[Any]) -> None:
        return None


def render_rotate(outcome: RotateOutcome, consoles: Consoles, *, show_reminders: bool) -> None:
    out, err = consoles.out(), consoles.err()
    if outcome.applied and outcome.issued is not None:
        issued = outcome.issued
        out.print("\n[bold green]Rotated.[/]")
        out.print(f"  Application (client) ID: {outcome.target.record.app_id}")
        out.print(
            f"  New client secret ID:    {issued.key_id} (not the value), expires {issued.end:%Y-%m-%d}, "
            f"stored in {outcome.stored_in}"
        )
        out.print(f"  Verified:                {escape(outcome.verification)}")
    for warning in outcome.warnings:
        err.print(f"warning: {escape(warning)}")
    if outcome.next_steps:
        out.print("\n[bold]Next:[/]")
        for n, step in enumerate(outcome.next_steps, 1):
            out.print(f"  {n}. {escape(step)}")
    for reminder in outcome.reminders if show_reminders else []:
        err.print(f"[yellow]reminder:[/] {escape(reminder.text)}")


def prune_document(outcome: PruneOutcome) -> dict[str, Any]:
    return {
        "tenantId": outcome.tenant_id,
        "applied": outcome.applied,
        "changes": _changes(outcome.changes),
        "removed": outcome.removed,
        "kept": outcome.kept,
        "warnings": outcome.warnings,
    }


def render_prune(outcome: PruneOutcome, consoles: Consoles) -> None:
    out, err = consoles.out(), consoles.err()
    for kept in outcome.kept:
        err.print(f"note: {escape(kept['reason'])}")
    for warning in outcome.warnings:
        err.print(f"warning: {escape(warning)}")
    if outcome.applied:
        out.print(f"\n[bold green]Pruned:[/] {len(outcome.removed)} client secret(s) removed.")

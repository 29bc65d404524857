"""`azure status` for an app registration, for a person: healthy or not, why, and the fix."""

from __future__ import annotations

from rich.markup import escape

from ssoctl.commands.status import RegistrationStatus
from ssoctl.commands.unregister import UnregisterOutcome
from ssoctl.views.console import Consoles
from ssoctl.views.timeline import STYLE


def render_registration_status(result: RegistrationStatus, consoles: Consoles) -> None:
    out = consoles.out()
    where = f"tenant {result.tenant_id}" + (" (sandbox)" if result.sandbox else "")
    head = f"[bold]{escape(result.name)}[/] ({escape(result.portal)}) in {where}"
    if result.app_id:
        head += f", app {result.app_id}"
    verdict = "[green]healthy[/]" if result.healthy else "[red]needs attention[/]"
    out.print(f"{head}: {verdict}")
    for row in result.secrets:
        left = f"{row.days_left} day(s) left" if row.days_left is not None else "no end date"
        end = f"{row.end:%Y-%m-%d}" if row.end else "never"
        out.print(
            f"  [{STYLE[row.status]}]{row.status:<8}[/] {row.kind} {row.key_id} expires {end} ({left})"
            + (f", held in {escape(row.store)}" if row.store else "")
        )
    for problem in result.problems:
        out.print(f"  [red]✗[/] {escape(problem)}")
    for fix in result.fixes:
        out.print(f"  → {escape(fix)}")


class HumanUnregisterUI:
    """The unregister plan on stdout, the question on the terminal."""

    def __init__(self, consoles: Consoles) -> None:
        self.consoles = consoles

    def show_plan(self, outcome: UnregisterOutcome) -> None:
        out = self.consoles.out()
        where = f"tenant {outcome.tenant_id}" + (" (sandbox)" if outcome.sandbox else "")
        out.print(f"[bold]{escape(outcome.name)}[/] ({escape(outcome.portal)}) in {where}:\n")
        for change in outcome.changes:
            out.print(f"  [delete]- {escape(change.target)}[/]  {escape(change.detail)}")
        removed = sum(1 for c in outcome.changes if c.action.value == "delete")
        out.print(f"\nPlan: {removed} to remove.")

    def confirm(self, question: str) -> bool:
        return self.consoles.ask_yes(question)


class JsonUnregisterUI(HumanUnregisterUI):
    """JSON mode: no plan on stdout (the document says it); the question still on stderr."""

    def show_plan(self, outcome: UnregisterOutcome) -> None:
        return None


def render_unregister(outcome: UnregisterOutcome, consoles: Consoles) -> None:
    out, err = consoles.out(), consoles.err()
    if not outcome.changes:
        out.print(
            f"Nothing to do: ssoctl has no {escape(outcome.portal)} registration {escape(outcome.name)} "
            f"in tenant {outcome.tenant_id}, and no such app exists there."
        )
    elif outcome.applied or outcome.has_changes:
        out.print(f"\n[bold green]Removed[/] {escape(outcome.name)} ({escape(outcome.portal)}).")
    for warning in outcome.warnings:
        err.print(f"warning: {escape(warning)}")


def unregister_document(outcome: UnregisterOutcome) -> dict[str, object]:
    return {
        "portal": outcome.portal,
        "name": outcome.name,
        "tenantId": outcome.tenant_id,
        "appId": outcome.app_id,
        "applied": outcome.applied,
        "changes": [c.to_json() for c in outcome.changes],
        "warnings": outcome.warnings,
    }

"""Output of the lifecycle commands (`azure verify`, `secrets rotate`, `secrets prune`): human and JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.markup import escape

if TYPE_CHECKING:
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


def render_verify(outcome: VerifyOutcome, consoles: Consoles) -> None:
    out = consoles.out()
    reg = outcome.target.record
    out.print(f"[bold]{escape(reg.display_name)}[/] ({outcome.app_id}) in tenant {outcome.tenant_id}:")
    width = max(len(c.name) for c in outcome.checks)
    for check in outcome.checks:
        out.print(f"  {MARKS[check.status]}  {check.name:<{width}}  {escape(check.detail)}")
        if check.hint and check.status not in ("pass", "skip"):
            out.print(f"  {'':<{6 + width + 8}}[hint]{escape(check.hint)}[/]")
    if outcome.verified:
        out.print(
            "\n[bold green]Verified:[/] Entra accepts the stored secret and the app is as the portal needs it."
        )
    else:
        out.print("\n[bold red]Not verified:[/] see the checks above.")

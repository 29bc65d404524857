"""Human and JSON output for Federated Directory: `provision`, `status` and `register`'s sign-in guide.

Never a token: the outcomes carry none, and the views show where it is stored, not what it is.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from ssoctl.commands.provision import ProvisionOutcome, SignInOutcome
from ssoctl.commands.provision_status import ProvisionStatus
from ssoctl.portals import federated_directory as fd
from ssoctl.resources.base import Step
from ssoctl.views.console import Consoles

SCOPE_WORDS = {"true": "all", "false": "assigned"}


class HumanProvisionUI:
    """The plan on stdout, the question and notices on stderr."""

    def __init__(self, consoles: Consoles) -> None:
        self.consoles = consoles
        self.out = consoles.out()

    def notice(self, text: str) -> None:
        self.consoles.err().print(f"note: {escape(text)}")

    def show_steps(self, steps: tuple[Step, ...], tenant_id: str, sandbox: bool) -> None:
        where = f"tenant {tenant_id}" + (" (sandbox)" if sandbox else "")
        self.out.print(f"[bold]{fd.TITLE} provisioning[/] in {where}:\n")
        changes = [c for step in steps for c in step.changes]
        width = max(len(c.target) for c in changes)
        for change in changes:
            self.out.print(
                f"  [{change.action.value}]{change.action.symbol} {change.target:<{width}}[/]  {escape(change.detail)}"
            )
        if not any(step.has_work for step in steps):
            self.out.print("\nNo changes: provisioning is set up and running with this token and scope.")

    def confirm(self, question: str) -> bool:
        return self.consoles.ask_yes(question)


class JsonProvisionUI:
    def __init__(self, consoles: Consoles) -> None:
        self.consoles = consoles

    def notice(self, text: str) -> None:
        self.consoles.note(f"note: {text}")

    def show_steps(self, steps: tuple[Step, ...], tenant_id: str, sandbox: bool) -> None:
        return None

    def confirm(self, question: str) -> bool:
        return self.consoles.ask_yes(question)


def _status_line(status: dict[str, Any]) -> str:
    code = str(status.get("code") or "unknown")
    quarantine = status.get("quarantine") or {}
    if quarantine:
        code += f" (quarantine: {quarantine.get('reason')})"
    last = status.get("lastExecution") or {}
    if last:
        code += (
            f"; last cycle {last.get('state')} at {last.get('timeEnded')}, "
            f"{last.get('countEntitled', 0)} in scope, {last.get('countExported', 0)} exported"
        )
    return code


def render_provision(outcome: ProvisionOutcome, consoles: Consoles) -> None:
    out, err = consoles.out(), consoles.err()
    app = outcome.app
    if outcome.applied:
        out.print("\n[bold green]Apply complete![/]")
        for event in outcome.events:
            out.print(f"  - {escape(event)}")
    if app is not None:
        how = "added from the gallery" if outcome.app_created else "found and reused"
        out.print(f"\n  Enterprise app:      {escape(app.display_name)} ({how}), appId {app.app_id}")
    out.print(f"  Provisioning job:    {outcome.job_id}")
    out.print(f"  Tenant URL:          {escape(outcome.spec.base_url)}")
    out.print(f"  Scope:               {SCOPE_WORDS[outcome.spec.sync_all]}")
    out.print(f"  Token:               kept in {escape(outcome.store)} (never shown)")
    out.print(f"  Status:              {escape(_status_line(outcome.status))}")
    if outcome.mappings:
        out.print("\n[bold]Attribute mappings[/] (the guide's table beside the job's):")
        for row in outcome.mappings:
            flag = "[red]MISSING (mandatory)[/]" if row.missing else escape(row.target or "not mapped")
            mark = "*" if row.attribute.mandatory else " "
            out.print(f"  {mark} {row.attribute.display_name:<19} {row.attribute.variable:<18} → {flag}")
        out.print("  (* mandatory)")
    if outcome.test_user is not None:
        result = outcome.test_user
        verdict = "[green]provisioned[/]" if result.success else "[red]failed[/]"
        out.print(f"\n[bold]On demand: {escape(result.user_principal_name)}[/] {verdict}")
        for taken in result.steps:
            out.print(f"  {taken['status']:<8} {escape(taken['name'])}: {escape(taken['description'])}")
    for note in outcome.notes:
        err.print(f"note: {escape(note)}")
    if outcome.next_steps:
        out.print("\n[bold]Next:[/]")
        for n, step in enumerate(outcome.next_steps, 1):
            out.print(f"  {n}. {escape(step)}")


def provision_document(outcome: ProvisionOutcome) -> dict[str, Any]:
    app = outcome.app
    test = outcome.test_user
    return {
        "portal": fd.NAME,
        "tenantId": outcome.tenant_id,
        "sandbox": outcome.sandbox,
        "applied": outcome.applied,
        "appId": app.app_id if app else None,
        "enterpriseApp": {
            "id": app.id,
            "appId": app.app_id,
            "displayName": app.display_name,
            "created": outcome.app_created,
        }
        if app
        else None,
        "jobId": outcome.job_id,
        "tenantUrl": outcome.spec.base_url,
        "scope": SCOPE_WORDS[outcome.spec.sync_all],
        "token": {"store": outcome.store, "changed": outcome.token_changed},
        "changes": [c.to_json() for step in outcome.steps for c in step.changes],
        "status": outcome.status,
        "attributeMappings": [
            {
                "displayName": row.attribute.display_name,
                "source": row.attribute.variable,
                "mandatory": row.attribute.mandatory,
                "target": row.target,
            }
            for row in outcome.mappings
        ],
        "missingMandatory": [row.attribute.variable for row in outcome.mappings if row.missing],
        "testUser": {
            "userPrincipalName": test.user_principal_name,
            "success": test.success,
            "steps": test.steps,
        }
        if test
        else None,
        "notes": outcome.notes,
        "nextSteps": outcome.next_steps,
    }


def render_status(result: ProvisionStatus, consoles: Consoles) -> None:
    out = consoles.out()
    verdict = "[green]healthy[/]" if result.healthy else "[red]needs attention[/]"
    out.print(f"[bold]{fd.TITLE} provisioning[/] in tenant {result.tenant_id}: {verdict}")
    if result.app:
        out.print(f"  Enterprise app:   {escape(result.app.display_name)}, appId {result.app.app_id}")
    if result.job_id:
        out.print(f"  Provisioning job: {result.job_id} (schedule {result.schedule or 'unknown'})")
        out.print(f"  Status:           {escape(_status_line(result.status))}")
    for problem in result.problems:
        out.print(f"  [red]problem:[/] {escape(problem)}")
    for fix in result.fixes:
        out.print(f"  [hint]fix:[/] {escape(fix)}")


def status_document(result: ProvisionStatus) -> dict[str, Any]:
    return {
        "portal": fd.NAME,
        "name": fd.ENTERPRISE_APP,
        "tenantId": result.tenant_id,
        "appId": result.app.app_id if result.app else None,
        "changes": [],  # INTERFACE.md's status shape: provisioning has no app registration to drift
        "secrets": [],  # ... and no client secret: the token's health is the job's status
        "servicePrincipalId": result.app.id if result.app else None,
        "jobId": result.job_id or None,
        "healthy": result.healthy,
        "code": result.code,
        "schedule": result.schedule or None,
        "status": result.status,
        "problems": result.problems,
        "fixes": result.fixes,
    }


def render_sign_in(outcome: SignInOutcome, consoles: Consoles) -> None:
    out = consoles.out()
    out.print(f"[bold]{fd.TITLE}[/] needs no app registration in tenant {outcome.tenant_id}.")
    if outcome.app:
        out.print(
            f"  The enterprise app '{escape(outcome.app.display_name)}' exists (appId {outcome.app.app_id})."
        )
    else:
        out.print(
            f"  The enterprise app '{fd.ENTERPRISE_APP}' does not exist yet: it appears with step 4's consent."
        )
    out.print(f"\n[bold]Steps, from {fd.GUIDE}:[/]")
    for n, step in enumerate(outcome.steps, 1):
        out.print(f"  {n}. {escape(step)}")


def sign_in_document(outcome: SignInOutcome) -> dict[str, Any]:
    app = outcome.app
    return {
        "portal": fd.NAME,
        "tenantId": outcome.tenant_id,
        "appRegistration": None,
        "enterpriseApp": {"id": app.id, "appId": app.app_id, "displayName": app.display_name}
        if app
        else None,
        "changes": [],
        "nextSteps": outcome.steps,
    }

"""`ssoctl apply` output: the whole file's plan, progress lines, and a summary table or the JSON
document of INTERFACE.md (`{"registrations": [...], "failed": N}`)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from ssoctl.commands.apply import ApplyRun, Item, ProvisionItem
from ssoctl.commands.hints import command_for
from ssoctl.portals import federated_directory as fd
from ssoctl.views.console import Consoles
from ssoctl.views.human import HumanRegisterUI
from ssoctl.views.json_view import JSON_FORMAT_VERSION, error_document, register_document
from ssoctl.views.provisioning import HumanProvisionUI, provision_document

STATUS_STYLE = {"ok": "green", "changes": "yellow", "unchanged": "dim", "failed": "bold red"}


def _who(item: Item) -> str:
    return f"registration {item.entry.index} ({item.portal.name} {item.spec.display_name!r}, line {item.entry.line})"


def _provision_who(pitem: ProvisionItem) -> str:
    return f"registration {pitem.entry.index} ({fd.NAME} provisioning, line {pitem.entry.line})"


def _counts(items: list[Item]) -> dict[str, int]:
    totals = {"create": 0, "update": 0, "delete": 0}
    for item in items:
        if item.prepared is not None:
            for action, n in item.prepared.plan.counts.items():
                totals[action] += n
    return totals


class HumanApplyUI:
    """Every plan on stdout (unchanged ones in one line each), progress and notices on stderr."""

    def __init__(self, consoles: Consoles) -> None:
        self.consoles = consoles
        self.out = consoles.out()
        self.err = consoles.err()
        self.register_ui = HumanRegisterUI(consoles)

    def notice(self, text: str) -> None:
        self.err.print(f"note: {escape(text)}")

    def show_provisions(self, provisions: list[ProvisionItem]) -> None:
        """Each federated-directory entry's steps, as `azure provision` shows them."""
        for pitem in provisions:
            planned = pitem.planned
            if pitem.error is not None:
                self.out.print(
                    f"[bold red]✗[/] {escape(_provision_who(pitem))}: cannot be read: {escape(pitem.error.message)}\n"
                )
            elif planned is not None and planned.has_changes:
                self.out.print(f"[dim]# {escape(_provision_who(pitem))}[/]")
                HumanProvisionUI(self.consoles).show_steps(planned.steps, planned.tenant_id, planned.sandbox)
                self.out.print()
            elif planned is not None:
                self.out.print(f"[dim]= {fd.TITLE} provisioning in tenant {planned.tenant_id}: no changes[/]")

    def show_plans(self, items: list[Item], plan_only: bool) -> None:
        for item in items:
            prepared = item.prepared
            if item.error is not None:
                self.out.print(
                    f"[bold red]✗[/] {escape(_who(item))}: cannot be read: {escape(item.error.message)}\n"
                )
            elif prepared is not None and prepared.plan.has_changes:
                self.out.print(f"[dim]# {escape(_who(item))}[/]")
                self.register_ui.show_plan(prepared.plan, prepared.tenant_id, prepared.sandbox)
                self.out.print()
            elif prepared is not None:
                self.out.print(
                    f"[dim]= {escape(prepared.spec.display_name)} ({prepared.spec.unique_name}): no changes[/]"
                )
        changing = sum(item.has_changes for item in items)
        unchanged = sum(item.prepared is not None and not item.has_changes for item in items)
        failed = sum(item.error is not None for item in items)
        c = _counts(items)
        self.out.print(
            f"\n[bold]Plan:[/] {changing} of {len(items)} registrations to change "
            f"({c['create']} to add, {c['update']} to change, {c['delete']} to remove), "
            f"{unchanged} unchanged" + (f", [red]{failed} cannot be read[/]" if failed else "") + "."
        )

    def confirm(self, question: str) -> bool:
        return self.consoles.ask_yes(question)

    def progress(self, item: Item, done: int, total: int) -> None:
        mark = "[red]✗ failed[/]" if item.error is not None else "[green]✓ applied[/]"
        self.err.print(
            f"[{done}/{total}] {mark} {escape(item.portal.name)} {escape(item.spec.display_name)!r}"
        )


class JsonApplyUI:
    """JSON mode: stdout holds only the final document; notices and the prompt go to stderr."""

    def __init__(self, consoles: Consoles) -> None:
        self.consoles = consoles

    def notice(self, text: str) -> None:
        self.consoles.note(f"note: {text}")

    def show_plans(self, items: list[Item], plan_only: bool) -> None:
        return None

    def show_provisions(self, provisions: list[ProvisionItem]) -> None:
        return None

    def confirm(self, question: str) -> bool:
        return self.consoles.ask_yes(question)

    def progress(self, item: Item, done: int, total: int) -> None:
        return None


def render_apply(run: ApplyRun, consoles: Consoles) -> None:
    """The summary table, then what went wrong (stderr) and how it ended."""
    out, err = consoles.out(), consoles.err()
    if not run.items and not run.provisions:
        shard = f" in shard {run.shard[0]}/{run.shard[1]}" if run.shard else ""
        out.print(f"No registrations{shard}: nothing to do.")
        return
    tenants = {item.prepared.tenant_id for item in run.items if item.prepared is not None}
    tenants |= {p.planned.tenant_id for p in run.provisions if p.planned is not None}
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for column in (
        "#",
        "portal",
        "name",
        *(("tenant",) if len(tenants) > 1 else ()),
        "status",
        "app ID",
        "result",
    ):
        table.add_column(column)
    rows: list[tuple[int, tuple[str, ...]]] = []
    for item in run.items:
        status = item.status(run.plan_only)
        outcome = item.outcome
        prepared = item.prepared
        app_id = ""
        if outcome is not None and outcome.result is not None:
            app_id = outcome.result.app_id
        elif prepared is not None and prepared.plan.current is not None:
            app_id = prepared.plan.current.app_id
        if item.error is not None:
            result = item.error.message
        elif prepared is not None and prepared.plan.has_changes:
            c = prepared.plan.counts
            verb = ("to add", "to change", "to remove") if run.plan_only else ("added", "changed", "removed")
            result = f"{c['create']} {verb[0]}, {c['update']} {verb[1]}, {c['delete']} {verb[2]}"
        else:
            result = "as the portal needs it"
        tenant = (
            (prepared.tenant_id if prepared else item.entry.options.tenant or "")
            if len(tenants) > 1
            else None
        )
        rows.append(
            (
                item.entry.index,
                (
                    str(item.entry.index),
                    escape(item.portal.name),
                    escape(item.spec.display_name),
                    *((escape(tenant),) if tenant is not None else ()),
                    f"[{STATUS_STYLE[status]}]{status}[/]",
                    app_id,
                    escape(result),
                ),
            )
        )
    rows += [
        (p.entry.index, _provision_row(p, run.plan_only, many_tenants=len(tenants) > 1))
        for p in run.provisions
    ]
    for _, row in sorted(rows, key=lambda r: r[0]):
        table.add_row(*row)
    out.print()
    out.print(table)
    failures = [(_who(i), i.error) for i in run.items] + [
        (_provision_who(p), p.error) for p in run.provisions
    ]
    for who, error in failures:
        if error is not None:
            err.print(f"[bold red]error:[/] {escape(who)}: {escape(str(error))}")
            if error.hint:
                err.print(f"[hint]hint:[/] {escape(error.hint)}")
    statuses = [item.status(run.plan_only) for item in run.every]
    if run.plan_only:
        out.print(
            f"\n--plan: nothing was changed. {statuses.count('changes')} to change, "
            f"{statuses.count('unchanged')} unchanged, {statuses.count('failed')} cannot be read. "
            "Run without --plan to apply."
        )
        return
    summary = f"{statuses.count('ok')} applied, {statuses.count('unchanged')} unchanged, {statuses.count('failed')} failed."
    if run.failed:
        out.print(f"\n[bold red]Apply finished with failures:[/] {summary} Running it again is safe.")
    else:
        out.print(f"\n[bold green]Apply complete![/] {summary}")
    sandbox = any(item.prepared.sandbox for item in run.items if item.prepared is not None)
    register = command_for("azure register", "P", name=None, sandbox=sandbox, extra=["[--name N]", "--plan"])
    out.print(f"Each portal's remaining steps: `{escape(register)}`, or this run with -o json (nextSteps).")


def _provision_row(pitem: ProvisionItem, plan_only: bool, *, many_tenants: bool) -> tuple[str, ...]:
    """A federated-directory entry's summary row: the enterprise app's appId, its steps' counts."""
    status = pitem.status(plan_only)
    shown = pitem.outcome or pitem.planned
    app_id = shown.app.app_id if shown is not None and shown.app is not None else ""
    if pitem.error is not None:
        result = pitem.error.message
    elif shown is not None and shown.has_changes:
        count = sum(1 for step in shown.steps for c in step.changes if c.action.value != "none")
        result = f"{count} provisioning step(s) " + ("to apply" if plan_only else "applied")
    else:
        result = "provisioning set up and running"
    tenant = (shown.tenant_id if shown else pitem.entry.options.tenant or "") if many_tenants else None
    return (
        str(pitem.entry.index),
        fd.NAME,
        escape(fd.ENTERPRISE_APP),
        *((escape(tenant),) if tenant is not None else ()),
        f"[{STATUS_STYLE[status]}]{status}[/]",
        app_id,
        escape(result),
    )


def _provision_entry_document(pitem: ProvisionItem, plan_only: bool) -> dict[str, Any]:
    """`azure provision`'s document (or, never read, what the file says), plus name, line, status."""
    shown = pitem.outcome or pitem.planned
    if shown is not None:
        doc = provision_document(shown)
    else:
        doc = {"portal": fd.NAME, "tenantId": pitem.entry.options.tenant, "applied": False, "changes": []}
    doc = {"formatVersion": JSON_FORMAT_VERSION, **doc}
    doc["jobStatus"] = doc.pop("status", None)  # "status" is the entry's, as for registrations
    doc["name"] = fd.ENTERPRISE_APP
    doc["line"] = pitem.entry.line
    doc["status"] = pitem.status(plan_only)
    if pitem.error is not None:
        doc["error"] = error_document(pitem.error)["error"]
    return doc


def apply_document(run: ApplyRun) -> dict[str, Any]:
    """`{"registrations": [one register document each, in file order, + name, status, error], "failed"}`."""
    registrations: list[dict[str, Any]] = []
    for item in run.items:
        outcome = item.outcome or (item.prepared.outcome() if item.prepared is not None else None)
        if outcome is not None:
            doc = register_document(outcome, show_secret=False)
        else:  # never read: what the file says about it
            doc = {
                "formatVersion": JSON_FORMAT_VERSION,
                "portal": item.portal.name,
                "displayName": item.spec.display_name,
                "uniqueName": item.spec.unique_name,
                "tenantId": item.entry.options.tenant,
                "appId": None,
                "objectId": None,
                "applied": False,
                "changes": [],
                "secret": None,
                "nextSteps": [],
                "reminders": [],
                "warnings": [],
            }
        doc["name"] = item.spec.display_name
        doc["line"] = item.entry.line
        doc["status"] = item.status(run.plan_only)
        if item.error is not None:
            doc["error"] = error_document(item.error)["error"]
        registrations.append(doc)
    registrations += [_provision_entry_document(p, run.plan_only) for p in run.provisions]
    registrations.sort(key=lambda doc: int(doc["line"]))
    return {
        "formatVersion": JSON_FORMAT_VERSION,
        "file": str(run.file.path),
        "plan": run.plan_only,
        "shard": f"{run.shard[0]}/{run.shard[1]}" if run.shard else None,
        "registrations": registrations,
        "failed": run.failed,
    }

"""Portal profiles for people (tables) and scripts (JSON, including the exact Graph body)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from ssoctl.graph.mapping import application_body
from ssoctl.plan import FIELDS
from ssoctl.portals.base import Portal
from ssoctl.spec import AppSpec
from ssoctl.views.console import stdout_console
from ssoctl.views.json_view import dump


def portal_document(portal: Portal, spec: AppSpec) -> dict[str, Any]:
    return {
        "name": portal.name,
        "title": portal.title,
        "summary": portal.summary,
        "guide": portal.guide,
        "uniqueName": spec.unique_name,
        "application": application_body(spec, None)
        | ({"identifierUris": ["api://{appId}"]} if spec.expose_api else {}),
        "clientSecret": {"defaultDays": spec.secret_days, "stores": list(portal.stores)},
        "troubleshooting": list(portal.troubleshooting),
    }


def print_portal_list(portals: list[Portal], *, as_json: bool) -> None:
    if as_json:
        dump({"portals": [{"name": p.name, "title": p.title, "summary": p.summary} for p in portals]})
        return
    table = Table("portal", "what it sets up", box=None, header_style="bold")
    for portal in portals:
        table.add_row(portal.name, escape(portal.summary))
    stdout_console().print(table)


def print_portal(portal: Portal, spec: AppSpec, *, as_json: bool) -> None:
    if as_json:
        dump(portal_document(portal, spec))
        return
    out = stdout_console()
    out.print(f"[bold]{escape(portal.title)}[/] — {escape(portal.summary)}")
    out.print(f"Guide: {escape(portal.guide)}\n")
    table = Table("setting", "value", box=None, header_style="bold")
    table.columns[1].overflow = "fold"  # never cut a redirect URI short: it must be exact
    table.add_row("uniqueName", spec.unique_name)
    for field in FIELDS:
        if field.applies(spec):
            table.add_row(field.target, escape(field.desired(spec, None)))
    table.add_row("passwordCredentials", f"one client secret, {spec.secret_days} days (--secret-days 1..730)")
    table.add_row("stores", ", ".join(portal.stores))
    out.print(table)
    if portal.troubleshooting:
        out.print("\n[bold]Troubleshooting[/]")
        for line in portal.troubleshooting:
            out.print(f"  • {escape(line)}")

"""Portal profiles for people (tables) and scripts (JSON, including the exact Graph body)."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ssoctl.graph.mapping import application_body
from ssoctl.portals import federated_directory as fd
from ssoctl.portals.base import Portal
from ssoctl.portals.graph_permissions import api_name
from ssoctl.resources.application import FIELDS
from ssoctl.resources.consent import app_roles, delegated_scopes
from ssoctl.spec import AppSpec
from ssoctl.views.console import Consoles, print_rows
from ssoctl.views.json_view import dump


def _display_body(spec: AppSpec) -> dict[str, Any]:
    """The Graph body register will send; a permission still named shows where its id comes from."""
    body = application_body(dataclasses.replace(spec, unresolved=()), None)
    if spec.identifier_uri_template:
        body["identifierUris"] = list(spec.identifier_uris(None))
    for name in spec.unresolved:
        api = f"{{appId of {name.api}}}"
        entry = {"id": f"{{id of {name.value} in {name.api}}}", "type": name.type}
        rra = next((r for r in body["requiredResourceAccess"] if r["resourceAppId"] == api), None)
        if rra is None:
            body["requiredResourceAccess"].append({"resourceAppId": api, "resourceAccess": [entry]})
        else:
            rra["resourceAccess"].append(entry)
    return body


def portal_document(portal: Portal, spec: AppSpec) -> dict[str, Any]:
    return {
        "name": portal.name,
        "title": portal.title,
        "summary": portal.summary,
        "guide": portal.guide,
        "origin": portal.origin,
        "uniqueName": spec.unique_name,
        "application": _display_body(spec),
        "clientSecret": {"defaultDays": spec.secret_days, "stores": list(portal.stores)},
        "adminConsent": _consent_document(spec),
        "troubleshooting": list(portal.troubleshooting),
    }


def _consent_document(spec: AppSpec) -> dict[str, Any] | None:
    """The consent objects register creates: Graph's shapes, with placeholders for new IDs."""
    if not spec.admin_consent:
        return None
    return {
        "servicePrincipal": {"appId": "{appId}"},
        "oauth2PermissionGrants": [
            {
                "clientId": "{servicePrincipalId}",
                "consentType": "AllPrincipals",
                "resourceId": f"{{servicePrincipalId of {api_name(api)} ({api})}}",
                "scope": " ".join(scopes),
            }
            for api, scopes in delegated_scopes(spec).items()
        ],
        "appRoleAssignments": [
            {
                "principalId": "{servicePrincipalId}",
                "resourceId": f"{{servicePrincipalId of {api_name(role.resource_app_id)} ({role.resource_app_id})}}",
                "appRoleId": role.id,
                "permission": role.name,
            }
            for role in app_roles(spec)
        ],
    }


def _consent_rows(spec: AppSpec) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if not spec.admin_consent:
        return rows
    rows.append(("servicePrincipal", "the app's enterprise application (created if missing)"))
    for api, scopes in delegated_scopes(spec).items():
        rows.append(
            ("oauth2PermissionGrant", f"{api_name(api)}: {' '.join(scopes)} for all users (AllPrincipals)")
        )
    for role in app_roles(spec):
        rows.append(
            ("appRoleAssignment", f"{api_name(role.resource_app_id)}: {role.name} (application permission)")
        )
    return rows


PROVISION_COMMAND = f"ssoctl azure provision --portal {fd.NAME}"
FD_SUMMARY = (
    f"{fd.TITLE}: user provisioning (SCIM) from Entra; sign-in goes through {fd.TITLE}'s own "
    f"Microsoft app, so no app registration — set up with `{PROVISION_COMMAND}` "
    f"(`ssoctl azure register --portal {fd.NAME}` shows the sign-in steps)"
)


def print_portal_list(portals: list[Portal], consoles: Consoles, *, as_json: bool) -> None:
    """The app-registration profiles, then Federated Directory (provisioning, not a `Portal` profile)."""
    if as_json:
        listed: list[dict[str, Any]] = [
            {
                "name": p.name,
                "title": p.title,
                "summary": p.summary,
                "origin": p.origin,
                "kind": "app-registration",
            }
            for p in portals
        ]
        listed.append(
            {
                "name": fd.NAME,
                "title": fd.TITLE,
                "summary": FD_SUMMARY,
                "origin": "built-in",
                "kind": "provisioning",
                "command": PROVISION_COMMAND,
            }
        )
        dump({"portals": listed}, consoles.out_stream)
        return
    table = Table("portal", "what it sets up", "profile", box=None, header_style="bold")
    for portal in portals:
        table.add_row(portal.name, escape(portal.summary), escape(portal.origin))
    table.add_row(fd.NAME, escape(FD_SUMMARY), "built-in")
    consoles.out().print(table)


def print_portal(portal: Portal, spec: AppSpec, consoles: Consoles, *, as_json: bool) -> None:
    if as_json:
        dump(portal_document(portal, spec), consoles.out_stream)
        return
    out = consoles.out()
    out.print(f"[bold]{escape(portal.title)}[/] — {escape(portal.summary)}")
    out.print(f"Guide: {escape(portal.guide)}")
    out.print(f"Profile: {escape(portal.origin)}\n")
    rows: list[tuple[str, str]] = [("uniqueName", spec.unique_name)]
    rows += [(f.target, f.desired(spec, None)) for f in FIELDS if f.applies(spec)]
    rows.append(("passwordCredentials", f"one client secret, {spec.secret_days} days (--secret-days 1..730)"))
    rows += _consent_rows(spec)
    if portal.needs_okta_org:
        rows.append(("--okta-org", "required: your Okta org's base URL (fills the redirect URI)"))
    if portal.redirect_uri_from_portal:
        rows.append(("--redirect-uri", f"required: copy it from {portal.redirect_uri_from_portal}"))
    if portal.shows_discovery_url:
        rows.append(
            ("discoveryUrl", "{login}/{tenantId}/v2.0/.well-known/openid-configuration (printed by register)")
        )
    rows.append(("stores", ", ".join(portal.stores)))
    # Rows, not a Rich table: a table folds a long value mid-word, and a redirect URI broken
    # across lines no longer copies whole. These wrap at spaces only.
    width = max(len(target) for target, _ in rows)
    out.print(Text(f"{'setting':<{width}}  value", style="bold"))
    print_rows(out, [(Text(f"{target:<{width}}  "), Text(value)) for target, value in rows])
    if portal.troubleshooting:
        out.print("\n[bold]Troubleshooting[/]")
        print_rows(out, [(Text("  • "), Text(line)) for line in portal.troubleshooting])

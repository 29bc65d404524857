"""`ssoctl azure status --portal NAME [--name N]`: is one registration healthy? Reads only.

Healthy means: ssoctl knows the registration in this tenant, its application exists, `register`
would change nothing (no drift in the app or its consent, the stored secret is on the app and in
its store), and that secret is valid for more than `--within` days (30). Anything else is exit 8
with the exact command that fixes it. The plan is the one `register` makes (same reads, same
diff), so `changes` reads exactly like register's JSON.
"""

from __future__ import annotations

import secrets as random_tokens
from dataclasses import dataclass, field

from ssoctl.credential_health import CredentialHealth, assess, check_days
from ssoctl.deps import Deps
from ssoctl.errors import EXIT_ATTENTION, EXIT_OK, UsageError
from ssoctl.graph.api import CREDENTIAL_SELECT
from ssoctl.plan import NO_STORE, Change, SecretStatus, diff
from ssoctl.portals import find_portal
from ssoctl.resources import application, read_around
from ssoctl.resources.base import Action
from ssoctl.resources.permission_names import resolve as resolve_permission_names
from ssoctl.spec import check_display_name
from ssoctl.state import StateFile

from .hints import command_for, hint_store, rotate_command
from .lifecycle import find_target, load_held, spec_for
from .session import graph_session


@dataclass
class RegistrationStatus:
    portal: str
    name: str
    tenant_id: str
    sandbox: bool
    within: int
    app_id: str | None = None
    changes: list[Change] = field(default_factory=list)
    secrets: list[CredentialHealth] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    rotate: str = ""  # the exact rotate command for this registration

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.healthy else EXIT_ATTENTION


def read_registration_status(
    deps: Deps,
    *,
    portal: str,
    name: str | None,
    within: int,
    tenant: str | None,
    sandbox: bool,
    cloud: str | None,
) -> RegistrationStatus:
    check_days(within, "--within", example=30)
    check_display_name(name)
    profile = find_portal(portal, home=deps.home)
    state = StateFile(deps.home)
    with graph_session(deps, sandbox=sandbox, tenant=tenant, cloud=cloud) as session:
        tenant_id = session.tenant_id
        result = RegistrationStatus(profile.name, name or profile.name, tenant_id, session.sandbox, within)
        register = command_for(
            "azure register", profile.name, name=name, sandbox=session.sandbox,
            tenant=tenant_id if session.requested_tenant else None,
        )  # fmt: skip
        try:
            target = find_target(state, profile, name, session)
        except UsageError as missing:
            result.problems.append(missing.message)
            result.fixes.append(f"register it: {register}")
            return result
        record = target.record
        result.name = record.display_name
        app = application.read(session.graph, spec_for(profile, record, None), record)
        if app is None:
            result.problems.append(
                f"the app registration {record.unique_name} no longer exists in tenant {tenant_id}"
            )
            result.fixes.append(f"register it again: {register}")
            return result
        result.app_id = app.app_id
        # permissions by name (a remembered --permission ssoctl does not know by heart), as register does
        spec = resolve_permission_names(spec_for(profile, record, app), session.graph)
        view = read_around(session.graph, spec, app, record)
        held = record.secret
        creds, why_not = load_held(deps, target)
        in_store = held is not None and (
            held.store == NO_STORE or (creds is not None and creds.client_id == app.app_id)
        )
        plan = diff(
            spec,
            view,
            SecretStatus(held, in_store, record.replaced),
            store=held.store if held else NO_STORE,
            now=deps.clock(),
            tag=random_tokens.token_hex(3),
        )
        result.changes = list(plan.changes)
        expected = [e for e in [application.expectation(record)] if e is not None]
        credentials = session.graph.list_applications(CREDENTIAL_SELECT, [app.app_id], expected)
    now = deps.clock()
    result.secrets = assess(credentials, [record], tenant_id=tenant_id, now=now, within=within)
    rotate = result.rotate = rotate_command(record, sandbox=result.sandbox, home=deps.home)
    repair = command_for(
        "azure register", profile.name, name=record.display_name, sandbox=result.sandbox,
        tenant=None if result.sandbox else tenant_id, store=hint_store(held.store if held else None, deps.home),
    )  # fmt: skip
    drift = [c for c in plan.changes if c.action is not Action.NONE]
    if drift:
        result.problems.append(f"{len(drift)} change(s) pending: " + "; ".join(c.detail for c in drift))
        result.fixes.append(f"repair: {repair}")
    if held is not None and held.store != NO_STORE and not in_store:
        result.problems.append(why_not or f"{held.store} does not hold the app's secret")
    stored = next((s for s in result.secrets if held and s.key_id == held.key_id.lower()), None)
    if stored is not None and stored.status in ("expiring", "expired"):
        when = "expired" if stored.status == "expired" else f"expires in {stored.days_left} day(s)"
        result.problems.append(f"the stored client secret {stored.key_id} {when}")
        result.fixes.append(f"rotate it: {rotate}")
    return result


def status_document(result: RegistrationStatus) -> dict[str, object]:
    """INTERFACE.md: {"portal", "name", "tenantId", "appId", "healthy", "changes", "secrets"}."""
    from ssoctl.credential_health import to_json

    def command(row: CredentialHealth) -> str | None:
        return result.rotate if row.kind == "secret" and row.registration is not None else None

    return {
        "portal": result.portal,
        "name": result.name,
        "tenantId": result.tenant_id,
        "appId": result.app_id,
        "healthy": result.healthy,
        "changes": [c.to_json() for c in result.changes],
        "secrets": [to_json(s, command=command) for s in result.secrets],
        "problems": result.problems,
        "fixes": result.fixes,
    }

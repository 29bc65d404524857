"""`ssoctl azure verify`: prove a registration works from Entra's side, one line per check.

The CLI's half of a portal's "Verify Integration":
- token: a client-credentials token request with the stored secret at the tenant's token
  endpoint (what the portal does with the pasted secret; AADSTS7000215/7000222 caught here);
- settings: the app's settings against the portal profile (the plan's application changes);
- consent: the service principal, grants and assignments, where the portal needs admin consent;
- metadata: the tenant's OpenID Connect metadata document is reachable and names the tenant.

A check is `pass`, `fail`, `not-verified` (it could not be carried out: say why) or `skip` (the
portal does not need it). Only pass and skip are good: anything else is exit 8.
"""

from __future__ import annotations

import secrets as random_tokens
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from ssoctl.config import env_flag
from ssoctl.deps import Deps
from ssoctl.graph.mapping import AppState
from ssoctl.graph.token_check import (
    APP_NOT_FOUND,
    EXPIRED_SECRET,
    NEW_SECRET,
    NO_SERVICE_PRINCIPAL,
    TokenResult,
    fetch_metadata,
    retry_budget,
)
from ssoctl.plan import NO_STORE, SecretStatus, diff
from ssoctl.portals import find_portal
from ssoctl.resources import application, read_around
from ssoctl.resources.base import APPLICATION, PASSWORD, Action
from ssoctl.resources.permission_names import resolve as resolve_permission_names
from ssoctl.secrets import Reminder, due_reminders
from ssoctl.spec import check_display_name
from ssoctl.state import StateFile

from .lifecycle import Target, check_token, find_target, load_held, spec_for, store_hint
from .session import GraphSession, graph_session

Status = Literal["pass", "fail", "not-verified", "skip"]
GOOD: tuple[Status, ...] = ("pass", "skip")
# A secret that started this recently may not have reached every Entra replica yet.
FRESH_SECRET = timedelta(minutes=10)


@dataclass(frozen=True)
class Check:
    name: str  # token, settings, consent, metadata
    status: Status
    detail: str
    hint: str = ""

    def to_json(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status, "detail": self.detail, "hint": self.hint}


@dataclass
class VerifyOutcome:
    target: Target
    tenant_id: str
    app_id: str
    checks: list[Check] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return all(c.status in GOOD for c in self.checks)


def describe_refusal(result: TokenResult, app_id: str, tenant_id: str) -> tuple[Status, str]:
    """A token endpoint refusal in words: whether the secret is at fault, or nothing could be proven."""
    code = f"AADSTS{result.code}" if result.code else result.error
    if result.code == NEW_SECRET:
        waited = f" (still refused after {result.waited:.0f} s of retrying)" if result.waited else ""
        return (
            "fail",
            f"Entra refused the stored secret{waited}: {code}, not a current secret of app {app_id}",
        )
    if result.code == EXPIRED_SECRET:
        return "fail", f"Entra refused the stored secret: {code}, it has expired"
    if result.code == APP_NOT_FOUND:
        return "fail", f"Entra knows no app {app_id} in tenant {tenant_id}: {code}"
    if result.code == NO_SERVICE_PRINCIPAL:
        return "not-verified", (
            f"Entra issues app {app_id} no token because it has no enterprise application (service "
            f"principal) in this tenant yet ({code}); it appears when a user first signs in through the "
            "portal, after which the secret can be checked"
        )
    return "fail", f"Entra refused the token request: {code}: {result.message}"


def token_check(deps: Deps, session: GraphSession, target: Target, app: AppState) -> Check:
    creds, why = load_held(deps, target)
    held_store = target.record.secret.store if target.record.secret else None
    rotate = target.command("secrets rotate", store=store_hint(deps, held_store))
    if creds is None:
        return Check("token", "not-verified", why, f"make a new one that ssoctl keeps: {rotate}")
    if creds.client_id.lower() != app.app_id.lower():
        return Check(
            "token",
            "fail",
            f"the stored client ID {creds.client_id} is not this app's ({app.app_id})",
            f"store a matching secret: {rotate}",
        )
    if not creds.client_secret.reveal():
        return Check(
            "token",
            "not-verified",
            f"{held_store} holds the client ID {creds.client_id}, but a portal's API never shows a "
            "secret back, so ssoctl cannot request a token with it",
            f"use the portal's own test of the identity provider; a rotation proves the new secret as it "
            f"writes it: {rotate}",
        )
    held = target.record.secret
    on_app = app.password(held.key_id) if held else None
    now = deps.clock()
    fresh = bool(on_app and on_app.start and now - on_app.start < FRESH_SECRET)
    result = check_token(deps, session.token_endpoint, creds, fresh=fresh)
    if result.ok:
        key = f"client secret {held.key_id} " if held else ""
        return Check("token", "pass", f"Entra issued a token for the stored {key}at {session.token_endpoint}")
    if result.outcome == "unreachable":
        return Check(
            "token",
            "not-verified",
            f"the token endpoint could not be reached, so nothing was proven: {result.message}",
            "check the network (or AZURE_AUTHORITY_HOST) and run it again",
        )
    status, detail = describe_refusal(result, app.app_id, target.record.tenant_id)
    hint = "" if status == "not-verified" else f"make and store a new secret: {rotate}"
    return Check("token", status, detail, hint)


def plan_checks(target: Target, session: GraphSession, app: AppState, now: datetime) -> list[Check]:
    """Settings drift and consent, from the same plan `register` would make (reads only)."""
    # permissions by name (a remembered --permission ssoctl does not know by heart), as register does
    spec = resolve_permission_names(spec_for(target.portal, target.record, app), session.graph)
    view = read_around(session.graph, spec, app, target.record)
    held = target.record.secret
    status = SecretStatus(held, True, target.record.replaced)
    plan = diff(
        spec, view, status, store=held.store if held else NO_STORE, now=now, tag=random_tokens.token_hex(3)
    )
    repair = target.command("azure register", extra=_redirects(spec.redirect_uris, target))
    drift = [
        c.detail
        for s in plan.steps
        if s.resource == APPLICATION
        for c in s.changes
        if c.action is not Action.NONE
    ]
    checks = [
        Check("settings", "fail", "drift from the portal profile: " + "; ".join(drift), f"repair: {repair}")
        if drift
        else Check("settings", "pass", f"the app matches the {target.portal.name} profile")
    ]
    if not spec.admin_consent:
        checks.append(
            Check(
                "consent", "skip", f"{target.portal.name} needs no admin consent (users consent at sign-in)"
            )
        )
        return checks
    missing = [
        c.detail
        for s in plan.steps
        if s.resource not in (APPLICATION, PASSWORD)
        for c in s.changes
        if c.action is not Action.NONE
    ]
    checks.append(
        Check("consent", "fail", "admin consent is not complete: " + "; ".join(missing), f"repair: {repair}")
        if missing
        else Check("consent", "pass", "admin consent granted (service principal, grants, app roles)")
    )
    return checks


def _redirects(uris: tuple[str, ...], target: Target) -> tuple[str, ...]:
    import shlex

    extra = [u for u in uris if u not in target.portal.redirect_uris]
    return tuple(part for u in extra for part in ("--redirect-uri", shlex.quote(u)))


def metadata_check(session: GraphSession, tenant_id: str) -> Check:
    url = session.discovery_url
    ok, detail = fetch_metadata(url, tenant_id)
    if ok:
        return Check("metadata", "pass", f"OpenID Connect metadata at {url} (issuer {detail})")
    if ok is None:
        return Check("metadata", "not-verified", f"{url} could not be fetched: {detail}")
    return Check("metadata", "fail", detail)


def run_verify(
    deps: Deps, *, portal: str, name: str | None, tenant: str | None, sandbox: bool, cloud: str | None = None
) -> VerifyOutcome:
    check_display_name(name)
    retry_budget(deps.env)  # SSOCTL_VERIFY_WAIT: bad input before any request
    profile = find_portal(portal, home=deps.home)
    state = StateFile(deps.home)
    with graph_session(deps, sandbox=sandbox, tenant=tenant, cloud=cloud) as session:
        tenant_id = session.tenant_id
        target = find_target(state, profile, name, session)
        raw = application.read(session.graph, spec_for(profile, target.record, None), target.record)
        outcome = VerifyOutcome(target, tenant_id, raw.app_id if raw else target.record.app_id)
        if raw is None:
            outcome.checks.append(
                Check(
                    "settings",
                    "fail",
                    f"the app {target.record.unique_name} no longer exists in tenant {tenant_id}",
                    f"register it again: {target.command('azure register')}",
                )
            )
            return outcome
        outcome.checks.append(token_check(deps, session, target, raw))
        outcome.checks += plan_checks(target, session, raw, deps.clock())
        outcome.checks.append(metadata_check(session, tenant_id))
        if not env_flag(deps.env, "SSOCTL_NO_REMINDERS"):
            outcome.reminders = due_reminders([target.record], deps.clock())
        return outcome

"""`ssoctl azure unregister --portal NAME [--name N] [--yes]`: take a registration away again.

Plan, confirm, then: delete the application (Entra deletes its service principal with it, and the
service principal's delegated grants and app role assignments go with that), check that the
service principal really is gone, delete the stored secret from its store (an env file keeps its
other lines) and remove the state.json record. Nothing else in the tenant changes. A second run
finds nothing to do: exit 0 without a mutating request.

A secret kept in a portal's identity provider (`--store pingone` / `okta`) stays there unless the
user says so: at a terminal unregister asks, without one it takes `--remove-provider`. Then the
provider is deleted after the app (PingOne: DELETE; Okta: deactivate, then DELETE).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Protocol

from ssoctl.credentials import CredentialRef
from ssoctl.deps import Deps
from ssoctl.errors import StoreError
from ssoctl.graph.mapping import AppState
from ssoctl.plan import NO_STORE, Change
from ssoctl.portals import find_portal
from ssoctl.preflight import Need, preflight
from ssoctl.resources import application
from ssoctl.resources.base import APPLICATION, IDENTITY_PROVIDER, PASSWORD, Action
from ssoctl.spec import check_display_name, env_prefix
from ssoctl.state import Registration, StateFile, exclusive_run
from ssoctl.stores import parse_store
from ssoctl.stores.portal_api import PortalApiStore, ProviderOptions

from .confirm import confirm_change
from .lifecycle import open_location, spec_for
from .session import graph_session

STATE = "state.json"


@dataclass
class UnregisterOutcome:
    portal: str
    name: str
    tenant_id: str
    sandbox: bool
    app_id: str | None = None
    changes: list[Change] = field(default_factory=list)
    applied: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return any(c.action is not Action.NONE for c in self.changes)


class UnregisterUI(Protocol):
    """What unregister needs from the terminal while it runs."""

    def show_plan(self, outcome: UnregisterOutcome) -> None: ...

    def confirm(self, question: str) -> bool: ...


def provider_of(record: Registration | None) -> tuple[str, str] | None:
    """(location, provider id) when the registration's secret lives in a portal's identity provider."""
    held = record.secret if record else None
    if held is None or held.store.split(":")[0] not in ("pingone", "okta") or "/" not in held.store:
        return None
    idp_id = held.store.rsplit("/", 1)[1]
    return (held.store, idp_id) if idp_id and idp_id != "(new)" else None


def _plan(
    record: Registration | None, app: AppState | None, tenant_id: str, remove_provider: bool = False
) -> list[Change]:
    changes: list[Change] = []
    if app is not None:
        recorded = record.resources if record else {}
        consent = sum(len(v) for k, v in recorded.items() if k != "servicePrincipal")
        also = "its enterprise app (service principal)" + (
            f" and the {consent} grant(s)/assignment(s) ssoctl made for it" if consent else ""
        )
        changes.append(
            Change(
                APPLICATION,
                Action.DELETE,
                "application",
                f"{app.display_name} (appId {app.app_id}) in tenant {tenant_id}, with {also}",
                before=app.app_id,
            )
        )
    held = record.secret if record else None
    provider = provider_of(record)
    if provider is not None:
        location, idp_id = provider
        changes.append(
            Change(
                IDENTITY_PROVIDER, Action.DELETE, location, f"the identity provider {idp_id} in {location}"
            )
            if remove_provider
            else Change(
                IDENTITY_PROVIDER,
                Action.NONE,
                location,
                f"the identity provider {idp_id} in {location} stays (--remove-provider deletes it too)",
            )
        )
    elif held is not None and held.store != NO_STORE:
        changes.append(
            Change(
                PASSWORD, Action.DELETE, held.store, f"the client ID and secret {held.key_id} in {held.store}"
            )
        )
    if record is not None:
        changes.append(Change("state", Action.DELETE, STATE, f"ssoctl's record of {record.display_name}"))
    return changes


def run_unregister(
    deps: Deps,
    ui: UnregisterUI,
    *,
    portal: str,
    name: str | None,
    yes: bool,
    tenant: str | None,
    sandbox: bool,
    cloud: str | None,
    remove_provider: bool = False,
    provider: ProviderOptions | None = None,
) -> UnregisterOutcome:
    check_display_name(name)
    profile = find_portal(portal, home=deps.home)
    state = StateFile(deps.home, sleep=deps.sleep)
    unique_name = profile.unique_name(name or profile.name)
    command = f"ssoctl azure unregister --portal {profile.name}"
    with (
        exclusive_run(deps.home, command=command, sleep=deps.sleep),
        graph_session(deps, sandbox=sandbox, tenant=tenant, cloud=cloud) as session,
    ):
        tenant_id = session.tenant_id
        record = state.get(tenant_id, unique_name)
        display = record.display_name if record else (name or profile.name)
        app = application.read(session.graph, spec_for(profile, record, None), record) if record else None
        if record is None:
            raw = session.graph.get_application(unique_name)
            app = AppState.from_json(raw) if raw else None
        outcome = UnregisterOutcome(profile.name, display, tenant_id, session.sandbox)
        outcome.app_id = app.app_id if app else (record.app_id if record else None)
        outcome.changes = _plan(record, app, tenant_id, remove_provider)
        if not outcome.has_changes:
            return outcome
        ui.show_plan(outcome)
        if app is not None:
            preflight(session.graph, (Need.APPS,))  # exit 4 before the first change
        if not yes:
            confirm_change(
                deps,
                ui.confirm,
                "Delete these?",
                what="delete from the tenant",
                yes=False,
                hint="review the plan above, then pass --yes",
            )
            where = provider_of(record)
            if (
                where
                and not remove_provider
                and ui.confirm(f"Also delete the identity provider in {where[0]}?")
            ):
                remove_provider = True
                outcome.changes = _plan(record, app, tenant_id, remove_provider)
        if app is not None:
            session.graph.delete_application(app.object_id)
            if session.graph.list_service_principals([app.app_id]):
                outcome.warnings.append(
                    f"the enterprise app of {app.app_id} is still listed (Entra may take a moment to "
                    "replicate the delete); check Enterprise applications in the Entra admin center"
                )
        outcome.applied = True
        if remove_provider and record is not None:
            _remove_provider(deps, record, outcome, provider or ProviderOptions(), sandbox=session.sandbox)
    if record is not None:
        _forget(deps, state, record, outcome)
    return outcome


def _remove_provider(
    deps: Deps, record: Registration, outcome: UnregisterOutcome, provider: ProviderOptions, *, sandbox: bool
) -> None:
    """Delete the portal's identity provider (the app is gone already, so it could not sign in)."""
    where = provider_of(record)
    if where is None:
        return
    location, idp_id = where
    spec = dataclasses.replace(
        parse_store(location), provider=dataclasses.replace(provider, idp_name=record.display_name)
    )
    store, _ = deps.open_store(spec, home=deps.home, sandbox=sandbox, env=deps.env)
    try:
        if isinstance(store, PortalApiStore) and not store.remove(idp_id):
            outcome.warnings.append(f"the identity provider {idp_id} was already gone from {location}")
    except StoreError as exc:
        outcome.warnings.append(f"{exc.message}; {exc.hint}" if exc.hint else exc.message)
    finally:
        if isinstance(store, PortalApiStore):
            store.close()


def _forget(deps: Deps, state: StateFile, record: Registration, outcome: UnregisterOutcome) -> None:
    """The stored secret (other lines of an env file stay), then the record."""
    held = record.secret
    if held is not None and held.store != NO_STORE:
        ref = CredentialRef(record.tenant_id, record.unique_name, env_prefix(record.display_name))
        try:
            store = open_location(deps, held.store)
            if store is not None:
                store.delete(ref)
        except StoreError as exc:
            # Keep the record: a second run finds the secret still to delete (and no app to).
            outcome.warnings.append(
                f"could not delete the secret from {held.store}: {exc.message}; run the command again"
            )
            return
    state.remove(record)

"""apply_plan: the only code that changes a tenant, in the order that keeps every secret held.

Order: write the application (upsert by uniqueName, idempotent) → set `api://{appId}` once the
appId exists → add the client secret → store it → record it in state.json → retire the secret it
replaces. If storing fails, the new secret is removed from the app again, so a secret exists in
exactly one place the user can reach, or the error says exactly where it is.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from ssoctl.credentials import CredentialRef, Credentials, IssuedSecret
from ssoctl.errors import GraphError, StoreError
from ssoctl.graph.api import GraphApi
from ssoctl.graph.mapping import AppState, application_body, graph_datetime, identifier_uri
from ssoctl.graph.retry import GraphOutcomeUnknown
from ssoctl.plan import Plan
from ssoctl.state import HeldSecret, Registration, StateFile
from ssoctl.stores.base import Store


@dataclass
class ApplyResult:
    """What apply did. `issued` carries the secret's text in memory only, for --show-secret."""

    object_id: str
    app_id: str
    issued: IssuedSecret | None = None
    stored_in: str | None = None
    warnings: list[str] = field(default_factory=list)


def _write_application(plan: Plan, graph: GraphApi) -> tuple[str, str]:
    """Upsert the app; on first creation also expose the API. Returns (objectId, appId)."""
    spec, current = plan.spec, plan.current
    if not plan.write_application:
        assert current is not None
        return current.object_id, current.app_id
    created = graph.upsert_application(
        spec.unique_name, application_body(spec, current.app_id if current else None)
    )
    if created is not None:
        object_id, app_id = created["id"], created["appId"]
        needs_uri = spec.expose_api
    elif current is not None:
        return current.object_id, current.app_id
    else:
        # It appeared between our read and our write (another run?): the upsert updated it.
        raw = graph.get_application(spec.unique_name)
        if raw is None:
            raise GraphError("the application vanished right after it was written", status=404)
        state = AppState.from_json(raw)
        object_id, app_id = state.object_id, state.app_id
        needs_uri = spec.expose_api and identifier_uri(app_id) not in state.identifier_uris
    if needs_uri:
        graph.update_application(object_id, {"identifierUris": [identifier_uri(app_id)]})
    return object_id, app_id


def _add_password(graph: GraphApi, object_id: str, unique_name: str, name: str, plan: Plan) -> IssuedSecret:
    """addPassword, and if Graph's answer left it open, remove any secret it may have made anyway."""
    assert plan.new_secret is not None
    try:
        return graph.add_password(object_id, name, plan.new_secret.end)
    except GraphOutcomeUnknown as exc:  # the client decides when Graph may have acted
        raw = graph.get_application(unique_name)
        leftovers = (
            [p.key_id for p in AppState.from_json(raw).passwords if p.display_name == name] if raw else []
        )
        for key_id in leftovers:
            graph.remove_password(object_id, key_id)
        raise GraphError(
            f"{exc.message}; adding the client secret may have half-happened, so ssoctl checked: "
            + (f"removed {len(leftovers)} unheld secret(s) again" if leftovers else "none was created"),
            status=exc.status,
            graph_code=exc.graph_code,
            request_id=exc.request_id,
            hint="nothing secret was left behind; run the same command again",
        ) from None


def _store_or_undo(
    graph: GraphApi,
    store: Store,
    ref: CredentialRef,
    creds: Credentials,
    object_id: str,
    issued: IssuedSecret,
) -> None:
    try:
        store.save(ref, creds)
    except KeyboardInterrupt:
        # Interrupted between Graph issuing the secret and the store holding it: take it back.
        with contextlib.suppress(GraphError):
            graph.remove_password(object_id, issued.key_id)
        raise
    except StoreError as exc:
        try:
            graph.remove_password(object_id, issued.key_id)
        except GraphError as undo:
            raise StoreError(
                f"{exc.message}; and removing the new client secret {issued.key_id} from the app failed too "
                f"({undo}). Nobody holds that secret: delete it in the Entra admin center → App registrations → "
                f"{creds.client_id} → Certificates & secrets",
                hint=exc.hint,
            ) from None
        raise StoreError(
            f"{exc.message}. The new client secret was removed from the app again; nothing was left behind",
            hint=exc.hint,
        ) from None


def apply_plan(
    plan: Plan,
    *,
    graph: GraphApi,
    store: Store | None,
    ref: CredentialRef,
    state: StateFile,
    open_store: Callable[[str], Store],
) -> ApplyResult:
    """Carry out `plan`. `store` None means `--store none`: the caller prints the secret once."""
    spec = plan.spec
    object_id, app_id = _write_application(plan, graph)
    previous = state.get(ref.tenant_id, spec.unique_name)
    registration = Registration(
        portal=spec.portal,
        display_name=spec.display_name,
        unique_name=spec.unique_name,
        tenant_id=ref.tenant_id,
        app_id=app_id,
        object_id=object_id,
        secret=previous.secret if previous and previous.app_id == app_id else None,
    )
    state.put(registration)
    result = ApplyResult(object_id=object_id, app_id=app_id)
    new = plan.new_secret
    if new is not None:
        issued = _add_password(graph, object_id, spec.unique_name, new.display_name, plan)
        creds = Credentials(client_id=app_id, tenant_id=ref.tenant_id, client_secret=issued.text)
        if store is not None:
            _store_or_undo(graph, store, ref, creds, object_id, issued)
        result.issued, result.stored_in = issued, new.store
        held = HeldSecret(
            key_id=issued.key_id,
            end=graph_datetime(issued.end),
            store=new.store,
            display_name=new.display_name,
        )
        registration = dataclasses.replace(registration, secret=held)
    state.put(dataclasses.replace(registration, replaced=plan.replaced))

    for old in plan.retire:
        if old.on_app:
            try:
                graph.remove_password(object_id, old.key_id)
            except GraphError as exc:
                result.warnings.append(f"could not remove the replaced client secret {old.key_id}: {exc}")
        if old.clear_store:
            try:
                open_store(old.clear_store).delete(ref)
            except StoreError as exc:
                result.warnings.append(
                    f"could not delete the replaced secret from {old.clear_store}: {exc.message}"
                )
    return result

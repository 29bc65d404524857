"""apply_plan's promises where the sandbox cannot reach: Graph acting and then failing, Ctrl-C.

`FakeGraph` is a small stateful tenant (GraphApi); tests assert on the state it ends in.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ssoctl.apply import apply_plan
from ssoctl.credentials import CredentialRef, Credentials, IssuedSecret, Secret
from ssoctl.errors import GraphError, StoreError
from ssoctl.graph.lag import Expected
from ssoctl.graph.mapping import AppState
from ssoctl.graph.retry import GraphOutcomeUnknown
from ssoctl.plan import SecretStatus, diff
from ssoctl.portals import PortalOptions, get_portal
from ssoctl.resources.current import TenantView
from ssoctl.state import StateFile

NOW = datetime(2026, 11, 22, tzinfo=UTC)
SPEC = get_portal("emnify").build_spec(PortalOptions())


@dataclass
class FakeGraph:
    apps: dict[str, dict[str, Any]] = field(default_factory=dict)  # by uniqueName
    fail_after_adding: bool = False  # addPassword acts, then the answer is lost (5xx, timeout)

    def _by_id(self, object_id: str) -> dict[str, Any]:
        return next(a for a in self.apps.values() if a["id"] == object_id)

    def tenant_id(self) -> str:
        return "tenant-1"

    def get_application(self, unique_name: str, expect: Expected | None = None) -> dict[str, Any] | None:
        return self.apps.get(unique_name)

    def upsert_application(self, unique_name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if unique_name in self.apps:
            self.apps[unique_name].update(body)
            return None
        app = {**body, "id": str(uuid.uuid4()), "appId": str(uuid.uuid4()), "passwordCredentials": []}
        self.apps[unique_name] = app
        return app

    def update_application(self, object_id: str, body: dict[str, Any]) -> None:
        self._by_id(object_id).update(body)

    def add_password(self, object_id: str, display_name: str, end: datetime) -> IssuedSecret:
        key_id = str(uuid.uuid4())
        self._by_id(object_id)["passwordCredentials"].append(
            {"keyId": key_id, "displayName": display_name, "endDateTime": end.strftime("%Y-%m-%dT%H:%M:%SZ")}
        )
        if self.fail_after_adding:
            raise GraphOutcomeUnknown("the service did not answer", status=503)
        return IssuedSecret(key_id, display_name, end, "abc", Secret("abc" + "x" * 37))

    def remove_password(self, object_id: str, key_id: str, *, fresh: bool = False) -> None:
        creds = self._by_id(object_id)["passwordCredentials"]
        creds[:] = [c for c in creds if c["keyId"] != key_id]

    def close(self) -> None:
        pass


@dataclass
class FakeStore:
    saved: dict[CredentialRef, Credentials] = field(default_factory=dict)
    interrupt: bool = False

    @property
    def location(self) -> str:
        return "keyring"

    def preflight(self, ref: CredentialRef) -> None:
        pass

    def save(self, ref: CredentialRef, creds: Credentials) -> None:
        if self.interrupt:
            raise KeyboardInterrupt
        self.saved[ref] = creds

    def load(self, ref: CredentialRef) -> Credentials | None:
        return self.saved.get(ref)

    def delete(self, ref: CredentialRef) -> None:
        self.saved.pop(ref, None)


def run(graph: FakeGraph, store: FakeStore, home: Path) -> None:
    raw = graph.get_application(SPEC.unique_name)
    plan = diff(
        SPEC,
        TenantView(AppState.from_json(raw) if raw else None),
        SecretStatus(None, False),
        store="keyring",
        now=NOW,
        tag="t1",
    )
    ref = CredentialRef("tenant-1", SPEC.unique_name, SPEC.env_prefix)

    def no_other_store(location: str) -> FakeStore:
        raise StoreError(location)

    apply_plan(plan, graph=graph, store=store, ref=ref, state=StateFile(home), open_store=no_other_store)


def test_fresh_apply_stores_exactly_one_secret(tmp_path: Path) -> None:
    graph, store = FakeGraph(), FakeStore()
    run(graph, store, tmp_path)
    (app,) = graph.apps.values()
    assert app["identifierUris"] == [f"api://{app['appId']}"]
    assert len(app["passwordCredentials"]) == 1 and len(store.saved) == 1


def test_lost_add_password_answer_leaves_no_unheld_secret(tmp_path: Path) -> None:
    graph, store = FakeGraph(fail_after_adding=True), FakeStore()
    with pytest.raises(GraphError) as err:
        run(graph, store, tmp_path)
    assert "removed 1 unheld secret" in err.value.message
    assert graph.apps[SPEC.unique_name]["passwordCredentials"] == [] and store.saved == {}


def test_interrupt_while_storing_takes_the_secret_back(tmp_path: Path) -> None:
    graph, store = FakeGraph(), FakeStore(interrupt=True)
    with pytest.raises(KeyboardInterrupt):
        run(graph, store, tmp_path)
    assert graph.apps[SPEC.unique_name]["passwordCredentials"] == []


# --- the resource model: PingOne's consent steps, in dependency order ------------------------

PINGONE = get_portal("pingone").build_spec(
    PortalOptions(redirect_uris=("https://sso.connect.pingidentity.com/sso/rp/callback/abc",))
)
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


@dataclass
class ConsentGraph(FakeGraph):
    """FakeGraph plus service principals, grants and app role assignments, with an event log."""

    sps: dict[str, dict[str, Any]] = field(default_factory=dict)  # by appId
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)
    assignments: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    grant_made_meanwhile: bool = False  # another run creates the grant between our read and write
    refuse_assignment: bool = False

    def __post_init__(self) -> None:
        self.sps[GRAPH_APP_ID] = {"id": "graph-sp", "appId": GRAPH_APP_ID, "displayName": "Microsoft Graph"}

    def upsert_application(self, unique_name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        self.events.append("application")
        return super().upsert_application(unique_name, body)

    def add_password(self, object_id: str, display_name: str, end: datetime) -> IssuedSecret:
        self.events.append("passwordCredential")
        return super().add_password(object_id, display_name, end)

    def list_service_principals(self, app_ids: list[str], expect: Sequence[str] = ()) -> list[dict[str, Any]]:
        return [sp for a, sp in self.sps.items() if a in app_ids]

    def upsert_service_principal(self, app_id: str, body: dict[str, Any]) -> dict[str, Any] | None:
        self.events.append("servicePrincipal")
        if app_id in self.sps:
            return None
        self.sps[app_id] = {"id": f"sp-{len(self.sps)}", "appId": app_id, **body}
        return self.sps[app_id]

    def get_service_principal(self, app_id: str) -> dict[str, Any] | None:
        return self.sps.get(app_id)

    def list_permission_grants(self, client_id: str) -> list[dict[str, Any]]:
        return [g for g in self.grants.values() if g["clientId"] == client_id]

    def _grant(self, body: dict[str, Any]) -> dict[str, Any]:
        grant = {**body, "id": f"grant-{len(self.grants) + 1}"}
        self.grants[grant["id"]] = grant
        return grant

    def create_permission_grant(self, body: dict[str, Any]) -> dict[str, Any]:
        self.events.append("oauth2PermissionGrant")
        if self.grant_made_meanwhile:
            self._grant({**body, "scope": "openid"})
        if any(
            g["clientId"] == body["clientId"] and g["resourceId"] == body["resourceId"]
            for g in self.grants.values()
        ):
            raise GraphError("exists", status=409, graph_code="Request_MultipleObjectsWithSameKeyValue")
        return self._grant(body)

    def update_permission_grant(self, grant_id: str, scope: str) -> None:
        self.grants[grant_id]["scope"] = scope

    def delete_permission_grant(self, grant_id: str) -> None:
        self.grants.pop(grant_id, None)

    def list_app_role_assignments(self, principal_id: str) -> list[dict[str, Any]]:
        return [a for a in self.assignments.values() if a["principalId"] == principal_id]

    def assign_app_role(self, resource_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self.events.append("appRoleAssignment")
        if self.refuse_assignment:
            raise GraphError("Insufficient privileges", status=403, graph_code="Authorization_RequestDenied")
        assignment = {**body, "id": f"assign-{len(self.assignments) + 1}"}
        self.assignments[assignment["id"]] = assignment
        return assignment

    def delete_app_role_assignment(self, resource_id: str, assignment_id: str) -> None:
        self.assignments.pop(assignment_id, None)


def run_pingone(graph: ConsentGraph, store: FakeStore, home: Path, concurrency: int = 4) -> None:
    from ssoctl.resources import read_current

    plan = diff(
        PINGONE, read_current(graph, PINGONE), SecretStatus(None, False), store="keyring", now=NOW, tag="t1"
    )
    ref = CredentialRef("tenant-1", PINGONE.unique_name, PINGONE.env_prefix)

    def no_other_store(location: str) -> FakeStore:
        raise StoreError(location)

    apply_plan(
        plan,
        graph=graph,
        store=store,
        ref=ref,
        state=StateFile(home),
        open_store=no_other_store,
        concurrency=concurrency,
    )


@pytest.mark.parametrize("concurrency", [1, 4])
def test_consent_steps_run_after_what_they_need(tmp_path: Path, concurrency: int) -> None:
    graph, store = ConsentGraph(), FakeStore()
    run_pingone(graph, store, tmp_path, concurrency)
    events = graph.events
    assert events[0] == "application"
    assert events.index("servicePrincipal") < events.index("oauth2PermissionGrant")
    assert events.index("servicePrincipal") < events.index("appRoleAssignment")
    assert sorted(events) == sorted(
        [
            "application",
            "passwordCredential",
            "servicePrincipal",
            "oauth2PermissionGrant",
            "appRoleAssignment",
        ]
    )
    (grant,) = graph.grants.values()
    assert grant["consentType"] == "AllPrincipals" and grant["scope"] == "User.Read"
    assert grant["resourceId"] == "graph-sp" and grant["clientId"] == graph.sps[grant_app_id(graph)]["id"]
    (assignment,) = graph.assignments.values()
    assert assignment["appRoleId"] == "5b567255-7703-4780-807c-7be8301ae99b"
    record = StateFile(tmp_path).all()[0]
    assert record.resources == {
        "appRoleAssignment": (assignment["id"],),
        "oauth2PermissionGrant": (grant["id"],),
        "servicePrincipal": (grant["clientId"],),
    }
    assert record.secret is not None and len(store.saved) == 1


def grant_app_id(graph: ConsentGraph) -> str:
    return next(a for a in graph.sps if a != GRAPH_APP_ID)


def test_a_grant_made_meanwhile_is_merged_not_duplicated(tmp_path: Path) -> None:
    graph = ConsentGraph(grant_made_meanwhile=True)
    run_pingone(graph, FakeStore(), tmp_path)
    (grant,) = graph.grants.values()
    assert grant["scope"] == "openid User.Read"


def test_a_refused_step_stops_later_ones_and_a_rerun_finishes(tmp_path: Path) -> None:
    graph, store = ConsentGraph(refuse_assignment=True), FakeStore()
    with pytest.raises(GraphError) as err:
        run_pingone(graph, store, tmp_path)
    assert err.value.status == 403
    # What was done stays done and recorded: app, secret (stored), service principal.
    record = StateFile(tmp_path).all()[0]
    assert record.secret is not None and "servicePrincipal" in record.resources and len(store.saved) == 1
    graph.refuse_assignment = False
    graph.events.clear()
    raw = graph.get_application(PINGONE.unique_name)
    from ssoctl.resources import read_current

    view = read_current(graph, PINGONE)
    held = SecretStatus(record.secret, in_store=True)
    plan = diff(PINGONE, view, held, store="keyring", now=NOW, tag="t2")
    assert [s.resource for s in plan.steps if s.has_work] == ["appRoleAssignment"], raw
    ref = CredentialRef("tenant-1", PINGONE.unique_name, PINGONE.env_prefix)
    apply_plan(plan, graph=graph, store=store, ref=ref, state=StateFile(tmp_path), open_store=lambda _: store)
    assert graph.events == ["appRoleAssignment"] and len(graph.assignments) == 1


@dataclass
class InterruptingGraph(ConsentGraph):
    """Ctrl-C twice (as `timeout -s INT` delivers it) while the service principal is being made."""

    def upsert_service_principal(self, app_id: str, body: dict[str, Any]) -> dict[str, Any] | None:
        import _thread
        import time

        for _ in range(2):
            _thread.interrupt_main()
            time.sleep(0.05)
        return super().upsert_service_principal(app_id, body)


def test_repeated_ctrl_c_still_records_every_finished_step(tmp_path: Path) -> None:
    graph, store = InterruptingGraph(), FakeStore()
    with pytest.raises(KeyboardInterrupt):
        run_pingone(graph, store, tmp_path)
    (record,) = StateFile(tmp_path).all()
    # The secret that was stored is known, and so is the service principal that was made.
    assert record.secret is not None and len(store.saved) == 1
    (password,) = graph.apps[PINGONE.unique_name]["passwordCredentials"]
    assert password["keyId"] == record.secret.key_id
    assert record.resources.get("servicePrincipal") == (graph.sps[grant_app_id(graph)]["id"],)


@dataclass
class CtrlCDuringApplicationGraph(ConsentGraph):
    """Ctrl-C once while the application (a lone, inline step) is being written."""

    def upsert_application(self, unique_name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        import _thread

        if not self.events:
            _thread.interrupt_main()
        return super().upsert_application(unique_name, body)


def test_ctrl_c_finishes_the_step_under_way_starts_no_other_and_a_rerun_converges(tmp_path: Path) -> None:
    graph, store = CtrlCDuringApplicationGraph(), FakeStore()
    with pytest.raises(KeyboardInterrupt):
        run_pingone(graph, store, tmp_path)
    # The application was written and recorded; nothing after it started.
    assert graph.events == ["application"]
    (record,) = StateFile(tmp_path).all()
    assert record.app_id == graph.apps[PINGONE.unique_name]["appId"] and record.secret is None
    run_pingone(graph, store, tmp_path)
    assert len(graph.apps[PINGONE.unique_name]["passwordCredentials"]) == 1 and len(store.saved) == 1
    assert len(graph.grants) == 1 and len(graph.assignments) == 1

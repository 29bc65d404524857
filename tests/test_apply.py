"""apply_plan's promises where the sandbox cannot reach: Graph acting and then failing, Ctrl-C.

`FakeGraph` is a small stateful tenant (GraphApi); tests assert on the state it ends in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ssoctl.apply import apply_plan
from ssoctl.credentials import CredentialRef, Credentials, IssuedSecret, Secret
from ssoctl.errors import GraphError, StoreError
from ssoctl.graph.mapping import AppState
from ssoctl.graph.retry import GraphOutcomeUnknown
from ssoctl.plan import SecretStatus, diff
from ssoctl.portals import PortalOptions, get_portal
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

    def get_application(self, unique_name: str) -> dict[str, Any] | None:
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

    def remove_password(self, object_id: str, key_id: str) -> None:
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
        AppState.from_json(raw) if raw else None,
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

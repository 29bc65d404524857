"""SdkGraph against the built-in sandbox tenant: the real SDK, real HTTP, Entra-like behaviour."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ssoctl.errors import EXIT_AUTH, GraphError
from ssoctl.graph.auth import GuardedCredential, StaticToken
from ssoctl.graph.client import SdkGraph
from tests.graph.conftest import Sleeps
from tests.support.emnify import GUIDE_BODY

sandbox = pytest.importorskip("ssoctl.sandbox")

BODY: dict[str, Any] = GUIDE_BODY


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Any]:
    server = sandbox.start_sandbox(tmp_path / "home")
    try:
        yield server
    finally:
        server.stop()


def _graph(srv: Any, sleeps: Sleeps, token: str | None = None, **kw: Any) -> SdkGraph:
    cred = GuardedCredential(StaticToken(token or srv.token), "SSOCTL_ACCESS_TOKEN")
    return SdkGraph(srv.url, cred, sleep=sleeps, **kw)


def test_upsert_create_then_update(srv: Any, sleeps: Sleeps) -> None:
    with _graph(srv, sleeps) as graph:
        assert graph.get_application("ssoctl-emnify") is None
        created = graph.upsert_application("ssoctl-emnify", BODY)
        assert created is not None and created["displayName"] == "emnify"
        assert graph.upsert_application("ssoctl-emnify", {"displayName": "emnify 2"}) is None
        app = graph.get_application("ssoctl-emnify")
        assert app is not None
        assert app["id"] == created["id"] and app["displayName"] == "emnify 2"
        assert app["optionalClaims"]["saml2Token"][0]["name"] == "upn"
        graph.update_application(app["id"], {"identifierUris": [f"api://{app['appId']}"]})
        again = graph.get_application("ssoctl-emnify")
        assert again is not None and again["identifierUris"] == [f"api://{app['appId']}"]
    log = sandbox.read_request_log(srv.home)
    assert [e["method"] for e in log] == ["GET", "PATCH", "PATCH", "GET", "PATCH", "GET"]
    assert all("//" not in e["path"] for e in log)


def test_add_and_remove_password(srv: Any, sleeps: Sleeps) -> None:
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(days=180)
    with _graph(srv, sleeps) as graph:
        app = graph.upsert_application("ssoctl-emnify", BODY)
        assert app is not None
        issued = graph.add_password(app["id"], "ssoctl emnify", end)
        assert issued.text.reveal() and issued.key_id
        assert issued.end == end and issued.end.tzinfo is not None
        listed = graph.get_application("ssoctl-emnify")
        assert listed is not None
        assert [p["keyId"] for p in listed["passwordCredentials"]] == [issued.key_id]
        graph.remove_password(app["id"], issued.key_id)
        graph.remove_password(app["id"], issued.key_id)  # already gone: still fine
        listed = graph.get_application("ssoctl-emnify")
        assert listed is not None and listed["passwordCredentials"] == []


def test_tenant_id_from_token(srv: Any, sleeps: Sleeps) -> None:
    with _graph(srv, sleeps) as graph:
        assert graph.tenant_id() == srv.tenant_id
    assert sandbox.read_request_log(srv.home) == []


def test_throttling_and_replication_faults(tmp_path: Path, sleeps: Sleeps) -> None:
    faults = sandbox.Faults(throttle_every=3, retry_after=2, replication_hits=2)
    server = sandbox.start_sandbox(tmp_path / "home", faults=faults)
    try:
        with _graph(server, sleeps) as graph:
            app = graph.upsert_application("ssoctl-emnify", BODY)
            assert app is not None
            graph.update_application(app["id"], {"identifierUris": [f"api://{app['appId']}"]})
            issued = graph.add_password(app["id"], "n", datetime.now(UTC) + timedelta(days=30))
            assert issued.key_id
    finally:
        server.stop()
    assert 2.0 in sleeps  # Retry-After honoured
    assert 0.5 in sleeps  # replication back-off


def test_wrong_tenant_token_is_auth_error(srv: Any, sleeps: Sleeps) -> None:
    other = sandbox.issue_token("99999999-9999-9999-9999-999999999999")
    with _graph(srv, sleeps, token=other) as graph, pytest.raises(GraphError) as err:
        graph.get_application("ssoctl-emnify")
    assert err.value.status == 401 and err.value.exit_code == EXIT_AUTH

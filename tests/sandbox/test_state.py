"""Tenant state on disk: shared between servers, private file modes, request log, reset."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

from ssoctl.sandbox import SandboxServer, read_request_log, reset_sandbox, sandbox_dir, start_sandbox
from tests.sandbox.conftest import Graph


def test_two_servers_on_one_home_share_the_tenant(home: Path) -> None:
    with start_sandbox(home) as one, start_sandbox(home) as two:
        assert one.tenant_id == two.tenant_id
        assert one.url != two.url
        app = Graph(one).create("shared")
        seen = Graph(two).call("GET", "/applications(uniqueName='shared')")
        assert seen.status == 200 and seen.body["id"] == app["id"]
        # A token from one server works on the other: same tenant.
        assert Graph(two, token=one.token).call("GET", f"/applications/{app['id']}").status == 200
    with start_sandbox(home) as later:  # and a later run sees the first
        assert Graph(later).call("GET", "/applications(uniqueName='shared')").status == 200


def test_concurrent_writers_do_not_lose_updates(home: Path) -> None:
    with start_sandbox(home) as one, start_sandbox(home) as two:
        servers = [one, two]

        def create(n: int) -> None:
            Graph(servers[n % 2]).create(f"app-{n}")

        threads = [threading.Thread(target=create, args=(n,)) for n in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        listed = Graph(one).call("GET", "/applications?$select=uniqueName").body["value"]
        assert sorted(a["uniqueName"] for a in listed) == sorted(f"app-{n}" for n in range(12))


def test_files_are_private(graph: Graph, home: Path) -> None:
    graph.create()
    folder = sandbox_dir(home)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    tenant = json.loads((folder / "tenant.json").read_text())
    assert tenant["tenantId"] == graph.server.tenant_id
    assert (
        tenant["verifiedDomains"][0]["name"]
        == f"contoso-{tenant['tenantId'].replace('-', '')[:8]}.onmicrosoft.com"
    )


def test_request_log_records_requests_without_bodies_or_tokens(graph: Graph, home: Path) -> None:
    graph.upsert("logged", {"displayName": "body-marker-123"})
    graph.call("GET", "/applications(uniqueName='logged')?$select=id")
    graph.call("GET", "/v1.0/nope", token="")
    log = read_request_log(home)
    assert [(e["method"], e["path"], e["status"], e["mutating"]) for e in log] == [
        ("PATCH", "/v1.0/applications(uniqueName='logged')", 201, True),
        ("GET", "/v1.0/applications(uniqueName='logged')?$select=id", 200, False),
        ("GET", "/v1.0/nope", 401, False),  # authentication comes before routing
    ]
    assert all(set(e) == {"method", "path", "status", "mutating", "fault", "time", "concurrent"} for e in log)
    assert [e["fault"] for e in log] == [None, None, None]  # Entra's own answers, no injected fault
    raw = (sandbox_dir(home) / "requests.jsonl").read_text()
    assert "body-marker-123" not in raw
    assert graph.server.token.split(".")[1] not in raw


def test_reset_removes_the_tenant(server: SandboxServer, home: Path) -> None:
    Graph(server).create()
    tenant = server.tenant_id
    server.stop()
    reset_sandbox(home)
    assert not sandbox_dir(home).exists()
    assert read_request_log(home) == []
    with start_sandbox(home) as fresh:
        assert fresh.tenant_id != tenant
        assert Graph(fresh).call("GET", "/applications").body["value"] == []


def test_stop_is_idempotent_and_frees_the_port(home: Path) -> None:
    srv = start_sandbox(home)
    port = srv.port
    srv.stop()
    srv.stop()
    with start_sandbox(home, port=port) as again:
        assert again.url == f"http://127.0.0.1:{port}"


def test_serve_forever_runs_until_stopped(home: Path) -> None:
    """The foreground loop behind `ssoctl sandbox serve`; Ctrl-C and stop() both end it."""
    from ssoctl.sandbox import serve_forever

    ready: list[SandboxServer] = []
    started = threading.Event()

    def on_ready(srv: SandboxServer) -> None:
        ready.append(srv)
        started.set()

    runner = threading.Thread(target=serve_forever, args=(home, 0, None, on_ready), daemon=True)
    runner.start()
    assert started.wait(5)
    srv = ready[0]
    assert Graph(srv).call("GET", "/applications").status == 200
    srv.stop()
    runner.join(5)
    assert not runner.is_alive()

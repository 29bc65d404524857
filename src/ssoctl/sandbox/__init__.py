"""The built-in sandbox tenant: a local HTTP server speaking the Microsoft Graph subset ssoctl uses.

It runs on 127.0.0.1, keeps its tenant under `home/sandbox/` so a second run sees the first, and
behaves like Entra where ssoctl depends on it: Graph's error shapes, request bodies checked against
Microsoft's CSDL, redirect-URI and identifier-URI rules, admin consent (service principals,
delegated grants, app role assignments, Microsoft Graph's own service principal), and injectable
throttling, replication lag and secret-lifetime policy (see docs/sandbox.md). Importing this package loads only the standard
library.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssoctl.sandbox.auth import issue_token
from ssoctl.sandbox.faults import Faults
from ssoctl.sandbox.state import TenantStore, reset, sandbox_dir

if TYPE_CHECKING:  # the HTTP server (http.server, ~50 ms) loads only when a sandbox starts
    from ssoctl.sandbox.server import SandboxServer

__all__ = [
    "Faults",
    "SandboxServer",
    "existing_tenant_id",
    "issue_token",
    "read_request_log",
    "reset_sandbox",
    "sandbox_dir",
    "serve_forever",
    "start_sandbox",
]


def start_sandbox(
    home: Path, *, port: int = 0, faults: Faults | None = None, login: bool = False
) -> SandboxServer:
    """Start a sandbox tenant for `home` on 127.0.0.1:`port` (0 = a free port) in a daemon thread;
    `login=True` also serves the https login server (`server.login_url`, CA `server.ca_file`)."""
    from ssoctl.sandbox.server import start_sandbox as start

    return start(home, port=port, faults=faults, login=login)


def serve_forever(
    home: Path,
    port: int = 0,
    faults: Faults | None = None,
    on_ready: Callable[[SandboxServer], None] | None = None,
) -> None:
    """Run the sandbox in the foreground (`ssoctl sandbox serve`) until Ctrl-C."""
    from ssoctl.sandbox.server import serve_forever as serve

    serve(home, port, faults, on_ready)


def __getattr__(name: str) -> Any:
    if name == "SandboxServer":
        from ssoctl.sandbox.server import SandboxServer

        return SandboxServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def existing_tenant_id(home: Path) -> str | None:
    """The sandbox tenant's id if this home has one, without creating it (a damaged tenant file
    gives what can be salvaged from it, so `sandbox reset` can still clean up after it)."""
    return TenantStore(home).salvage_tenant_id()


def reset_sandbox(home: Path) -> None:
    """Delete the sandbox tenant (home/sandbox): applications, service principals, consent
    grants, metadata, request log."""
    reset(home)


def read_request_log(home: Path) -> list[dict[str, Any]]:
    """Every request the sandbox served for `home`, oldest first.

    Each entry is {"method", "path" (with query), "status", "mutating", "fault", "time",
    "concurrent" (requests in flight when it arrived, itself included)}: never a
    body, a header or a token. `fault` is "throttle" or "replication" for an answer the injected
    faults gave (Graph did nothing), else null.
    """
    return TenantStore(home).read_log()

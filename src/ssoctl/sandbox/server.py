"""The HTTP side: a ThreadingHTTPServer on 127.0.0.1 that hands each request to the Dispatcher.

Only loopback is ever bound: the sandbox trusts any well-formed token (it checks claims, not
signatures), which is fine for one user on one machine and nowhere else.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from ssoctl.errors import UsageError
from ssoctl.sandbox.auth import issue_token
from ssoctl.sandbox.dispatch import Dispatcher
from ssoctl.sandbox.faults import Faults
from ssoctl.sandbox.state import TenantStore

HOST = "127.0.0.1"
SERVE_TOKEN_LIFETIME = 24 * 3600  # seconds
MAX_BODY_BYTES = 4 * 1024 * 1024  # Graph's request size limit is 4 MB
JSON_SUCCESS = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher, *, scheme: str = "http") -> None:
        super().__init__(address, _Handler)
        self.dispatcher = dispatcher
        self.stopping = False
        self.scheme = scheme

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{HOST}:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ssoctl-sandbox"
    sys_version = ""
    timeout = 30  # idle keep-alive connections do not pin threads forever
    # Headers and body go out in two writes; with Nagle on, the client's delayed ACK would add
    # ~40 ms to every response.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        """Silence the stdlib's per-request stderr line: requests.jsonl is the log."""

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            size = 0
            while True:
                line = self.rfile.readline().split(b";", 1)[0].strip()
                length = int(line or b"0", 16)
                if length == 0:
                    self.rfile.readline()
                    break
                size += length
                if size > MAX_BODY_BYTES:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(length))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise ValueError("body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        server = self.server
        assert isinstance(server, _HTTPServer)
        if server.stopping:
            self.close_connection = True
            return
        try:
            body = self._read_body()
        except ValueError:
            self.send_error(413)
            return
        request_id = str(uuid.uuid4())
        client_request_id = self.headers.get("client-request-id") or request_id
        headers = {k.lower(): v for k, v in self.headers.items()}
        outcome = server.dispatcher.handle(
            self.command,
            self.path,
            headers,
            body,
            base_url=server.base_url,
            request_id=request_id,
            client_request_id=client_request_id,
        )
        if outcome.hold:  # the client waits in vain (killed mid-request, or it times out)
            deadline = time.monotonic() + outcome.hold
            while not server.stopping and time.monotonic() < deadline:
                time.sleep(0.05)
        if outcome.dropped:  # a reset fault: the client never gets an answer
            self.close_connection = True
            self.connection.close()
            return
        payload = b""
        if outcome.raw is not None:
            payload = outcome.raw
        elif outcome.body is not None:
            payload = json.dumps(outcome.body, separators=(",", ":")).encode("utf-8")
        self.send_response(outcome.status)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("request-id", request_id)
        self.send_header("client-request-id", client_request_id)
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        # The login server (login.py) names its own Content-Type and is not OData.
        if outcome.body is not None and "Content-Type" not in outcome.headers:
            content_type = JSON_SUCCESS if outcome.status < 400 else "application/json"
            self.send_header("Content-Type", content_type)
            self.send_header("OData-Version", "4.0")
        if outcome.status != 204:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)


class SandboxServer:
    """A running (or ready-to-run) sandbox tenant for one home folder.

    `url` is `http://127.0.0.1:PORT` (clients append /v1.0); `token` is a bearer token for this
    tenant: a Global Administrator (wids) whose scp is auth.SANDBOX_SCOPES (Application.ReadWrite.All,
    AppRoleAssignment.ReadWrite.All, DelegatedPermissionGrant.ReadWrite.All). Use as a context
    manager or call `stop()`.
    """

    def __init__(
        self,
        home: Path,
        *,
        port: int = 0,
        faults: Faults | None = None,
        login: bool = False,
        login_port: int = 0,
    ) -> None:
        self.home = Path(home)
        self.faults = faults or Faults()
        self.store = TenantStore(self.home)
        self.tenant_id = self.store.tenant_id()
        dispatcher = Dispatcher(self.store, self.faults)
        self._httpd = _HTTPServer((HOST, port), dispatcher)
        self.port: int = self._httpd.server_address[1]
        self.url = f"http://{HOST}:{self.port}"
        self.token = issue_token(self.tenant_id)
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()
        self._closed = False
        # The https login server (`login=True`): the same tenant and dispatcher behind TLS, so MSAL
        # and azure-identity run unchanged against `login_url`, trusting `ca_file`.
        self._login_httpd: _HTTPServer | None = None
        self._login_thread: threading.Thread | None = None
        self.login_url = ""
        self.ca_file: Path | None = None
        if login:
            self._login_httpd, self.ca_file = _tls_server(self.home, login_port, dispatcher)
            self.login_url = self._login_httpd.base_url

    def start(self) -> SandboxServer:
        """Serve in a daemon thread and return at once."""
        if self._login_httpd is not None:
            self._login_thread = threading.Thread(
                target=self._login_httpd.serve_forever,
                args=(0.01,),
                name=f"ssoctl-sandbox-login-{self.port}",
                daemon=True,
            )
            self._login_thread.start()
        self._thread = threading.Thread(
            target=self._run,
            args=(0.01,),  # stop() returns within ~10 ms
            name=f"ssoctl-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve(self) -> None:
        """Serve in the calling thread until `stop()` (from another thread) or KeyboardInterrupt."""
        self._run(0.2)

    def _run(self, poll_interval: float) -> None:
        self._serving.set()
        try:
            self._httpd.serve_forever(poll_interval=poll_interval)
        finally:
            self._serving.clear()

    def stop(self) -> None:
        """Stop accepting requests and release the port; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._httpd.stopping = True
        if self._login_httpd is not None:
            self._login_httpd.stopping = True
            if self._login_thread is not None:
                self._login_httpd.shutdown()
                self._login_thread.join(timeout=5)
            self._login_httpd.server_close()
        if self._serving.is_set() and threading.current_thread() is not self._thread:
            self._httpd.shutdown()  # returns once serve_forever has left its loop
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SandboxServer(url={self.url!r}, tenant_id={self.tenant_id!r})"


def _tls_server(home: Path, port: int, dispatcher: Dispatcher) -> tuple[_HTTPServer, Path]:
    """An https listener on 127.0.0.1 with the sandbox's self-signed certificate (tls.py)."""
    import ssl

    from ssoctl.sandbox.tls import certificate

    cert, key = certificate(home)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd = _HTTPServer((HOST, port), dispatcher, scheme="https")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    return httpd, cert


def start_sandbox(
    home: Path, *, port: int = 0, faults: Faults | None = None, login: bool = False
) -> SandboxServer:
    """Start a sandbox tenant for `home` on 127.0.0.1:`port` (0 = any free port), in the background;
    `login=True` adds the https login server (`login_url`, trusted through `ca_file`)."""
    return SandboxServer(home, port=port, faults=faults, login=login).start()


def serve_forever(
    home: Path,
    port: int = 0,
    faults: Faults | None = None,
    on_ready: Callable[[SandboxServer], None] | None = None,
) -> None:
    """Run the sandbox in the foreground (`ssoctl sandbox serve`); Ctrl-C stops it cleanly.

    Its token lasts a day (SERVE_TOKEN_LIFETIME), not the hour of an in-process run: a server
    left running in another shell should not start answering 401 after lunch.
    """
    try:
        server = SandboxServer(home, port=port, faults=faults)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}",
            hint="choose another --port, or --port 0 for any free one",
        ) from None
    server.token = issue_token(server.tenant_id, lifetime=SERVE_TOKEN_LIFETIME)
    try:
        with serving_lock(home):
            if on_ready is not None:
                on_ready(server)
            server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


SERVE_LOCK = ".sandbox-serve.lock"  # in SSOCTL_HOME, beside (not in) the sandbox folder reset deletes


@contextlib.contextmanager
def serving_lock(home: Path) -> Iterator[None]:
    """Held (shared: several servers may share a home) while `sandbox serve` runs, so `sandbox
    reset` can tell it would pull the tenant out from under a running server."""
    Path(home).mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(Path(home) / SERVE_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def server_running(home: Path) -> bool:
    """True while a `sandbox serve` holds this home's serving lock."""
    path = Path(home) / SERVE_LOCK
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False

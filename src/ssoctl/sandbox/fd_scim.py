"""A fake Federated Directory SCIM 2.0 API on 127.0.0.1, for tests and `--sandbox` try-outs.

It serves the part of Federated Directory's API (reference/portals/federated-directory-scim-swagger.json)
that Entra's provisioning and ssoctl touch: `GET /v2/Users` (SCIM list with `filter=userName eq "…"`,
`count`, `startIndex`), `POST /v2/Users`, `GET`/`PATCH`/`DELETE /v2/Users/{id}`, each behind a bearer
token ("directory key access token"). A missing, unknown or revoked token gets 401 with a SCIM error
body (the swagger's `ScimError` alternative): `{"schemas": [ERROR_URN], "status": "401", "detail": …}`.

Directory keys are kept as SHA-256 digests only, and users with them, in
`home/sandbox/federated-directory.json` (0600) when a home is given, so `ssoctl sandbox serve`, an
in-process `--sandbox` run and the Graph sandbox's `validateCredentials` all see one directory. The
token text itself is never written anywhere. Standard library only.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"
DEFAULT_PORT = 8766  # `ssoctl sandbox serve` puts Federated Directory next to the Graph sandbox
STATE_FILE = "federated-directory.json"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
UNAUTHORIZED_DETAIL = "Unauthorized: the access token is missing, invalid or revoked."
_FILTER = re.compile(r'^\s*userName\s+eq\s+"([^"]*)"\s*$', re.IGNORECASE)

JSON = dict[str, Any]


def digest(token: str) -> str:
    """How the fake keeps a directory key: its SHA-256, never the text."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def scim_error(status: int, detail: str, scim_type: str | None = None) -> JSON:
    body: JSON = {"schemas": [ERROR_URN], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return body


class DirectoryState:
    """Keys (digests) and users: in memory, or in a locked 0600 file under `home/sandbox/`."""

    def __init__(self, home: Path | None) -> None:
        self.path = Path(home) / "sandbox" / STATE_FILE if home is not None else None
        self._memory: JSON = {"keys": [], "users": {}}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[JSON]:
        with self._lock:
            if self.path is None:
                yield self._memory
                return
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock_fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX)
                try:
                    state: JSON = json.loads(self.path.read_text(encoding="utf-8"))
                except FileNotFoundError:
                    state = {"keys": [], "users": {}}
                before = json.dumps(state, sort_keys=True)
                yield state
                if json.dumps(state, sort_keys=True) != before:
                    tmp = self.path.with_name(f".{STATE_FILE}.{uuid.uuid4().hex}.tmp")
                    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                    with os.fdopen(fd, "w", encoding="utf-8") as handle:
                        json.dump(state, handle, indent=1, sort_keys=True)
                    os.replace(tmp, self.path)
            finally:
                fcntl.flock(lock_fd, fcntl.LOCK_UN)
                os.close(lock_fd)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _apply_patch(user: JSON, operations: Any) -> str | None:
    """SCIM PatchOp (add/replace with a path or a value object, remove by path); an error text or None."""
    if not isinstance(operations, list) or not operations:
        return "Operations must be a non-empty list"
    for op in operations:
        if not isinstance(op, dict) or str(op.get("op", "")).lower() not in ("add", "replace", "remove"):
            return "each operation needs op add, replace or remove"
        kind, path, value = str(op["op"]).lower(), op.get("path"), op.get("value")
        if kind == "remove":
            if isinstance(path, str):
                user.pop(path, None)
            continue
        if isinstance(path, str) and path:
            head, _, rest = path.partition(".")
            if rest and not head.startswith("urn:"):
                nested = user.setdefault(head, {})
                if isinstance(nested, dict):
                    nested[rest] = value
            else:
                user[path] = value
        elif isinstance(value, dict):
            user.update(value)
        else:
            return "an operation without a path needs an object value"
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ssoctl-fake-federated-directory"
    sys_version = ""
    timeout = 30
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: `FakeFederatedDirectory.requests` is the log."""

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _send(self, status: int, body: JSON | None, content_type: str = "application/scim+json") -> None:
        payload = json.dumps(body).encode("utf-8") if body is not None else b""
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="Federated Directory"')
        if body is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _serve(self) -> None:
        server = self.server
        assert isinstance(server, _Server)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        split = urlsplit(self.path)
        auth = self.headers.get("Authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        status, body = server.owner.answer(self.command, split.path, parse_qs(split.query), raw, token)
        server.owner.log(self.command, self.path, status, bool(token))
        self._send(status, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: FakeFederatedDirectory) -> None:
        super().__init__(address, _Handler)
        self.owner = owner


class FakeFederatedDirectory:
    """The fake SCIM API. `url` is the Tenant URL (`http://127.0.0.1:PORT/v2`)."""

    def __init__(self, home: Path | None = None, *, port: int = 0) -> None:
        self.state = DirectoryState(home)
        self._httpd = _Server((HOST, port), self)
        self.port: int = self._httpd.server_address[1]
        self.url = f"http://{HOST}:{self.port}/v2"
        self.requests: list[JSON] = []  # method, path, status, authorized (never the token)
        self._thread: threading.Thread | None = None

    # ---- keys (the "keys" tab of a directory) --------------------------------------------------

    def issue_key(self) -> str:
        """A new directory key's access token: shown once (as Federated Directory does), kept as a digest."""
        token = "fd_" + secrets.token_urlsafe(32)
        with self.state.transaction() as state:
            state["keys"].append(digest(token))
        return token

    def revoke(self, token: str) -> None:
        with self.state.transaction() as state:
            state["keys"] = [k for k in state["keys"] if k != digest(token)]

    def users(self) -> list[JSON]:
        with self.state.transaction() as state:
            return list(state["users"].values())

    def log(self, method: str, path: str, status: int, authorized: bool) -> None:
        self.requests.append({"method": method, "path": path, "status": status, "bearer": authorized})

    # ---- the API ----------------------------------------------------------------------------

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes, token: str
    ) -> tuple[int, JSON | None]:
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] != "v2" or len(parts) < 2 or parts[1] != "Users" or len(parts) > 3:
            return 404, scim_error(404, f"Resource {path} not found")
        with self.state.transaction() as state:
            if not token or digest(token) not in state["keys"]:
                return 401, scim_error(401, UNAUTHORIZED_DETAIL)
            users: dict[str, JSON] = state["users"]
            if len(parts) == 2:
                if method == "GET":
                    return 200, self._list(users, query)
                if method == "POST":
                    return self._create(users, raw)
                return 405, scim_error(405, f"Method {method} is not allowed on /Users")
            user = users.get(parts[2])
            if user is None:
                return 404, scim_error(404, f"User {parts[2]} not found")
            if method == "GET":
                return 200, user
            if method == "DELETE":
                del users[parts[2]]
                return 204, None
            if method == "PATCH":
                body = _json(raw)
                if not isinstance(body, dict):
                    return 400, scim_error(400, "Request body is not JSON", "invalidSyntax")
                problem = _apply_patch(user, body.get("Operations"))
                if problem:
                    return 400, scim_error(400, problem, "invalidSyntax")
                user["meta"]["lastModified"] = _now()
                return 200, user
            return 405, scim_error(405, f"Method {method} is not allowed on /Users/{{id}}")

    def _list(self, users: dict[str, JSON], query: dict[str, list[str]]) -> JSON:
        found = list(users.values())
        text = (query.get("filter") or [""])[0]
        if text:
            match = _FILTER.match(text)
            wanted = match.group(1).casefold() if match else None
            found = [u for u in found if str(u.get("userName", "")).casefold() == wanted]
        start = max(1, int((query.get("startIndex") or ["1"])[0] or 1))
        count = int((query.get("count") or ["100"])[0] or 100)
        page = found[start - 1 : start - 1 + count]
        return {
            "schemas": [LIST_URN],
            "totalResults": len(found),
            "itemsPerPage": len(page),
            "startIndex": start,
            "Resources": page,
        }

    def _create(self, users: dict[str, JSON], raw: bytes) -> tuple[int, JSON]:
        body = _json(raw)
        if not isinstance(body, dict):
            return 400, scim_error(400, "Request body is not JSON", "invalidSyntax")
        name = body.get("userName")
        if not isinstance(name, str) or "@" not in name:
            return 400, scim_error(
                400, "userName is required and must look like an e-mail address", "invalidValue"
            )
        if any(str(u.get("userName", "")).casefold() == name.casefold() for u in users.values()):
            return 409, scim_error(409, f"A user with userName {name} already exists", "uniqueness")
        user_id = str(uuid.uuid4())
        created = _now()
        user = {**body, "id": user_id}
        user.setdefault("schemas", [USER_URN])
        user.setdefault("active", True)
        user["meta"] = {"resourceType": "User", "created": created, "lastModified": created}
        users[user_id] = user
        return 201, user

    # ---- running ----------------------------------------------------------------------------

    def start(self) -> FakeFederatedDirectory:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.01,), name=f"fake-fd-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def serve(self) -> None:
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FakeFederatedDirectory:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        return None


def start_fake_federated_directory(home: Path | None = None, *, port: int = 0) -> FakeFederatedDirectory:
    """Start the fake on 127.0.0.1:`port` (0 = any free port) in a daemon thread."""
    return FakeFederatedDirectory(home, port=port).start()

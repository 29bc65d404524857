"""Fake PingOne (platform) and Okta admin APIs on 127.0.0.1: for tests and `--sandbox` try-outs.

They keep state, enforce auth and answer with the vendors' published shapes, so the PingOne and
Okta stores are tested over real HTTP:

- PingOne: `POST {auth}/{envId}/as/token` (client credentials of a worker app, HTTP Basic or
  form; OAuth error JSON on failure), and `GET/POST {api}/environments/{envId}/identityProviders`,
  `GET/PUT/DELETE …/identityProviders/{id}` with a Bearer token. Errors are PingOne's
  `{"id", "code", "message", "details"}` (401 ACCESS_FAILED, 400 INVALID_DATA, 404 NOT_FOUND).
  Lists come as HAL: `{"_embedded": {"identityProviders": [...]}, "count", "size"}`.
- Okta: `GET /api/v1/idps` (`q` name prefix, `type`), `POST /api/v1/idps`, `GET/PUT/DELETE
  /api/v1/idps/{id}` with `Authorization: SSWS <token>`. Errors are Okta's `{"errorCode",
  "errorSummary", "errorLink", "errorId", "errorCauses"}` (E0000011 401, E0000001 400, E0000007 404).

Secrets are kept as salted hashes only (never their text, never written out): a provider's
`clientSecret` is write-only here, and `holds(idp_id, secret)` lets a test check what it holds.
`requests` lists every request (method, path, status) so tests count mutating ones; a fake that
keeps its state in a file also appends each request to `<name>-requests.jsonl` beside it.

`PortalFaults` (`SSOCTL_SANDBOX_PORTAL_FAULTS`) makes a fake fail on purpose, counting requests as
the Graph sandbox's faults do: one request at a position (429/500/503/reset, before or after the
fake acted), or every Nth request rate-limited.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import secrets as random_tokens
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ssoctl.errors import UsageError
from ssoctl.sandbox.faults import FAIL_MODES, HANG_SECONDS, PositionFault, ThrottleCounter

JSON = dict[str, Any]
PORTAL_FAULTS_ENV = "SSOCTL_SANDBOX_PORTAL_FAULTS"
_PORTAL_KEYS = {
    "fail-at": "fail_at",
    "fail": "fail_mode",
    "throttle": "throttle_every",
    "retry-after": "retry_after",
}
NOT_ACTED = ("429", "500", "503", "reset")  # position fault modes the fake answers without acting


@dataclass(frozen=True)
class PortalFaults:
    """What a fake portal does wrong on purpose; off by default. As the Graph sandbox's `Faults`,
    they count requests instead of using timers, so a run gets the same answers every time.

    fail_at, fail_mode: the fail_at-th request this fake serves (1-based; PingOne's token requests
        count, as they are part of its API) fails as fail_mode says (`faults.FAIL_MODES`): 429,
        500, 503 or a dropped connection ("reset") without acting; "500-after", "503-after",
        "reset-after": the fake acts (a write is committed), then that answer instead;
        "hang-after": acted on, then no answer for HANG_SECONDS.
    throttle_every, retry_after: every Nth request gets the portal's 429 (not acted on), with
        `Retry-After` (PingOne) or `X-Rate-Limit-Reset` (Okta) retry_after seconds ahead.
    """

    fail_at: int = 0
    fail_mode: str = ""
    throttle_every: int = 0
    retry_after: int = 1

    def __post_init__(self) -> None:
        if self.fail_at and self.fail_mode not in FAIL_MODES:
            raise UsageError(
                f"{PORTAL_FAULTS_ENV}: fail={self.fail_mode!r} is not one of {', '.join(FAIL_MODES)}",
                hint="for example fail-at=3,fail=503-after",
            )
        if min(self.fail_at, self.throttle_every, self.retry_after) < 0:
            raise UsageError(f"{PORTAL_FAULTS_ENV}: numbers must be >= 0")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PortalFaults:
        """Parse SSOCTL_SANDBOX_PORTAL_FAULTS, e.g. `fail-at=2,fail=503-after` or `throttle=2,retry-after=1`."""
        values: dict[str, Any] = {}
        for item in env.get(PORTAL_FAULTS_ENV, "").split(","):
            key, sep, raw = (part.strip() for part in item.partition("="))
            key = key.lower().replace("_", "-")
            if not item.strip():
                continue
            if not sep or key not in _PORTAL_KEYS:
                raise UsageError(
                    f"{PORTAL_FAULTS_ENV}: cannot read {item.strip()!r}",
                    hint=f"use comma-separated key=value pairs with keys {', '.join(_PORTAL_KEYS)}",
                )
            if key == "fail":
                values[_PORTAL_KEYS[key]] = raw
                continue
            if not raw.isdigit():
                raise UsageError(
                    f"{PORTAL_FAULTS_ENV}: {key} needs a whole number, not {raw!r}",
                    hint="for example fail-at=2,fail=500",
                )
            values[_PORTAL_KEYS[key]] = int(raw)
        return cls(**values)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _hash(salt: str, value: str) -> str:
    return hashlib.sha256((salt + value).encode()).hexdigest()


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class _FakeServer:
    """An HTTP server on 127.0.0.1:0 in a thread, answering through `handle(request)`."""

    def __init__(self, faults: PortalFaults | None = None) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, int]] = []
        self._salt = random_tokens.token_hex(8)
        self.set_faults(faults or PortalFaults())
        self._stopping = threading.Event()
        lock = self.lock
        owner = self
        self.state_path: Path | None = None

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    unquote(parts.path),
                    {k: v[0] for k, v in parse_qs(parts.query).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                with lock:
                    answer, planted = owner.answer(request)
                    owner.log(self.command, parts.path, answer.status, planted)
                    if self.command != "GET":
                        owner.persist()
                if planted is not None and planted.startswith(("reset", "hang")):
                    if planted == "hang-after":  # the client waits in vain, then the line drops
                        owner._stopping.wait(HANG_SECONDS)
                    self.close_connection = True
                    self.connection.close()
                    return
                raw = b"" if answer.body is None else json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read `requests`
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll: stop() waits for serve_forever to notice, and a `--sandbox` run stops its fake
        # on the way out (the default 0.5 s would be added to every such run).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> _FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> _FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def handle(self, request: Request) -> Answer:
        raise NotImplementedError

    def set_faults(self, faults: PortalFaults) -> None:
        """Fail as `faults` say, counting from the next request (a test's fake that lives across runs)."""
        self.faults = faults
        self._position = PositionFault(faults.fail_at, faults.fail_mode)
        self._throttle = ThrottleCounter(faults.throttle_every)

    def answer(self, request: Request) -> tuple[Answer, str | None]:
        """The answer to one request, with the injected fault that shaped it (None for none)."""
        planted = self._position.next()
        if planted is None and self._throttle.hit():
            return self.fault_answer("429"), "throttle"
        if planted in NOT_ACTED:
            return self.fault_answer(planted), planted
        answer = self.handle(request)
        if planted is not None:  # "-after": the fake acted; the client gets an error or nothing
            return self.fault_answer(planted.removesuffix("-after").replace("hang", "reset")), planted
        return answer, None

    def fault_answer(self, mode: str) -> Answer:
        """The portal's own answer for a fault mode ("429", "500", "503"; "reset" is never sent)."""
        raise NotImplementedError

    def log(self, method: str, path: str, status: int, fault: str | None) -> None:
        """Remember a request (never its body or headers); a fake with a state file also logs it
        to `<state>-requests.jsonl`, so a test can count what a `--sandbox` run asked the portal."""
        self.requests.append((method, path, status))
        if self.state_path is None:
            return
        line = {"method": method, "path": path, "status": status, "fault": fault, "time": _now()}
        self.state_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.request_log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (json.dumps(line) + "\n").encode())  # one line, one write
        finally:
            os.close(fd)

    @property
    def request_log_path(self) -> Path:
        assert self.state_path is not None
        return self.state_path.with_name(self.state_path.stem + "-requests.jsonl")

    def hashed(self, value: str) -> str:
        return _hash(self._salt, value)

    # State on disk, for `--sandbox` runs: the providers and salted secret hashes, never a secret.
    def snapshot(self) -> JSON:
        return {"salt": self._salt}

    def restore(self, data: JSON) -> None:
        self._salt = str(data.get("salt") or self._salt)

    def keep_state_in(self, path: Path) -> _FakeServer:
        self.state_path = path
        if path.exists():
            self.restore(json.loads(path.read_text(encoding="utf-8")))
        return self

    def persist(self) -> None:
        if self.state_path is not None:
            from ssoctl.files import write_private

            self.state_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_private(self.state_path, json.dumps(self.snapshot(), indent=1).encode())

    @property
    def mutating(self) -> list[tuple[str, str, int]]:
        """Requests that changed (or tried to change) state; token requests do not count."""
        return [
            r for r in self.requests if r[0] in ("POST", "PUT", "PATCH", "DELETE") and "/as/token" not in r[1]
        ]


# --------------------------------------------------------------------------------------------
# PingOne


def pingone_error(status: int, code: str, message: str, details: list[JSON] | None = None) -> Answer:
    body: JSON = {"id": str(uuid.uuid4()), "code": code, "message": message}
    if details:
        body["details"] = details
    return Answer(status, body)


PINGONE_IDP_TYPES = ("MICROSOFT", "GOOGLE", "FACEBOOK", "APPLE", "OPENID_CONNECT", "SAML")


class FakePingOne(_FakeServer):
    """One PingOne environment with one worker app. `api_url` ends in /v1 like the real one."""

    def __init__(
        self,
        env_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        faults: PortalFaults | None = None,
    ):
        super().__init__(faults)
        self.env_id = env_id or str(uuid.uuid4())
        self.client_id = client_id or str(uuid.uuid4())
        self.client_secret = client_secret or random_tokens.token_urlsafe(24)
        self._tokens: set[str] = set()
        self.idps: dict[str, JSON] = {}
        self._secrets: dict[str, str] = {}  # idp id -> salted hash of clientSecret
        self.fail_next_write: int | None = None  # a status to answer the next POST/PUT with

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1"

    def fault_answer(self, mode: str) -> Answer:
        # PingOne's documented top-level codes; which one a 503 carries is a best guess.
        if mode == "429":
            answer = pingone_error(429, "REQUEST_LIMITED", "The request was rate limited. Try again later.")
            answer.headers["Retry-After"] = str(self.faults.retry_after)
            return answer
        if mode == "503":
            return pingone_error(503, "REQUEST_FAILED", "The service is temporarily unavailable.")
        return pingone_error(
            int(mode) if mode.isdigit() else 500, "UNEXPECTED_ERROR", "An unexpected error occurred."
        )

    @property
    def auth_url(self) -> str:
        return self.url

    def holds(self, idp_id: str, secret: str) -> bool:
        with self.lock:
            return self._secrets.get(idp_id) == self.hashed(secret)

    def snapshot(self) -> JSON:
        return {**super().snapshot(), "envId": self.env_id, "idps": self.idps, "secrets": self._secrets}

    def restore(self, data: JSON) -> None:
        super().restore(data)
        self.env_id = str(data.get("envId") or self.env_id)
        self.idps = dict(data.get("idps") or {})
        self._secrets = dict(data.get("secrets") or {})

    def add_by_hand(self, name: str, client_id: str = "made-by-hand", enabled: bool = False) -> JSON:
        """An identity provider someone made in the admin console (ssoctl should adopt it)."""
        with self.lock:
            return self._create(
                {"type": "MICROSOFT", "name": name, "enabled": enabled, "clientId": client_id}, "x"
            )

    def handle(self, request: Request) -> Answer:
        if request.method == "POST" and request.path == f"/{self.env_id}/as/token":
            return self._token(request)
        if request.path.endswith("/as/token"):
            return Answer(400, {"error": "invalid_request", "error_description": "Unknown environment"})
        if not request.path.startswith("/v1/"):
            return pingone_error(404, "NOT_FOUND", "The requested resource was not found.")
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self._tokens:
            return pingone_error(
                401, "ACCESS_FAILED", "The request could not be completed. The access token is invalid."
            )
        parts = request.path[len("/v1/") :].strip("/").split("/")
        if len(parts) < 2 or parts[0] != "environments":
            return pingone_error(404, "NOT_FOUND", "The requested resource was not found.")
        if parts[1] != self.env_id:
            return pingone_error(
                403,
                "ACCESS_FAILED",
                "The request could not be completed. You do not have access to this resource.",
            )
        if parts[2:] == ["identityProviders"]:
            if request.method == "GET":
                return self._list()
            if request.method == "POST":
                return self._write(request, None)
        if len(parts) == 4 and parts[2] == "identityProviders":
            idp = self.idps.get(parts[3])
            if idp is None:
                return pingone_error(404, "NOT_FOUND", f"Unable to find identityProvider with id {parts[3]}")
            if request.method == "GET":
                return Answer(200, self._view(idp))
            if request.method == "PUT":
                return self._write(request, parts[3])
            if request.method == "DELETE":
                del self.idps[parts[3]]
                self._secrets.pop(parts[3], None)
                return Answer(204)
        return pingone_error(
            405, "METHOD_NOT_ALLOWED", "The request method is not supported for this resource."
        )

    def _token(self, request: Request) -> Answer:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        auth = request.headers.get("authorization", "")
        if auth.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                client_id = secret = ""
        if form.get("grant_type") != "client_credentials":
            return Answer(
                400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"}
            )
        if client_id != self.client_id or secret != self.client_secret:
            return Answer(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "Request denied: Invalid client credentials",
                },
                {"WWW-Authenticate": 'Basic realm="PingOne"'},
            )
        token = random_tokens.token_urlsafe(32)
        self._tokens.add(token)
        return Answer(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def _view(self, idp: JSON) -> JSON:
        view = copy.deepcopy(idp)
        view["_links"] = {
            "self": {"href": f"{self.api_url}/environments/{self.env_id}/identityProviders/{idp['id']}"},
            "environment": {"href": f"{self.api_url}/environments/{self.env_id}"},
        }
        return view

    def _list(self) -> Answer:
        items = [self._view(i) for i in self.idps.values()]
        return Answer(
            200,
            {
                "_links": {"self": {"href": f"{self.api_url}/environments/{self.env_id}/identityProviders"}},
                "_embedded": {"identityProviders": items},
                "count": len(items),
                "size": len(items),
            },
        )

    def _invalid(self, body: Any) -> list[JSON]:
        if not isinstance(body, dict):
            return [
                {
                    "code": "INVALID_VALUE",
                    "target": "body",
                    "message": "The request body must be a JSON object.",
                }
            ]
        details = []
        if body.get("type") not in PINGONE_IDP_TYPES:
            details.append({"code": "INVALID_VALUE", "target": "type", "message": "must be a supported type"})
        if not isinstance(body.get("name"), str) or not body["name"].strip():
            details.append({"code": "REQUIRED_VALUE", "target": "name", "message": "must not be blank"})
        if body.get("type") == "MICROSOFT":
            for key in ("clientId", "clientSecret"):
                if not isinstance(body.get(key), str) or not body[key]:
                    details.append({"code": "REQUIRED_VALUE", "target": key, "message": "must not be blank"})
        if "enabled" in body and not isinstance(body["enabled"], bool):
            details.append({"code": "INVALID_VALUE", "target": "enabled", "message": "must be a boolean"})
        return details

    def _write(self, request: Request, idp_id: str | None) -> Answer:
        if self.fail_next_write is not None:
            status, self.fail_next_write = self.fail_next_write, None
            return pingone_error(status, "UNEXPECTED_ERROR", "An unexpected error occurred.")
        try:
            body = request.json()
        except ValueError:
            body = None
        details = self._invalid(body)
        if details:
            return pingone_error(
                400,
                "INVALID_DATA",
                "The request could not be completed. One or more validation errors were in the request.",
                details,
            )
        others = [i for i in self.idps.values() if i["name"] == body["name"] and i["id"] != idp_id]
        if others:
            return pingone_error(
                400,
                "INVALID_DATA",
                "The request could not be completed. One or more validation errors were in the request.",
                [
                    {
                        "code": "UNIQUENESS_VIOLATION",
                        "target": "name",
                        "message": "must be unique within the environment",
                    }
                ],
            )
        if idp_id is None:
            return Answer(201, self._view(self._create(body, body["clientSecret"])))
        idp = self.idps[idp_id]
        if idp["type"] != body["type"]:
            return pingone_error(
                400,
                "INVALID_DATA",
                "The request could not be completed. One or more validation errors were in the request.",
                [{"code": "INVALID_VALUE", "target": "type", "message": "cannot be changed"}],
            )
        idp.update(
            name=body["name"],
            enabled=bool(body.get("enabled", False)),
            clientId=body["clientId"],
            description=body.get("description", ""),
            updatedAt=_now(),
        )
        self._secrets[idp_id] = self.hashed(body["clientSecret"])
        return Answer(200, self._view(idp))

    def _create(self, body: JSON, secret: str) -> JSON:
        idp_id = str(uuid.uuid4())
        now = _now()
        idp = {
            "id": idp_id,
            "type": body["type"],
            "name": body["name"],
            "description": body.get("description", ""),
            "enabled": bool(body.get("enabled", False)),
            "environment": {"id": self.env_id},
            "clientId": body.get("clientId", ""),
            "createdAt": now,
            "updatedAt": now,
        }
        self.idps[idp_id] = idp
        self._secrets[idp_id] = self.hashed(secret)
        return idp


# --------------------------------------------------------------------------------------------
# Okta


def okta_error(status: int, code: str, summary: str, causes: list[str] | None = None) -> Answer:
    return Answer(
        status,
        {
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": "oae" + random_tokens.token_urlsafe(16)[:19],
            "errorCauses": [{"errorSummary": c} for c in causes or []],
        },
    )


OKTA_IDP_TYPES = ("MICROSOFT", "GOOGLE", "FACEBOOK", "LINKEDIN", "APPLE", "OIDC", "SAML2")


class FakeOkta(_FakeServer):
    """One Okta org; the API token is `token`. `url` is the org's base URL."""

    def __init__(self, token: str | None = None, faults: PortalFaults | None = None) -> None:
        super().__init__(faults)
        self.token = token or ("00" + random_tokens.token_urlsafe(30))
        self.idps: dict[str, JSON] = {}
        self._secrets: dict[str, str] = {}
        self.fail_next_write: int | None = None

    def holds(self, idp_id: str, secret: str) -> bool:
        with self.lock:
            return self._secrets.get(idp_id) == self.hashed(secret)

    def fault_answer(self, mode: str) -> Answer:
        # Okta's E0000047 with its rate-limit headers (the reset is epoch seconds); 5xx as E0000009.
        if mode == "429":
            answer = okta_error(429, "E0000047", "API call exceeded rate limit due to too many requests.")
            answer.headers.update(
                {
                    "X-Rate-Limit-Limit": "100",
                    "X-Rate-Limit-Remaining": "0",
                    "X-Rate-Limit-Reset": str(int(datetime.now(UTC).timestamp()) + self.faults.retry_after),
                }
            )
            return answer
        return okta_error(int(mode) if mode.isdigit() else 500, "E0000009", "Internal Server Error")

    def snapshot(self) -> JSON:
        return {**super().snapshot(), "idps": self.idps, "secrets": self._secrets}

    def restore(self, data: JSON) -> None:
        super().restore(data)
        self.idps = dict(data.get("idps") or {})
        self._secrets = dict(data.get("secrets") or {})

    def add_by_hand(self, name: str, client_id: str = "made-by-hand") -> JSON:
        with self.lock:
            return self._create(_okta_body(name, client_id, "x"), "x")

    def handle(self, request: Request) -> Answer:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("SSWS ") or auth[5:] != self.token:
            return okta_error(401, "E0000011", "Invalid token provided")
        path = request.path.rstrip("/")
        if path == "/api/v1/idps":
            if request.method == "GET":
                return self._list(request)
            if request.method == "POST":
                return self._write(request, None)
        elif path.startswith("/api/v1/idps/") and path.count("/") == 4:
            idp_id = path.rsplit("/", 1)[1]
            idp = self.idps.get(idp_id)
            if idp is None:
                return okta_error(
                    404, "E0000007", f"Not found: Resource not found: {idp_id} (IdentityProvider)"
                )
            if request.method == "GET":
                return Answer(200, self._view(idp))
            if request.method == "PUT":
                return self._write(request, idp_id)
            if request.method == "DELETE":
                if idp["status"] == "ACTIVE":
                    return okta_error(
                        403, "E0000148", "Cannot delete an active Identity Provider; deactivate it first"
                    )
                del self.idps[idp_id]
                return Answer(204)
        elif (
            path.startswith("/api/v1/idps/")
            and path.endswith("/lifecycle/deactivate")
            and request.method == "POST"
        ):
            idp_id = path.split("/")[4]
            if idp_id not in self.idps:
                return okta_error(
                    404, "E0000007", f"Not found: Resource not found: {idp_id} (IdentityProvider)"
                )
            self.idps[idp_id]["status"] = "INACTIVE"
            return Answer(200, self._view(self.idps[idp_id]))
        return okta_error(404, "E0000022", "The endpoint does not support the provided HTTP method")

    def _view(self, idp: JSON) -> JSON:
        view = copy.deepcopy(idp)
        view["_links"] = {"users": {"href": f"{self.url}/api/v1/idps/{idp['id']}/users"}}
        return view

    def _list(self, request: Request) -> Answer:
        found = list(self.idps.values())
        if "q" in request.query:
            found = [i for i in found if i["name"].lower().startswith(request.query["q"].lower())]
        if "type" in request.query:
            found = [i for i in found if i["type"] == request.query["type"]]
        limit = int(request.query.get("limit", "20") or 20)
        return Answer(200, [self._view(i) for i in found[:limit]])

    def _write(self, request: Request, idp_id: str | None) -> Answer:
        if self.fail_next_write is not None:
            status, self.fail_next_write = self.fail_next_write, None
            return okta_error(status, "E0000009", "Internal Server Error")
        try:
            body = request.json()
        except ValueError:
            return okta_error(400, "E0000003", "The request body was not well-formed.")
        causes = _okta_invalid(body)
        if causes:
            return okta_error(400, "E0000001", "Api validation failed: " + causes[0].split(":")[0], causes)
        if idp_id is None:
            return Answer(
                200,
                self._view(self._create(body, body["protocol"]["credentials"]["client"]["client_secret"])),
            )
        idp = self.idps[idp_id]
        if body["type"] != idp["type"]:
            return okta_error(400, "E0000001", "Api validation failed: type", ["type: cannot be changed"])
        keep = {k: idp[k] for k in ("id", "created", "status", "issuerMode")}
        self.idps[idp_id] = {**copy.deepcopy(body), **keep, "lastUpdated": _now()}
        self._secrets[idp_id] = self.hashed(body["protocol"]["credentials"]["client"]["client_secret"])
        self.idps[idp_id]["protocol"]["credentials"]["client"].pop("client_secret")  # kept as a hash only
        return Answer(200, self._view(self.idps[idp_id]))

    def _create(self, body: JSON, secret: str) -> JSON:
        idp_id = "0oa" + "".join(
            random_tokens.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(17)
        )
        now = _now()
        idp = copy.deepcopy(body)
        idp.update(id=idp_id, status="ACTIVE", created=now, lastUpdated=now, issuerMode="ORG_URL")
        idp["protocol"]["credentials"]["client"].pop("client_secret", None)  # kept as a hash only
        idp["protocol"].setdefault(
            "endpoints",
            {
                "authorization": {
                    "url": "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
                    "binding": "HTTP-REDIRECT",
                },
                "token": {
                    "url": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                    "binding": "HTTP-POST",
                },
            },
        )
        self.idps[idp_id] = idp
        self._secrets[idp_id] = self.hashed(secret)
        return idp


def _okta_body(name: str, client_id: str, secret: str) -> JSON:
    return {
        "type": "MICROSOFT",
        "name": name,
        "protocol": {
            "type": "OIDC",
            "scopes": ["openid", "email", "profile"],
            "credentials": {"client": {"client_id": client_id, "client_secret": secret}},
        },
        "policy": {
            "provisioning": {"action": "AUTO", "profileMaster": False, "groups": {"action": "NONE"}},
            "accountLink": {"filter": None, "action": "AUTO"},
            "subject": {"userNameTemplate": {"template": "idpuser.email"}, "matchType": "USERNAME"},
            "maxClockSkew": 0,
        },
    }


def _okta_invalid(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return ["body: must be an Identity Provider object"]
    causes = []
    if body.get("type") not in OKTA_IDP_TYPES:
        causes.append("type: The type is not supported")
    if not isinstance(body.get("name"), str) or not body["name"].strip():
        causes.append("name: The field cannot be left blank")
    protocol: JSON = body["protocol"] if isinstance(body.get("protocol"), dict) else {}
    if body.get("type") == "MICROSOFT" and protocol.get("type") != "OIDC":
        causes.append("protocol.type: Microsoft Identity Providers use the OIDC protocol")
    client = ((protocol.get("credentials") or {}).get("client")) or {}
    for key in ("client_id", "client_secret"):
        if not isinstance(client.get(key), str) or not client.get(key):
            causes.append(f"protocol.credentials.client.{key}: The field cannot be left blank")
    if not isinstance(body.get("policy"), dict) or "subject" not in body["policy"]:
        causes.append("policy.subject: The field cannot be left blank")
    return causes

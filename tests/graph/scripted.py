"""A scripted Graph stand-in on 127.0.0.1: canned replies per (method, path), every request recorded.

For behaviour that needs exact HTTP control (429 + Retry-After, 503 on one call but not another,
replication 404s, a gateway's HTML 502, a dropped connection). The sandbox tenant models Entra;
this models nothing, it only replays what a test scripts.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes sent as is; None -> empty
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    drop: bool = False  # close the connection without answering


def graph_error(
    status: int,
    code: str,
    message: str = "",
    *,
    details: list[str] | None = None,
    request_id: str = "rid-1",
    headers: dict[str, str] | None = None,
) -> Reply:
    """A reply shaped like Graph's error body."""
    error: dict[str, Any] = {
        "code": code,
        "message": message or code,
        "innerError": {"request-id": request_id, "date": "2026-01-01T00:00:00"},
    }
    if details:
        error["details"] = [{"code": c, "message": c, "target": ""} for c in details]
    return Reply(status, {"error": error}, headers=headers or {})


@dataclass(frozen=True)
class Recorded:
    method: str
    raw_path: str  # exactly as on the request line
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def path(self) -> str:
        """Decoded path without the query."""
        return unquote(urlsplit(self.raw_path).path)

    def json(self) -> Any:
        return json.loads(self.body)


class ScriptedGraph:
    def __init__(self) -> None:
        self._script: dict[tuple[str, str], deque[Reply]] = {}
        self.requests: list[Recorded] = []
        self.unexpected: list[str] = []  # requests no reply was scripted for
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else delayed ACKs add ~40 ms per request

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rec = Recorded(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                reply = owner._next(rec)
                if reply.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                payload: bytes
                content_type = reply.content_type
                if isinstance(reply.body, dict | list):
                    payload = json.dumps(reply.body).encode()
                    content_type = content_type or "application/json"
                elif isinstance(reply.body, str):
                    payload = reply.body.encode()
                elif isinstance(reply.body, bytes):
                    payload = reply.body
                else:
                    payload = b""
                self.send_response(reply.status)
                if content_type and payload:
                    self.send_header("Content-Type", content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if payload:
                    self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, method: str, path: str, *replies: Reply) -> None:
        """Queue replies for `method path` (decoded, without `/v1.0` or the query). The last
        reply repeats once the queue is down to it."""
        with self._lock:
            self._script.setdefault((method.upper(), path), deque()).extend(replies)

    def _next(self, rec: Recorded) -> Reply:
        with self._lock:
            self.requests.append(rec)
            path = rec.path.removeprefix("/v1.0")
            queue = self._script.get((rec.method, path))
            if not queue:
                # Answer something so the client does not hang, and fail the test when it ends
                # (the `scripted` fixture): a 500 alone could be retried or swallowed unnoticed.
                self.unexpected.append(f"{rec.method} {rec.raw_path}")
                return graph_error(500, "Unscripted", f"{rec.method} {path} was not scripted")
            return queue.popleft() if len(queue) > 1 else queue[0]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

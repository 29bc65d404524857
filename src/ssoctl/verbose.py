"""`--verbose`: one stderr line per outgoing HTTP request, and never a secret in it.

Redaction is structural first: callers hand over only the method, the URL, the status, the time
taken and named ids (Graph's request-id, the retry attempt). Headers are never passed, bodies
never logged: a Graph body shows only its shape (key names, no values); a token request only its
`grant_type`; a webhook only its host (the --notify URL is itself the secret). One logging
handler then scrubs every line once more, by key, so a future caller that passes more still cannot
print a secret: query parameters and `key=value` / `"key": "value"` pairs whose key names a secret,
Authorization / Cookie / api-key headers, bearer tokens and anything shaped like a JWT.

Imported only when --verbose (or SSOCTL_VERBOSE=1) is on, or by code that is about to send a
request anyway: `ssoctl --help` never loads `logging`. Everything is a no-op while it is off.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

ENV = "SSOCTL_VERBOSE"
LOGGER = logging.getLogger("ssoctl.http")
REDACTED = "[redacted]"

# Keys whose value is a secret wherever they appear: query strings, form bodies, JSON, headers.
SECRET_KEYS = frozenset(
    k.lower()
    for k in (
        "secretText",
        "client_secret",
        "clientSecret",
        "client_assertion",
        "assertion",
        "password",
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "code",
        "device_code",
        "SecretToken",
        "secret",
        "api_key",
        "apikey",
        "api-key",
        "sig",
        "authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
    )
)
_KEY_ALT = "|".join(sorted((re.escape(k) for k in SECRET_KEYS), key=len, reverse=True))
# `key=value`, `key: value`, `"key": "value"`, `'key': 'value'` (a query, a form, JSON, a repr).
_PAIR = re.compile(
    rf"""(?i)(?<![\w-])(["']?)({_KEY_ALT})\1(\s*[:=]\s*)(?!\[redacted\])("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^&\s,;\]\)}}]+)"""
)
_HEADER = re.compile(
    r"(?i)\b(authorization|cookie|set-cookie|api-key|x-api-key|ocp-apim-subscription-key)(\s*:\s*)(.+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic|ssws)\s+[A-Za-z0-9._~+/=-]+")
# A synchronization secret (`{"key": "SecretToken", "value": "…"}`): the value after any key.
_KEYED_VALUE = re.compile(
    r"""(?i)((["'])key\2\s*:\s*(["'])[^"']*\3\s*,\s*(["'])value\4\s*:\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*")


def scrub(text: str) -> str:
    """The line with every secret-named value, header, bearer token and JWT replaced."""
    text = _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    text = _KEYED_VALUE.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(1)}{m.group(3)}{REDACTED}", text)


def shape(value: Any) -> str:
    """A body's shape: its keys, nested, never a value (`{passwordCredential{displayName}}`)."""
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{key}{shape(inner)}" for key, inner in value.items()) + "}"
    if isinstance(value, list):
        return "[" + (shape(value[0]) if value else "") + "]"
    return ""


def safe_url(url: str, *, host: bool = True) -> str:
    """The URL without user info or fragment (host optional), query values of secret keys blanked."""
    parts = urlsplit(url)
    where = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}" if host else ""
    query = "&".join(
        f"{k}={REDACTED if k.lower() in SECRET_KEYS else v}"
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    return f"{where}{parts.path}" + (f"?{query}" if query else "")


def grant_type(form: Any) -> str:
    """`grant_type` of a token request body (dict, bytes or text): the only body field logged."""
    if isinstance(form, Mapping):
        return str(form.get("grant_type", "?"))
    if isinstance(form, bytes):
        form = form.decode("utf-8", errors="replace")
    if isinstance(form, str):
        return dict(parse_qsl(form)).get("grant_type", "?")
    return "?"


class _Scrubbing(logging.Handler):
    """Writes each record, scrubbed, to the stream current at the time (CliRunner swaps stderr)."""

    def __init__(self, stream: Callable[[], TextIO]) -> None:
        super().__init__(logging.DEBUG)
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = scrub(record.getMessage())
            out = self._stream()
            out.write(f"verbose: {line}\n")
            out.flush()
        except Exception:  # logging must never break a command
            self.handleError(record)


def enable(stream: Callable[[], TextIO]) -> None:
    """Turn on: one scrubbing handler on the `ssoctl.http` logger, nothing else configured."""
    disable()
    LOGGER.addHandler(_Scrubbing(stream))
    LOGGER.setLevel(logging.DEBUG)
    LOGGER.propagate = False


def disable() -> None:
    for handler in list(LOGGER.handlers):
        LOGGER.removeHandler(handler)
    LOGGER.setLevel(logging.WARNING)


def is_on() -> bool:
    return LOGGER.isEnabledFor(logging.DEBUG) and bool(LOGGER.handlers)


def _ms(started: float | None) -> str:
    return "" if started is None else f" in {(time.monotonic() - started) * 1000:.0f} ms"


def request(
    service: str, method: str, url: str, status: int | str, *, started: float | None = None, **extra: object
) -> None:
    """`graph GET /v1.0/applications?$filter=… -> 200 in 35 ms (request-id=…)`."""
    if not is_on():
        return
    details = ", ".join(f"{k.replace('_', '-')}={v}" for k, v in extra.items() if v not in (None, ""))
    LOGGER.debug(
        "%s %s %s -> %s%s%s", service, method, url, status, _ms(started), f" ({details})" if details else ""
    )


def token_request(url: str, form: Any, status: int | str, *, started: float | None = None) -> None:
    """A token request: the endpoint's host and path, its grant_type and status; never the body."""
    if is_on():
        request("token", "POST", safe_url(url), status, started=started, grant_type=grant_type(form))


def host_only(
    service: str, method: str, url: str, status: int | str, *, started: float | None = None
) -> None:
    """A request whose URL is itself a secret (a webhook): the host, nothing else."""
    if is_on():
        request(service, method, urlsplit(url.strip()).hostname or "?", status, started=started)


# ---- hooks for the HTTP clients that are not called directly ---------------------------------

_attempt: Any = None  # contextvars.ContextVar[int], made on first use


def set_attempt(number: int) -> None:
    """The retry attempt of the Graph request about to be sent (read by the httpx hook)."""
    global _attempt
    if _attempt is None:
        import contextvars

        _attempt = contextvars.ContextVar("ssoctl_attempt", default=1)
    _attempt.set(number)


def _current_attempt() -> int:
    return 1 if _attempt is None else int(_attempt.get())


def hook_graph_client(http: Any) -> None:
    """Event hooks on msgraph-sdk's httpx.AsyncClient: one line per response."""
    started: dict[int, float] = {}

    async def on_request(req: Any) -> None:
        started[id(req)] = time.monotonic()

    async def on_response(resp: Any) -> None:
        req = resp.request
        body = ""
        if req.content and "json" in req.headers.get("content-type", ""):
            import json

            try:
                body = shape(json.loads(req.content))
            except ValueError:
                body = "(not JSON)"
        request(
            "graph",
            req.method,
            safe_url(str(req.url), host=False),
            resp.status_code,
            started=started.pop(id(req), None),
            body=body,
            request_id=resp.headers.get("request-id"),
            client_request_id=resp.headers.get("client-request-id") or req.headers.get("client-request-id"),
            attempt=_current_attempt(),
        )

    http.event_hooks["request"].append(on_request)
    http.event_hooks["response"].append(on_response)


def graph_failure(method: str, url: str, error: BaseException) -> None:
    """A Graph request that got no answer (connection reset, timeout): no response hook runs."""
    request(
        "graph",
        method,
        safe_url(url, host=False),
        f"no answer ({type(error).__name__})",
        attempt=_current_attempt(),
    )


def azure_identity_hooks() -> dict[str, Any]:
    """`raw_request_hook` / `raw_response_hook` for azure-identity credentials (token requests),
    or nothing while verbose is off."""
    if not is_on():
        return {}

    def on_request(pipeline_request: Any) -> None:
        pipeline_request.context["ssoctl_started"] = time.monotonic()

    def on_response(pipeline_response: Any) -> None:
        req = pipeline_response.http_request
        status = pipeline_response.http_response.status_code
        started = pipeline_response.context.get("ssoctl_started")
        if req.method == "POST":
            form = getattr(req, "_data", None) or getattr(req, "data", None) or getattr(req, "content", None)
            token_request(str(req.url), form, status, started=started)
        else:
            request("login", req.method, safe_url(str(req.url)), status, started=started)

    return {"raw_request_hook": on_request, "raw_response_hook": on_response}


def msal_options() -> dict[str, Any]:
    """`http_client=` for MSAL (`ssoctl login`, the login cache's refresh): a requests.Session that
    logs each request, set up as MSAL sets up its own (one retry); nothing while verbose is off."""
    if not is_on():
        return {}
    import requests

    class _Logged(requests.Session):
        def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            method, url = (
                str(method.decode() if isinstance(method, bytes) else method),
                str(url.decode() if isinstance(url, bytes) else url),
            )
            try:
                response = super().request(method, url, *args, **kwargs)
            except requests.RequestException as exc:
                request("login", method, safe_url(url), f"no answer ({type(exc).__name__})", started=started)
                raise
            if method.upper() == "POST" and urlsplit(url).path.endswith("/token"):
                token_request(url, kwargs.get("data"), response.status_code, started=started)
            else:
                request("login", method, safe_url(url), response.status_code, started=started)
            return response

    session = _Logged()
    retry_once = requests.adapters.HTTPAdapter(max_retries=1)
    session.mount("http://", retry_once)
    session.mount("https://", retry_once)
    return {"http_client": session}

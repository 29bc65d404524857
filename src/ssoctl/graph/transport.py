"""The request core under every Graph call: msgraph-sdk's pipeline, ssoctl's retries, raw JSON.

The SDK builds URLs (request builders), authenticates (kiota's azure-identity provider) and
sends (its httpx pipeline). ssoctl itself writes the JSON request bodies, reads responses as raw
bytes into dicts, and owns the retry rules (`graph.retry`), because:
- typed response models import ~1,200 modules (+1.2 s) on first use;
- serialising through typed request models cannot send an explicit `null` as written;
- the SDK's RetryHandler also retries POST, which for addPassword would issue a second secret.

Apply runs independent resources at the same time, so each thread gets its own event loop and
HTTP client (an httpx client belongs to one loop); they share the credential and its token cache.
Only graph/ imports msgraph-sdk; import it only when a command talks to Graph.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_builder import BaseRequestBuilder
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.middleware.options import RetryHandlerOption
from msgraph_core import GraphClientFactory

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_request_adapter import options as graph_default_options
    from msgraph.graph_service_client import GraphServiceClient

from ssoctl import verbose
from ssoctl.config import GRAPH_TIMEOUT_DEFAULT, check_base_url, is_loopback_host
from ssoctl.errors import GraphError, SsoctlError
from ssoctl.graph.api import JSON
from ssoctl.graph.auth import SIGN_IN_HINT, TokenCredentialLike
from ssoctl.graph.errors import HINT_403, failure_from_api_error, graph_error, sign_in_failed
from ssoctl.graph.lag import SETTLE_MAX_WAIT
from ssoctl.graph.retry import RESOURCE_NOT_FOUND, Failure, RetryState, next_wait

# Sending these twice leaves the tenant as sending them once: a lost answer may be retried.
REPEATABLE_METHODS = (Method.GET, Method.PATCH)

T = TypeVar("T")

GLOBAL_GRAPH_SCOPE = "https://graph.microsoft.com/.default"
CONNECT_TIMEOUT = 10.0  # seconds to open a connection (no more than the request timeout)
ERROR_MAP: dict[str, Any] = {"XXX": ODataError}


def no_sdk_retries() -> RetryHandlerOption:
    return RetryHandlerOption(delay=0, max_retries=0, should_retry=False)


def encode_json(body: JSON) -> bytes:
    """The exact bytes sent for a request body: compact UTF-8 JSON, `None` as `null`."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def odata_key(value: str) -> str:
    """An OData string key literal's content: single quotes are doubled."""
    return value.replace("'", "''")


def odata_string(value: str) -> str:
    """An OData string literal for `$filter`: quoted, single quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


class _KiotaCredential:
    """Adapts any `get_token` to what kiota's provider accepts: it sends no Authorization header
    unless the result is an `azure.core.credentials.AccessToken` instance."""

    def __init__(self, inner: TokenCredentialLike) -> None:
        self.inner = inner
        self._lock = threading.Lock()  # one sign-in at a time, even with parallel requests

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        with self._lock:
            token = self.inner.get_token(*scopes, **kwargs)
        if isinstance(token, AccessToken):
            return token
        return AccessToken(str(token.token), int(token.expires_on))


@dataclass
class _Session:
    """One thread's event loop, HTTP client and SDK client."""

    loop: asyncio.AbstractEventLoop
    http: httpx.AsyncClient
    adapter: GraphRequestAdapter
    client: GraphServiceClient


@dataclass(frozen=True)
class Call:
    """How one logical request may be retried (see graph.retry)."""

    what: str  # for messages: "reading application 'x'"
    expect_body: bool
    by_object_id: bool = False  # a 404 may be replication lag of an object just created
    issues_secret: bool = False  # addPassword: never repeated where Graph may have acted
    references_new_object: bool = False
    accept: Callable[[Failure], bool] | None = None  # a failure that means "done" (-> None)
    hint_403: str = HINT_403


class GraphTransport:
    """Sends requests built from msgraph-sdk request builders, with ssoctl's retry rules."""

    def __init__(
        self,
        base_url: str,
        credential: TokenCredentialLike,
        *,
        sleep: Callable[[float], None] = time.sleep,
        tenant_hint: str | None = None,
        max_wait: float = 60.0,
        timeout: float = GRAPH_TIMEOUT_DEFAULT,
    ) -> None:
        self._base = check_base_url(base_url, what="Microsoft Graph endpoint")
        self._host = (urlsplit(self._base).hostname or "").lower()
        # A loopback sandbox stands in for global Graph: ask for a token for the real resource.
        scope = GLOBAL_GRAPH_SCOPE if is_loopback_host(self._host) else f"{self._base}/.default"
        self._scopes = [scope]
        self._credential = _KiotaCredential(credential)
        self._sleep = sleep
        self._tenant_hint = tenant_hint
        self._max_wait = max_wait
        self._timeout = timeout
        self._local = threading.local()
        self._sessions: list[_Session] = []
        self._sessions_lock = threading.Lock()
        self._closed = False

    # ---- per-thread sessions ---------------------------------------------------------------

    def _session(self) -> _Session:
        session: _Session | None = getattr(self._local, "session", None)
        if session is None:
            if self._closed:
                raise RuntimeError("the Graph client is closed")
            auth = AzureIdentityAuthenticationProvider(
                self._credential, scopes=self._scopes, allowed_hosts=[self._host]
            )
            options = dict(graph_default_options)
            options[RetryHandlerOption.get_key()] = no_sdk_retries()
            # An explicit timeout (SSOCTL_GRAPH_TIMEOUT) instead of kiota's 100 s: a request
            # Graph holds on to ends, and is handled as an answer lost after Graph may have acted.
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, CONNECT_TIMEOUT)),
                http2=True,
            )
            http = GraphClientFactory.create_with_default_middleware(client=client, options=options)
            if verbose.is_on():
                verbose.hook_graph_client(http)
            adapter = GraphRequestAdapter(auth, client=http)
            adapter.base_url = f"{self._base}/v1.0"  # no trailing slash, or URLs get `//`
            session = _Session(
                asyncio.new_event_loop(), http, adapter, GraphServiceClient(request_adapter=adapter)
            )
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    @property
    def _client(self) -> GraphServiceClient:
        """The SDK client of this thread: request builders only, never its send methods."""
        return self._session().client

    def close(self) -> None:
        self._closed = True
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            if session.loop.is_closed():
                continue
            try:
                session.loop.run_until_complete(session.http.aclose())
            finally:
                session.loop.close()

    # ---- building requests -----------------------------------------------------------------

    @staticmethod
    def _prepare(info: RequestInformation) -> RequestInformation:
        info.add_request_options([no_sdk_retries()])
        return info

    def _get_info(self, builder: Any, query: Any = None) -> RequestInformation:
        cfg: RequestConfiguration[Any] = RequestConfiguration(query_parameters=query)
        return self._prepare(builder.to_get_request_information(cfg))

    def _delete_info(self, builder: Any) -> RequestInformation:
        return self._prepare(builder.to_delete_request_information())

    def _with_body(
        self,
        builder: BaseRequestBuilder,
        method: Method,
        body: JSON,
        *,
        headers: dict[str, str] | None = None,
    ) -> RequestInformation:
        """A request for `builder`'s URL carrying exactly `encode_json(body)`."""
        info = RequestInformation(method, builder.url_template, dict(builder.path_parameters))
        info.headers.try_add("Accept", "application/json")
        for name, value in (headers or {}).items():
            info.headers.add(name, value)
        info.headers.try_add("Content-Type", "application/json")
        info.content = encode_json(body)
        return self._prepare(info)

    # ---- sending ---------------------------------------------------------------------------

    async def _send(self, session: _Session, info: RequestInformation, expect_body: bool) -> bytes | None:
        if expect_body:
            raw = await session.adapter.send_primitive_async(info, "bytes", ERROR_MAP)
            return raw if isinstance(raw, bytes) else None
        await session.adapter.send_no_response_content_async(info, ERROR_MAP)
        return None

    def _call(self, call: Call, build: Callable[[], RequestInformation]) -> bytes | None:
        """Send a freshly built request until it succeeds, `accept`s a failure (-> None), or the
        retry rules give up (-> GraphError). Every wait goes through the injected `sleep`."""
        state = RetryState()
        session = self._session()
        while True:
            info = build()
            verbose.set_attempt(len(state.waits) + 1)
            try:
                return session.loop.run_until_complete(self._send(session, info, call.expect_body))
            except SsoctlError:
                raise
            except APIError as exc:
                failure = failure_from_api_error(exc)
            except httpx.TransportError as exc:
                verbose.graph_failure(str(info.http_method.value), info.url, exc)
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
                timed_out = isinstance(exc, httpx.TimeoutException) and not never_sent
                message = f"no answer within {self._timeout:g} s" if timed_out else type(exc).__name__
                failure = Failure(status=0, message=message, sent=not never_sent, timed_out=timed_out)
            except ClientAuthenticationError as exc:  # a credential not wrapped by graph.auth
                raise sign_in_failed(exc, SIGN_IN_HINT) from None
            if call.accept is not None and call.accept(failure):
                return None
            if call.issues_secret and failure.sent and (failure.status == 0 or failure.status >= 500):
                raise graph_error(call.what, failure, host=self._host, unknown=True)
            wait = next_wait(
                failure,
                state,
                by_object_id=call.by_object_id,
                issues_secret=call.issues_secret,
                references_new_object=call.references_new_object,
                repeatable=info.http_method in REPEATABLE_METHODS,
                max_wait=self._max_wait,
            )
            if wait is None:
                raise graph_error(
                    call.what, failure, host=self._host, retried=bool(state.waits), hint_403=call.hint_403
                )
            self._sleep(wait)

    def _settled(self, read: Callable[[], T], caught_up: Callable[[T], bool]) -> T:
        """`read()` again, with the replication back-off, while its answer lacks what ssoctl
        wrote itself (`caught_up` says False), for at most SETTLE_MAX_WAIT seconds of waiting;
        then the last answer stands (graph.lag)."""
        state = RetryState()
        not_yet = Failure(status=404, code=RESOURCE_NOT_FOUND, message="not replicated yet")
        budget = min(self._max_wait, SETTLE_MAX_WAIT)
        while True:
            value = read()
            if caught_up(value):
                return value
            wait = next_wait(not_yet, state, by_object_id=True, max_wait=budget)
            if wait is None:
                return value
            self._sleep(wait)

    def _json(self, raw: bytes | None, what: str) -> JSON:
        try:
            doc = json.loads(raw or b"")
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise GraphError(
                f"Microsoft Graph sent an unreadable {what}",
                status=200,
                hint="something other than Microsoft Graph may have answered (a proxy or gateway): check SSOCTL_GRAPH_ENDPOINT and HTTPS_PROXY, then run the command again",
            ) from None
        return doc

    def _get_json(self, call: Call, build: Callable[[], RequestInformation]) -> JSON | None:
        raw = self._call(call, build)
        return None if raw is None else self._json(raw, f"answer while {call.what}")

    def _page(self, link: str) -> Callable[[], RequestInformation]:
        """A builder for the next page: Graph's `@odata.nextLink`, sent as it is."""

        def build() -> RequestInformation:
            info = RequestInformation(Method.GET)
            info.url = link
            info.headers.try_add("Accept", "application/json")
            return self._prepare(info)

        return build

    def _list(
        self,
        what: str,
        build: Callable[[], RequestInformation],
        *,
        limit: int = 50,
        hint_403: str = HINT_403,
        by_object_id: bool = False,
    ) -> list[JSON]:
        """A collection, following `@odata.nextLink` (at most `limit` pages: a bound, not a cap
        anyone should reach with ssoctl's filters). `by_object_id`: the path names an object by
        id (`/servicePrincipals/{id}/appRoleAssignments`), so a 404 may be its replication lag."""
        items: list[JSON] = []
        page = build
        call = Call(what, expect_body=True, hint_403=hint_403, by_object_id=by_object_id)
        for _ in range(limit):
            doc = self._json(self._call(call, page), what)
            values = doc.get("value")
            if not isinstance(values, list):
                raise GraphError(
                    f"Microsoft Graph sent an unreadable list while {what}",
                    status=200,
                    hint="something other than Microsoft Graph may have answered (a proxy or gateway): check SSOCTL_GRAPH_ENDPOINT and HTTPS_PROXY, then run the command again",
                )
            items += [v for v in values if isinstance(v, dict)]
            link = doc.get("@odata.nextLink")
            if not isinstance(link, str) or not link:
                return items
            page = self._page(link)
        raise GraphError(
            f"{what}: more than {limit} pages of results",
            status=200,
            hint="the tenant holds more matching objects than ssoctl expects; please report it with the request above",
        )

"""`SdkGraph`: the `GraphApi` calls over msgraph-sdk, used lightly.

The SDK builds URLs (request builders), authenticates (kiota's azure-identity provider) and
sends (its httpx pipeline). ssoctl itself writes the JSON request bodies, reads responses as raw
bytes into dicts, and owns the retry rules (`graph.retry`), because:
- typed response models import ~1,200 modules (+1.2 s) on first use;
- serialising through typed request models cannot send an explicit `null` as written;
- the SDK's RetryHandler also retries POST, which for addPassword would issue a second secret.

This is the only module that imports msgraph-sdk; import it only when a command talks to Graph.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import time
import warnings
from collections.abc import Callable, Coroutine
from datetime import datetime, timezone
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

# The generated request builders call warnings.warn() in their class bodies (deprecated
# per-builder RequestConfiguration classes): import the few ssoctl uses once, quietly, here.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    for _module in (
        "msgraph.generated.applications.applications_request_builder",
        "msgraph.generated.applications.item.application_item_request_builder",
        "msgraph.generated.applications.item.add_password.add_password_request_builder",
        "msgraph.generated.applications.item.remove_password.remove_password_request_builder",
    ):
        importlib.import_module(_module)
    from msgraph.generated.applications_with_unique_name.applications_with_unique_name_request_builder import (
        ApplicationsWithUniqueNameRequestBuilder,
    )
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.organization.organization_request_builder import (
        OrganizationRequestBuilder,
    )
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_request_adapter import options as graph_default_options
    from msgraph.graph_service_client import GraphServiceClient

from ssoctl.config import check_base_url, is_loopback_host
from ssoctl.credentials import IssuedSecret, Secret
from ssoctl.errors import AuthError, GraphError, SsoctlError
from ssoctl.graph.api import APPLICATION_SELECT, JSON
from ssoctl.graph.auth import SIGN_IN_HINT, TokenCredentialLike, is_guid, token_claims
from ssoctl.graph.mapping import graph_datetime, parse_graph_datetime
from ssoctl.graph.retry import Failure, GraphOutcomeUnknown, RetryState, next_wait

T = TypeVar("T")

GLOBAL_GRAPH_SCOPE = "https://graph.microsoft.com/.default"
ERROR_MAP: dict[str, Any] = {"XXX": ODataError}
HINT_401 = (
    "Microsoft Graph refused the access token (expired, or issued for another API or tenant): "
    "sign in again, or get a fresh SSOCTL_ACCESS_TOKEN with "
    "`az account get-access-token --resource-type ms-graph`"
)
# Tenant app-management policies (GRAPH.md "Client secrets"): say plainly what the tenant forbids.
POLICY_HINTS = {
    "CredentialInvalidLifetimeAsPerAppPolicy": (
        "your tenant's app management policy caps client secret lifetime: run again with a "
        "smaller --secret-days (ask your admin for the limit)"
    ),
    "CredentialTypeNotAllowedAsPerAppPolicy": (
        "your tenant's app management policy forbids client secrets on applications: ask your "
        "admin for an exemption for this app"
    ),
}
HINT_403 = (
    "sign in with an account that has the Application Administrator or Cloud Application "
    "Administrator role, or grant Application.ReadWrite.All (with admin consent)"
)


def _no_sdk_retries() -> RetryHandlerOption:
    return RetryHandlerOption(delay=0, max_retries=0, should_retry=False)


def encode_json(body: JSON) -> bytes:
    """The exact bytes sent for a request body: compact UTF-8 JSON, `None` as `null`."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def odata_key(value: str) -> str:
    """An OData string key literal's content: single quotes are doubled."""
    return value.replace("'", "''")


class _KiotaCredential:
    """Adapts any `get_token` to what kiota's provider accepts: it sends no Authorization header
    unless the result is an `azure.core.credentials.AccessToken` instance."""

    def __init__(self, inner: TokenCredentialLike) -> None:
        self.inner = inner

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        token = self.inner.get_token(*scopes, **kwargs)
        if isinstance(token, AccessToken):
            return token
        return AccessToken(str(token.token), int(token.expires_on))


class SdkGraph:
    """`GraphApi` over msgraph-sdk. Sync methods; one private event loop per instance."""

    def __init__(
        self,
        base_url: str,
        credential: TokenCredentialLike,
        *,
        sleep: Callable[[float], None] = time.sleep,
        tenant_hint: str | None = None,
        max_wait: float = 60.0,
    ) -> None:
        self._base = check_base_url(base_url, what="Microsoft Graph endpoint")
        self._host = (urlsplit(self._base).hostname or "").lower()
        # A loopback sandbox stands in for global Graph: ask for a token for the real resource.
        scope = GLOBAL_GRAPH_SCOPE if is_loopback_host(self._host) else f"{self._base}/.default"
        self._scopes = [scope]
        self._credential = _KiotaCredential(credential)
        self._sleep = sleep
        self._tenant_hint = tenant_hint
        self._tenant: str | None = None
        self._max_wait = max_wait
        self._loop = asyncio.new_event_loop()

        auth = AzureIdentityAuthenticationProvider(
            self._credential, scopes=self._scopes, allowed_hosts=[self._host]
        )
        options = dict(graph_default_options)
        options[RetryHandlerOption.get_key()] = _no_sdk_retries()
        self._http = GraphClientFactory.create_with_default_middleware(options=options)
        adapter = GraphRequestAdapter(auth, client=self._http)
        adapter.base_url = f"{self._base}/v1.0"  # no trailing slash, or URLs get `//`
        self._adapter = adapter
        self._client = GraphServiceClient(request_adapter=adapter)

    # ---- GraphApi -------------------------------------------------------------------------

    def tenant_id(self) -> str:
        if self._tenant is None:
            try:
                token = self._credential.get_token(*self._scopes).token
            except ClientAuthenticationError as exc:
                raise _sign_in_failed(exc) from None
            tid = token_claims(token).get("tid")
            if isinstance(tid, str) and tid:
                self._tenant = tid
            elif self._tenant_hint and is_guid(self._tenant_hint):
                self._tenant = self._tenant_hint
            else:
                self._tenant = self._organization_id()
        return self._tenant

    def get_application(self, unique_name: str) -> JSON | None:
        builder = self._by_unique_name(unique_name)
        query = ApplicationsWithUniqueNameRequestBuilder.ApplicationsWithUniqueNameRequestBuilderGetQueryParameters(
            select=list(APPLICATION_SELECT)
        )

        def build() -> RequestInformation:
            cfg: RequestConfiguration[Any] = RequestConfiguration(query_parameters=query)
            return self._prepare(builder.to_get_request_information(cfg))

        raw = self._call(
            f"reading application {unique_name!r}",
            build,
            expect_body=True,
            accept=lambda f: f.status == 404,
        )
        return None if raw is None else self._json(raw, f"application {unique_name!r}")

    def upsert_application(self, unique_name: str, body: JSON) -> JSON | None:
        builder = self._by_unique_name(unique_name)
        raw = self._call(
            f"creating or updating application {unique_name!r}",
            lambda: self._with_body(builder, Method.PATCH, body, headers={"Prefer": "create-if-missing"}),
            expect_body=True,
        )
        return self._json(raw, f"application {unique_name!r}") if raw else None

    def update_application(self, object_id: str, body: JSON) -> None:
        builder = self._client.applications.by_application_id(object_id)
        self._call(
            f"updating application {object_id}",
            lambda: self._with_body(builder, Method.PATCH, body),
            expect_body=False,
            by_object_id=True,
        )

    def add_password(self, object_id: str, display_name: str, end: datetime) -> IssuedSecret:
        builder = self._client.applications.by_application_id(object_id).add_password
        body = {"passwordCredential": {"displayName": display_name, "endDateTime": graph_datetime(end)}}
        what = f"adding a client secret to application {object_id}"
        raw = self._call(
            what,
            lambda: self._with_body(builder, Method.POST, body),
            expect_body=True,
            by_object_id=True,
            issues_secret=True,
        )
        return self._issued_secret(raw, display_name, end, what)

    def remove_password(self, object_id: str, key_id: str) -> None:
        builder = self._client.applications.by_application_id(object_id).remove_password
        self._call(
            f"removing client secret {key_id} from application {object_id}",
            lambda: self._with_body(builder, Method.POST, {"keyId": key_id}),
            expect_body=False,
            by_object_id=True,
            accept=lambda f: _password_already_gone(f, key_id),
        )

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self._loop.run_until_complete(self._http.aclose())
        finally:
            self._loop.close()

    def __enter__(self) -> SdkGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- requests -------------------------------------------------------------------------

    def _by_unique_name(self, unique_name: str) -> ApplicationsWithUniqueNameRequestBuilder:
        return self._client.applications_with_unique_name(odata_key(unique_name))

    def _organization_id(self) -> str:
        query = OrganizationRequestBuilder.OrganizationRequestBuilderGetQueryParameters(select=["id"])

        def build() -> RequestInformation:
            cfg: RequestConfiguration[Any] = RequestConfiguration(query_parameters=query)
            return self._prepare(self._client.organization.to_get_request_information(cfg))

        raw = self._call("reading the tenant ID", build, expect_body=True)
        doc = self._json(raw, "organization")
        values = doc.get("value")
        if isinstance(values, list) and values and isinstance(values[0], dict):
            tid = values[0].get("id")
            if isinstance(tid, str) and tid:
                return tid
        raise GraphError("GET /organization returned no tenant ID", status=200)

    @staticmethod
    def _prepare(info: RequestInformation) -> RequestInformation:
        info.add_request_options([_no_sdk_retries()])
        return info

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

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coro)

    async def _send(self, info: RequestInformation, expect_body: bool) -> bytes | None:
        if expect_body:
            raw = await self._adapter.send_primitive_async(info, "bytes", ERROR_MAP)
            return raw if isinstance(raw, bytes) else None
        await self._adapter.send_no_response_content_async(info, ERROR_MAP)
        return None

    def _call(
        self,
        what: str,
        build: Callable[[], RequestInformation],
        *,
        expect_body: bool,
        by_object_id: bool = False,
        issues_secret: bool = False,
        accept: Callable[[Failure], bool] | None = None,
    ) -> bytes | None:
        """Send a freshly built request until it succeeds, `accept`s a failure (-> None), or the
        retry rules give up (-> GraphError). Every wait goes through the injected `sleep`."""
        state = RetryState()
        while True:
            try:
                return self._run(self._send(build(), expect_body))
            except SsoctlError:
                raise
            except APIError as exc:
                failure = _failure_from_api_error(exc)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                failure = Failure(status=0, message=type(exc).__name__, sent=not never_sent)
            except ClientAuthenticationError as exc:  # a credential not wrapped by graph.auth
                raise _sign_in_failed(exc) from None
            if accept is not None and accept(failure):
                return None
            if issues_secret and failure.sent and (failure.status == 0 or failure.status >= 500):
                raise self._error(what, failure, unknown=True)
            wait = next_wait(
                failure,
                state,
                by_object_id=by_object_id,
                issues_secret=issues_secret,
                max_wait=self._max_wait,
            )
            if wait is None:
                raise self._error(what, failure, retried=bool(state.waits))
            self._sleep(wait)

    # ---- responses and errors -------------------------------------------------------------

    def _json(self, raw: bytes | None, what: str) -> JSON:
        try:
            doc = json.loads(raw or b"")
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise GraphError(f"Microsoft Graph sent an unreadable {what}", status=200) from None
        return doc

    def _issued_secret(self, raw: bytes | None, display_name: str, end: datetime, what: str) -> IssuedSecret:
        # The body holds the secret text: never let it reach an exception, message or log.
        try:
            doc = json.loads(raw or b"")
        except ValueError:
            doc = None
        text = doc.get("secretText") if isinstance(doc, dict) else None
        key_id = doc.get("keyId") if isinstance(doc, dict) else None
        if not isinstance(doc, dict) or not isinstance(text, str) or not isinstance(key_id, str):
            raise GraphOutcomeUnknown(
                f"{what}: Microsoft Graph answered without a readable secret",
                status=200,
                hint="a secret may have been created that nobody holds: look for credentials "
                f"named {display_name!r} on the application and remove them",
            ) from None
        end_text = doc.get("endDateTime")
        try:
            end_at = parse_graph_datetime(end_text) if isinstance(end_text, str) else end
        except ValueError:
            end_at = end
        if end_at.tzinfo is None:
            end_at = end_at.replace(tzinfo=timezone.utc)
        name = doc.get("displayName")
        hint = doc.get("hint")
        return IssuedSecret(
            key_id=key_id,
            display_name=name if isinstance(name, str) else display_name,
            end=end_at,
            hint=hint if isinstance(hint, str) else text[:3],
            text=Secret(text),
        )

    def _error(
        self, what: str, failure: Failure, *, unknown: bool = False, retried: bool = False
    ) -> GraphError:
        status = failure.status
        message = f"{what}: {failure.message or f'HTTP {status}'}"
        hint: str | None = None
        if status == 0:
            message = f"{what}: could not reach Microsoft Graph at {self._host} ({failure.message})"
            hint = (
                f"check the network connection to {self._host}, proxy settings "
                "(HTTPS_PROXY/NO_PROXY) and SSOCTL_GRAPH_ENDPOINT"
            )
        elif status == 401:
            hint = HINT_401
        elif status == 403:
            hint = HINT_403
        elif status == 429:
            hint = "Microsoft Graph is throttling requests: wait a minute and run the command again"
        elif status == 404 and retried:
            hint = "the object was just created and is not visible yet: run the command again in a minute"
        elif status >= 500:
            hint = "Microsoft Graph had a problem: run the command again (it is safe to repeat)"
        if failure.code in POLICY_HINTS:
            hint = POLICY_HINTS[failure.code]
        if unknown:
            hint = (
                "Microsoft Graph may have created the secret anyway: run the command again, and "
                "remove any credential on the application that no store holds"
            )
            return GraphOutcomeUnknown(
                message, status=status, graph_code=failure.code, request_id=failure.request_id, hint=hint
            )
        return GraphError(
            message, status=status, graph_code=failure.code, request_id=failure.request_id, hint=hint
        )


def _sign_in_failed(exc: ClientAuthenticationError) -> AuthError:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    return AuthError(f"sign-in failed: {text}", hint=SIGN_IN_HINT)


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None and isinstance(headers, dict):
        lowered = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    return str(value) if value is not None else None


def _failure_from_api_error(exc: APIError) -> Failure:
    """Graph's code, message and request-id from an ODataError; a plain APIError (a body that
    was not JSON, e.g. a gateway's HTML page) has no `.error` and gets a neutral message."""
    status = exc.response_status_code or 0
    headers = exc.response_headers
    code = message = request_id = ""
    details: tuple[str, ...] = ()
    main = getattr(exc, "error", None)
    if main is not None:
        code = main.code or ""
        message = main.message or ""
        details = tuple(d.code for d in (main.details or []) if getattr(d, "code", None))
        inner = main.inner_error
        request_id = (inner.request_id or "") if inner is not None else ""
    if not message:
        message = f"HTTP {status} with no readable error message"
    request_id = request_id or _header(headers, "request-id") or ""
    return Failure(
        status=status,
        code=code,
        message=message.strip()[:500],
        request_id=request_id,
        detail_codes=details,
        retry_after=_header(headers, "Retry-After"),
    )


_GONE = re.compile(
    r"\b(password|credential|key ?id)\b.*\b(not found|does not exist|doesn't exist|no longer exists)",
    re.IGNORECASE,
)


def _password_already_gone(failure: Failure, key_id: str) -> bool:
    """removePassword for a keyId the application no longer has: the goal is met.

    Graph's documentation does not specify this answer; treat a 400/404 whose message names the
    keyId, or says a password/credential does not exist, as "already removed". A 404 about the
    application itself (replication lag, or a wrong object id) is not this case.
    """
    if failure.status not in (400, 404):
        return False
    return key_id.lower() in failure.message.lower() or bool(_GONE.search(failure.message))

"""SdkGraph (real msgraph-sdk, real HTTP) against a scripted loopback server: wire format, retries, errors."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ssoctl.errors import EXIT_AUTH, AuthError, GraphError, UsageError
from ssoctl.graph.api import APPLICATION_SELECT
from ssoctl.graph.auth import GuardedCredential, StaticToken
from ssoctl.graph.client import SdkGraph, encode_json
from ssoctl.graph.retry import GraphOutcomeUnknown
from tests.graph.conftest import TENANT, RecordingCredential, Sleeps, make_jwt
from tests.graph.scripted import Reply, ScriptedGraph, graph_error
from tests.support.emnify import GUIDE_BODY

APP = "/applications(uniqueName='ssoctl-emnify')"
EMNIFY_BODY: dict[str, Any] = GUIDE_BODY
END = datetime(2027, 5, 21, tzinfo=UTC)


def _secret_reply(**extra: Any) -> Reply:
    body = {
        "customKeyIdentifier": None,
        "displayName": "ssoctl emnify",
        "endDateTime": "2027-05-21T00:00:00.1234567Z",
        "hint": "abc",
        "keyId": "key-1",
        "secretText": "abc-very-secret-text",
        "startDateTime": "2025-05-21T00:00:00Z",
    }
    body.update(extra)
    return Reply(200, body)


# ---- wire format ------------------------------------------------------------------------


def test_get_application_wire(scripted: ScriptedGraph, make_graph: Any, credential: Any) -> None:
    scripted.script("GET", APP, Reply(200, {"id": "obj-1", "appId": "app-1"}))
    graph = make_graph(scripted.url)

    assert graph.get_application("ssoctl-emnify") == {"id": "obj-1", "appId": "app-1"}

    (req,) = scripted.requests
    assert req.raw_path == (
        "/v1.0/applications(uniqueName='ssoctl-emnify')?$select=" + ",".join(APPLICATION_SELECT)
    )
    assert req.headers["authorization"] == f"Bearer {credential.token}"
    assert req.headers["accept"] == "application/json"
    # a loopback sandbox stands in for global Graph: the token is asked for the real resource
    assert credential.calls[0][0] == ("https://graph.microsoft.com/.default",)


def test_get_application_missing_is_none(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("GET", APP, graph_error(404, "Request_ResourceNotFound"))
    graph = make_graph(scripted.url)
    assert graph.get_application("ssoctl-emnify") is None
    assert len(scripted.requests) == 1


def test_upsert_sends_exact_bytes_and_prefer(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("PATCH", APP, Reply(201, {"id": "obj-1", "appId": "app-1"}))
    graph = make_graph(scripted.url)

    assert graph.upsert_application("ssoctl-emnify", EMNIFY_BODY) == {"id": "obj-1", "appId": "app-1"}

    (req,) = scripted.requests
    assert req.method == "PATCH"
    assert req.raw_path == "/v1.0/applications(uniqueName='ssoctl-emnify')"
    assert req.headers["prefer"] == "create-if-missing"
    assert req.headers["content-type"] == "application/json"
    assert req.body == encode_json(EMNIFY_BODY)
    assert b'"source":null' in req.body
    assert req.json() == EMNIFY_BODY


def test_upsert_existing_is_none(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("PATCH", APP, Reply(204))
    assert make_graph(scripted.url).upsert_application("ssoctl-emnify", {"displayName": "x"}) is None


def test_unique_name_quote_is_escaped(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("GET", "/applications(uniqueName='o''brien')", Reply(200, {"id": "x"}))
    assert make_graph(scripted.url).get_application("o'brien") == {"id": "x"}


def test_trailing_slash_in_base_url(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("PATCH", "/applications/obj-1", Reply(204))
    make_graph(scripted.url + "/").update_application("obj-1", {"identifierUris": ["api://a"]})
    assert scripted.requests[0].raw_path == "/v1.0/applications/obj-1"


def test_token_sent_for_localhost_name(scripted: ScriptedGraph, make_graph: Any, credential: Any) -> None:
    """allowed_hosts must match the base URL's host, or kiota silently sends no token."""
    scripted.script("PATCH", "/applications/obj-1", Reply(204))
    port = scripted.url.rsplit(":", 1)[1]
    make_graph(f"http://localhost:{port}").update_application("obj-1", {"a": 1})
    assert scripted.requests[0].headers.get("authorization") == f"Bearer {credential.token}"


def test_plain_credential_result_still_sends_token(scripted: ScriptedGraph, make_graph: Any) -> None:
    """kiota drops tokens that are not azure-core AccessToken instances; SdkGraph adapts them."""

    class Tok:
        token = "plain-token"
        expires_on = 4_000_000_000

    class Cred:
        def get_token(self, *scopes: str, **kw: Any) -> Any:
            return Tok()

    scripted.script("PATCH", "/applications/obj-1", Reply(204))
    make_graph(scripted.url, credential=Cred()).update_application("obj-1", {"a": 1})
    assert scripted.requests[0].headers["authorization"] == "Bearer plain-token"


def test_real_cloud_scope_and_http_refused(credential: RecordingCredential) -> None:
    graph = SdkGraph("https://graph.microsoft.us", credential)
    try:
        assert graph._scopes == ["https://graph.microsoft.us/.default"]
    finally:
        graph.close()
    with pytest.raises(UsageError):
        SdkGraph("http://graph.example.com", credential)


def test_add_password_wire_and_result(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("POST", "/applications/obj-1/addPassword", _secret_reply())
    graph = make_graph(scripted.url)

    issued = graph.add_password("obj-1", "ssoctl emnify", END)

    (req,) = scripted.requests
    assert req.body == (
        b'{"passwordCredential":{"displayName":"ssoctl emnify","endDateTime":"2027-05-21T00:00:00Z"}}'
    )
    assert issued.key_id == "key-1"
    assert issued.hint == "abc"
    assert issued.text.reveal() == "abc-very-secret-text"
    assert issued.end == datetime(2027, 5, 21, 0, 0, 0, 123456, tzinfo=UTC)
    assert "very-secret" not in repr(issued)


def test_add_password_naive_and_offset_end(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("POST", "/applications/obj-1/addPassword", _secret_reply(endDateTime=None))
    graph = make_graph(scripted.url)
    end = datetime(2027, 5, 21, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    issued = graph.add_password("obj-1", "n", end)
    assert scripted.requests[0].json()["passwordCredential"]["endDateTime"] == "2027-05-21T00:00:00Z"
    assert issued.end == end  # Graph sent no endDateTime: the requested one


def test_add_password_unreadable_answer_is_outcome_unknown(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("POST", "/applications/obj-1/addPassword", Reply(200, {"secretText": "leaky-secret"}))
    with pytest.raises(GraphOutcomeUnknown) as err:
        make_graph(scripted.url).add_password("obj-1", "n", END)
    assert "leaky-secret" not in str(err.value) + str(err.value.hint) + repr(err.value.__context__)


def test_remove_password(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("POST", "/applications/obj-1/removePassword", Reply(204))
    make_graph(scripted.url).remove_password("obj-1", "key-1")
    assert scripted.requests[0].body == b'{"keyId":"key-1"}'


@pytest.mark.parametrize(
    "reply",
    [
        graph_error(400, "Request_BadRequest", "No password credential found with keyId key-1."),
        graph_error(404, "Request_ResourceNotFound", "Resource 'key-1' does not exist."),
        graph_error(400, "CredentialNotFound", "The password credential does not exist."),
    ],
)
def test_remove_password_already_gone_is_success(
    scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps, reply: Reply
) -> None:
    scripted.script("POST", "/applications/obj-1/removePassword", reply)
    # Believed only once the application no longer lists the secret (a re-read, no wait).
    scripted.script("GET", "/applications/obj-1", Reply(200, {"id": "obj-1", "passwordCredentials": []}))
    make_graph(scripted.url).remove_password("obj-1", "key-1")
    assert [r.method for r in scripted.requests] == ["POST", "GET"]
    assert sleeps == []


def test_remove_password_not_found_while_still_listed_is_lag(
    scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps
) -> None:
    gone = graph_error(400, "Request_BadRequest", "No password credential found with keyId key-1.")
    scripted.script("POST", "/applications/obj-1/removePassword", gone, Reply(204))
    listed = {"id": "obj-1", "passwordCredentials": [{"keyId": "key-1"}]}
    scripted.script("GET", "/applications/obj-1", Reply(200, listed))
    make_graph(scripted.url).remove_password("obj-1", "key-1")
    assert [r.method for r in scripted.requests] == ["POST", "GET", "POST"]
    assert sleeps == [0.5]  # replication back-off before trying again


# ---- retries ----------------------------------------------------------------------------


def test_429_waits_retry_after(scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps) -> None:
    scripted.script(
        "GET",
        APP,
        graph_error(429, "TooManyRequests", headers={"Retry-After": "7"}),
        graph_error(429, "TooManyRequests"),  # no Retry-After: default back-off
        Reply(200, {"id": "obj-1"}),
    )
    assert make_graph(scripted.url).get_application("ssoctl-emnify") == {"id": "obj-1"}
    assert sleeps == [7.0, 2.0]
    assert len(scripted.requests) == 3


def test_retry_after_is_capped(scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps) -> None:
    scripted.script(
        "PATCH",
        APP,
        graph_error(503, "ServiceUnavailable", headers={"Retry-After": "3600"}),
        Reply(204),
    )
    make_graph(scripted.url, max_wait=30).upsert_application("ssoctl-emnify", {"a": 1})
    assert sleeps == [30]


def test_throttling_gives_up_and_sdk_does_not_retry(
    scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps
) -> None:
    """Exactly 1 + 5 requests: ssoctl's retries only (the SDK's RetryHandler would add more)."""
    scripted.script("GET", APP, graph_error(503, "ServiceUnavailable", headers={"Retry-After": "0"}))
    with pytest.raises(GraphError) as err:
        make_graph(scripted.url).get_application("ssoctl-emnify")
    assert len(scripted.requests) == 6
    assert sleeps == [0.0] * 5
    assert err.value.status == 503
    assert err.value.exit_code == 1


def test_503_on_patch_is_retried(scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps) -> None:
    scripted.script(
        "PATCH",
        "/applications/obj-1",
        graph_error(503, "ServiceUnavailable", headers={"Retry-After": "2"}),
        Reply(204),
    )
    make_graph(scripted.url).update_application("obj-1", {"identifierUris": []})
    assert sleeps == [2.0]
    assert [r.body for r in scripted.requests] == [b'{"identifierUris":[]}'] * 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_add_password_5xx_is_not_retried(
    scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps, status: int
) -> None:
    scripted.script(
        "POST",
        "/applications/obj-1/addPassword",
        graph_error(status, "ServiceUnavailable", headers={"Retry-After": "1"}),
        _secret_reply(),
    )
    with pytest.raises(GraphOutcomeUnknown) as err:
        make_graph(scripted.url).add_password("obj-1", "n", END)
    assert len(scripted.requests) == 1  # neither ssoctl nor the SDK sent it twice
    assert sleeps == []
    assert err.value.status == status
    assert isinstance(err.value, GraphError)


def test_add_password_429_is_retried(scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps) -> None:
    scripted.script(
        "POST",
        "/applications/obj-1/addPassword",
        graph_error(429, "TooManyRequests", headers={"Retry-After": "3"}),
        _secret_reply(),
    )
    assert make_graph(scripted.url).add_password("obj-1", "n", END).key_id == "key-1"
    assert sleeps == [3.0]


def test_add_password_dropped_connection_is_outcome_unknown(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("POST", "/applications/obj-1/addPassword", Reply(drop=True))
    with pytest.raises(GraphOutcomeUnknown) as err:
        make_graph(scripted.url).add_password("obj-1", "n", END)
    assert err.value.status == 0
    assert len(scripted.requests) == 1


def test_replication_404_then_success(scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps) -> None:
    scripted.script(
        "POST",
        "/applications/obj-1/addPassword",
        graph_error(404, "Request_ResourceNotFound", "Resource 'obj-1' does not exist"),
        graph_error(404, "Request_ResourceNotFound", "Resource 'obj-1' does not exist"),
        _secret_reply(),
    )
    assert make_graph(scripted.url).add_password("obj-1", "n", END).key_id == "key-1"
    assert sleeps == [0.5, 1.0]


def test_replication_wait_is_bounded(scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps) -> None:
    scripted.script("PATCH", "/applications/obj-1", graph_error(404, "Request_ResourceNotFound", "gone"))
    with pytest.raises(GraphError) as err:
        make_graph(scripted.url, max_wait=10).update_application("obj-1", {"a": 1})
    assert sum(sleeps) == pytest.approx(10)
    assert sleeps[:4] == [0.5, 1.0, 2.0, 4.0]
    assert len(scripted.requests) == len(sleeps) + 1
    assert err.value.status == 404 and err.value.graph_code == "Request_ResourceNotFound"
    assert err.value.hint and "not visible yet" in err.value.hint


def test_remove_password_replication_404_retried(
    scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps
) -> None:
    scripted.script(
        "POST",
        "/applications/obj-1/removePassword",
        graph_error(404, "Request_ResourceNotFound", "Resource 'obj-1' does not exist"),
        Reply(204),
    )
    make_graph(scripted.url).remove_password("obj-1", "key-1")
    assert sleeps == [0.5]


def test_no_backing_application_object_retried(
    scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps
) -> None:
    scripted.script(
        "PATCH",
        APP,
        graph_error(400, "Request_BadRequest", "no backing", details=["NoBackingApplicationObject"]),
        Reply(204),
    )
    make_graph(scripted.url).upsert_application("ssoctl-emnify", {"a": 1})
    assert sleeps == [0.5]


def test_other_4xx_not_retried(scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps) -> None:
    scripted.script(
        "PATCH",
        APP,
        graph_error(400, "Request_BadRequest", "Property 'x' is invalid.", request_id="rid-42"),
    )
    with pytest.raises(GraphError) as err:
        make_graph(scripted.url).upsert_application("ssoctl-emnify", {"x": 1})
    assert len(scripted.requests) == 1 and sleeps == []
    e = err.value
    assert (e.status, e.graph_code, e.request_id) == (400, "Request_BadRequest", "rid-42")
    assert "Property 'x' is invalid." in e.message
    assert "rid-42" in str(e)


def test_404_on_unique_name_patch_not_retried(
    scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps
) -> None:
    """Replication retries are for object-id URLs; the upsert key is not one."""
    scripted.script("PATCH", APP, graph_error(404, "Request_ResourceNotFound"))
    with pytest.raises(GraphError):
        make_graph(scripted.url).upsert_application("ssoctl-emnify", {"a": 1})
    assert sleeps == []


# ---- errors -----------------------------------------------------------------------------


def test_403_is_auth_error_with_hint(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("PATCH", APP, graph_error(403, "Authorization_RequestDenied", "Insufficient privileges"))
    with pytest.raises(GraphError) as err:
        make_graph(scripted.url).upsert_application("ssoctl-emnify", {"a": 1})
    assert err.value.exit_code == EXIT_AUTH
    assert err.value.hint and "Application Administrator" in err.value.hint
    assert "Application.ReadWrite.All" in err.value.hint


def test_401_hint(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("GET", APP, graph_error(401, "InvalidAuthenticationToken", "expired"))
    with pytest.raises(GraphError) as err:
        make_graph(scripted.url).get_application("ssoctl-emnify")
    assert err.value.exit_code == EXIT_AUTH
    assert err.value.hint and "SSOCTL_ACCESS_TOKEN" in err.value.hint


def test_non_json_502(scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps) -> None:
    page = "<html><body>Bad Gateway from the proxy</body></html>"
    scripted.script("GET", APP, Reply(502, page, content_type="text/html"))
    with pytest.raises(GraphError) as err:
        make_graph(scripted.url).get_application("ssoctl-emnify")
    assert err.value.status == 502
    assert "html" not in err.value.message.lower()
    # a GET is safe to repeat: retried twice (1 s, 2 s), then the gateway's error is reported
    assert len(scripted.requests) == 3 and sleeps == [1.0, 2.0]


def test_a_lost_answer_to_a_patch_is_retried_but_not_to_a_post(
    scripted: ScriptedGraph, make_graph: Any, sleeps: Sleeps
) -> None:
    scripted.script("PATCH", "/applications/obj-1", Reply(drop=True), Reply(204))
    make_graph(scripted.url).update_application("obj-1", {"a": 1})
    assert len(scripted.requests) == 2 and sleeps == [1.0]
    scripted.script("POST", "/oauth2PermissionGrants", graph_error(500, "UnknownError"))
    with pytest.raises(GraphError):
        make_graph(scripted.url).create_permission_grant({"clientId": "c", "resourceId": "r"})
    assert len(scripted.requests) == 3


def test_empty_body_error(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("PATCH", "/applications/obj-1", Reply(400))
    with pytest.raises(GraphError) as err:
        make_graph(scripted.url).update_application("obj-1", {"a": 1})
    assert err.value.status == 400 and err.value.graph_code == ""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused(make_graph: Any, sleeps: Sleeps) -> None:
    graph = make_graph(f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(GraphError) as err:
        graph.get_application("ssoctl-emnify")
    assert err.value.status == 0
    assert err.value.hint and "127.0.0.1" in err.value.hint
    assert sleeps == []
    # addPassword that never left the machine is a plain failure, not an unknown outcome
    with pytest.raises(GraphError) as err2:
        graph.add_password("obj-1", "n", END)
    assert type(err2.value) is GraphError and err2.value.status == 0


def test_credential_failure_is_auth_error(scripted: ScriptedGraph, make_graph: Any) -> None:
    from azure.core.exceptions import ClientAuthenticationError

    class Broken:
        def get_token(self, *scopes: str, **kw: Any) -> Any:
            raise ClientAuthenticationError("AADSTS7000215: Invalid client secret provided.")

    graph = make_graph(scripted.url, credential=GuardedCredential(Broken(), "environment (client secret)"))
    with pytest.raises(AuthError) as err:
        graph.get_application("ssoctl-emnify")
    assert err.value.exit_code == EXIT_AUTH
    assert "AADSTS7000215" in err.value.message
    assert scripted.requests == []


def test_tokens_never_in_error_messages(scripted: ScriptedGraph, make_graph: Any, credential: Any) -> None:
    scripted.script("GET", APP, graph_error(401, "InvalidAuthenticationToken", "bad token"))
    with pytest.raises(GraphError) as err:
        make_graph(scripted.url).get_application("ssoctl-emnify")
    assert credential.token not in f"{err.value} {err.value.message} {err.value.hint}"


# ---- tenant -----------------------------------------------------------------------------


def test_tenant_from_token_makes_no_request(scripted: ScriptedGraph, make_graph: Any) -> None:
    graph = make_graph(scripted.url)
    assert graph.tenant_id() == TENANT
    assert graph.tenant_id() == TENANT
    assert scripted.requests == []


def test_tenant_from_hint_when_token_is_opaque(scripted: ScriptedGraph, make_graph: Any) -> None:
    graph = make_graph(scripted.url, credential=StaticToken("opaque"), tenant_hint=TENANT)
    assert graph.tenant_id() == TENANT
    assert scripted.requests == []


def test_tenant_from_organization(scripted: ScriptedGraph, make_graph: Any) -> None:
    scripted.script("GET", "/organization", Reply(200, {"value": [{"id": "org-tenant"}]}))
    graph = make_graph(
        scripted.url, credential=StaticToken(make_jwt({"oid": "x"})), tenant_hint="contoso.com"
    )
    assert graph.tenant_id() == "org-tenant"
    assert graph.tenant_id() == "org-tenant"
    (req,) = scripted.requests
    assert req.raw_path == "/v1.0/organization?$select=id"


def test_close_is_idempotent(scripted: ScriptedGraph, credential: RecordingCredential) -> None:
    import threading

    with SdkGraph(scripted.url, credential) as graph:
        session = graph._session()  # what the first request of a thread makes
    graph.close()
    assert session.loop.is_closed() and graph._sessions == []
    errors: list[BaseException] = []

    def late_request() -> None:  # another thread, after close: no new session is opened
        try:
            graph._session()
        except RuntimeError as exc:
            errors.append(exc)

    worker = threading.Thread(target=late_request)
    worker.start()
    worker.join()
    assert [str(e) for e in errors] == ["the Graph client is closed"]


def test_unwrapped_credential_failure_is_auth_error(scripted: ScriptedGraph, make_graph: Any) -> None:
    from azure.core.exceptions import ClientAuthenticationError

    class Broken:
        def get_token(self, *scopes: str, **kw: Any) -> Any:
            raise ClientAuthenticationError("AADSTS50076: MFA required")

    graph = make_graph(scripted.url, credential=Broken())
    with pytest.raises(AuthError):
        graph.tenant_id()
    with pytest.raises(AuthError) as err:
        graph.update_application("obj-1", {"a": 1})
    assert "AADSTS50076" in err.value.message
    assert scripted.requests == []

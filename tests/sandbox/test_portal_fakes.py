"""The fake PingOne and Okta answer like the real ones: auth enforced, state kept, their error bodies."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

from ssoctl.sandbox.portal_fakes import FakeOkta, FakePingOne


def call(
    method: str, url: str, headers: dict[str, str], body: Any = None, form: str | None = None
) -> tuple[int, Any]:
    data = form.encode() if form is not None else (json.dumps(body).encode() if body is not None else None)
    kind = "application/x-www-form-urlencoded" if form is not None else "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers={**headers, "Content-Type": kind})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_pingone_token_idps_and_errors() -> None:
    with FakePingOne() as fake:
        assert isinstance(fake, FakePingOne)
        token_url = f"{fake.auth_url}/{fake.env_id}/as/token"
        bad = base64.b64encode(f"{fake.client_id}:nope".encode()).decode()
        status, body = call(
            "POST", token_url, {"Authorization": f"Basic {bad}"}, form="grant_type=client_credentials"
        )
        assert status == 401 and body["error"] == "invalid_client"
        good = base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
        status, body = call(
            "POST", token_url, {"Authorization": f"Basic {good}"}, form="grant_type=client_credentials"
        )
        assert status == 200 and body["token_type"] == "Bearer" and body["expires_in"] == 3600
        auth = {"Authorization": f"Bearer {body['access_token']}"}
        idps = f"{fake.api_url}/environments/{fake.env_id}/identityProviders"

        status, err = call("GET", idps, {"Authorization": "Bearer forged"})
        assert status == 401 and set(err) >= {"id", "code", "message"} and err["code"] == "ACCESS_FAILED"
        status, err = call("POST", idps, auth, {"type": "MICROSOFT", "name": "x"})
        assert status == 400 and err["code"] == "INVALID_DATA"
        assert {d["target"] for d in err["details"]} == {"clientId", "clientSecret"}
        status, err = call("GET", f"{idps}/00000000-0000-0000-0000-000000000000", auth)
        assert status == 404 and err["code"] == "NOT_FOUND"

        new = {"type": "MICROSOFT", "name": "x", "enabled": True, "clientId": "c", "clientSecret": "s1"}
        status, made = call("POST", idps, auth, new)
        assert status == 201 and made["environment"]["id"] == fake.env_id and "clientSecret" not in made
        status, dup = call("POST", idps, auth, new)
        assert status == 400 and dup["details"][0]["code"] == "UNIQUENESS_VIOLATION"
        status, listed = call("GET", idps, auth)
        assert (
            status == 200
            and listed["count"] == 1
            and listed["_embedded"]["identityProviders"][0]["id"] == made["id"]
        )
        status, _ = call("PUT", f"{idps}/{made['id']}", auth, {**new, "clientSecret": "s2"})
        assert status == 200 and fake.holds(made["id"], "s2") and not fake.holds(made["id"], "s1")


def test_okta_idps_and_errors() -> None:
    with FakeOkta() as fake:
        assert isinstance(fake, FakeOkta)
        base = f"{fake.url}/api/v1/idps"
        status, err = call("GET", base, {"Authorization": "SSWS wrong"})
        assert (
            status == 401
            and err["errorCode"] == "E0000011"
            and err["errorSummary"] == "Invalid token provided"
        )
        assert set(err) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}
        auth = {"Authorization": f"SSWS {fake.token}"}
        status, err = call(
            "POST", base, auth, {"type": "MICROSOFT", "name": "m", "protocol": {"type": "SAML2"}}
        )
        assert status == 400 and err["errorCode"] == "E0000001" and err["errorCauses"]
        fake.add_by_hand("Microsoft A")
        fake.add_by_hand("Other")
        status, found = call("GET", f"{base}?q=micro&type=MICROSOFT", auth)
        assert status == 200 and [i["name"] for i in found] == ["Microsoft A"]
        status, err = call("GET", f"{base}/0oanothere", auth)
        assert status == 404 and err["errorCode"] == "E0000007"


def _reset_or_status(method: str, url: str, headers: dict[str, str], body: Any = None) -> int | str:
    """The status, or "reset" when the fake dropped the connection without an answer."""
    try:
        return call(method, url, headers, body)[0]
    except (urllib.error.URLError, ConnectionError) as exc:
        assert "closed" in str(exc) or "reset" in str(exc).lower(), exc
        return "reset"


def test_portal_faults_parse_like_the_graph_sandboxs() -> None:
    import pytest

    from ssoctl.errors import UsageError
    from ssoctl.sandbox.portal_fakes import PORTAL_FAULTS_ENV, PortalFaults

    assert PortalFaults.from_env({}) == PortalFaults()
    parsed = PortalFaults.from_env(
        {PORTAL_FAULTS_ENV: " fail-at=3, fail=503-after ,throttle=2,retry_after=4"}
    )
    assert parsed == PortalFaults(fail_at=3, fail_mode="503-after", throttle_every=2, retry_after=4)
    for bad in ("latency=1", "fail-at=2,fail=418", "fail-at=x", "fail-at"):
        with pytest.raises(UsageError) as exc:
            PortalFaults.from_env({PORTAL_FAULTS_ENV: bad})
        assert PORTAL_FAULTS_ENV in exc.value.message


def test_okta_position_faults_act_or_not_as_their_mode_says(tmp_path: Any) -> None:
    from ssoctl.sandbox.portal_fakes import PortalFaults

    body = {
        "type": "MICROSOFT",
        "name": "x",
        "protocol": {
            "type": "OIDC",
            "credentials": {"client": {"client_id": "c", "client_secret": "s3cret-in-body"}},
        },
        "policy": {"subject": {}},
    }
    for mode, acted, answer in (
        ("500", False, 500),
        ("reset", False, "reset"),
        ("503-after", True, 503),
        ("reset-after", True, "reset"),
    ):
        with FakeOkta(faults=PortalFaults(fail_at=2, fail_mode=mode)) as fake:
            assert isinstance(fake, FakeOkta)
            fake.keep_state_in(tmp_path / mode / "okta.json")
            auth = {"Authorization": f"SSWS {fake.token}"}
            assert call("GET", f"{fake.url}/api/v1/idps", auth)[0] == 200  # request 1: untouched
            assert _reset_or_status("POST", f"{fake.url}/api/v1/idps", auth, body) == answer
            assert len(fake.idps) == (1 if acted else 0), mode
            assert call("POST", f"{fake.url}/api/v1/idps", auth, body)[0] == 200  # request 3: untouched
            log = [
                json.loads(line)
                for line in (tmp_path / mode / "okta-requests.jsonl").read_text().splitlines()
            ]
            assert [e["fault"] for e in log] == [None, mode, None]
            assert "s3cret-in-body" not in (tmp_path / mode / "okta-requests.jsonl").read_text()


def test_portal_throttle_answers_each_vendors_429() -> None:
    from ssoctl.sandbox.portal_fakes import PortalFaults

    with FakeOkta(faults=PortalFaults(throttle_every=2, retry_after=3)) as okta:
        assert isinstance(okta, FakeOkta)
        auth = {"Authorization": f"SSWS {okta.token}"}
        statuses = [call("GET", f"{okta.url}/api/v1/idps", auth) for _ in range(4)]
        assert [s for s, _ in statuses] == [200, 429, 200, 429]
        assert statuses[1][1]["errorCode"] == "E0000047"
    with FakePingOne(faults=PortalFaults(fail_at=1, fail_mode="429", retry_after=2)) as ping:
        assert isinstance(ping, FakePingOne)
        req = urllib.request.Request(
            f"{ping.auth_url}/{ping.env_id}/as/token", data=b"grant_type=client_credentials", method="POST"
        )
        try:
            urllib.request.urlopen(req, timeout=5)
            raise AssertionError("the planted 429 was not answered")
        except urllib.error.HTTPError as exc:
            assert exc.code == 429 and exc.headers["Retry-After"] == "2"
            assert json.loads(exc.read())["code"] == "REQUEST_LIMITED"

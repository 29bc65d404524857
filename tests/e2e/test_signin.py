"""Every sign-in path reaches the sandbox through its https login server with the real MSAL and
azure-identity code: `ssoctl login` (device code; the test plays the person entering the code),
the token cache across processes (no login request while the token is valid), refresh, logout,
client secret, certificate, workload identity file, GitHub Actions OIDC (a fake GitHub endpoint on
loopback), and the refusals (CI set, no terminal)."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import ssl
import stat
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ssoctl.cli import app
from ssoctl.deps import Deps
from ssoctl.sandbox import SandboxServer, issue_token, read_request_log, start_sandbox
from ssoctl.sandbox.federation import mint_assertion
from tests.sandbox.conftest import Graph
from tests.support.certificates import self_signed_certificate

APP_ROLES = {
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
}
SUBJECT = "repo:contoso/sso:ref:refs/heads/main"


@pytest.fixture
def server(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    with start_sandbox(home, login=True) as srv:
        # requests (MSAL, azure-identity) reads these from the process environment
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(srv.ca_file))
        monkeypatch.setenv("SSL_CERT_FILE", str(srv.ca_file))
        yield srv


def base_env(server: SandboxServer, tmp_path: Path) -> dict[str, str]:
    no_az = tmp_path / "no-az"
    no_az.mkdir(exist_ok=True)
    return {
        "AZURE_AUTHORITY_HOST": server.login_url,
        "SSOCTL_GRAPH_ENDPOINT": server.url,
        "AZURE_TENANT_ID": server.tenant_id,
        "PATH": str(no_az),
        "REQUESTS_CA_BUNDLE": str(server.ca_file),
        "SSL_CERT_FILE": str(server.ca_file),
    }


def login_requests(home: Path, tenant: str) -> list[dict[str, Any]]:
    return [r for r in read_request_log(home) if r["path"].startswith(f"/{tenant}/")]


class Person(io.StringIO):
    """The terminal's stderr, read by a person: when a device code appears, they enter it at the
    sign-in page (the sandbox's test hook) as the user they are."""

    def __init__(self, server: SandboxServer, **user: str) -> None:
        super().__init__()
        self.server, self.user = server, user
        self.entered: list[str] = []

    def write(self, text: str) -> int:
        written = super().write(text)
        match = re.search(r"enter the code:\s+([A-Z0-9]{9})\s", self.getvalue())
        if match and match.group(1) not in self.entered:
            self.entered.append(match.group(1))
            context = ssl.create_default_context(cafile=str(self.server.ca_file))
            form = urllib.parse.urlencode({"user_code": match.group(1), **self.user}).encode()
            url = f"{self.server.login_url}/{self.server.tenant_id}/_sandbox/devicecode/approve"
            request = urllib.request.Request(
                url, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
            with urllib.request.urlopen(request, context=context, timeout=10) as reply:
                assert reply.status == 200
        return written


def invoke(
    args: list[str], env: dict[str, str], *, terminal: bool = True, stderr: io.StringIO | None = None
) -> Any:
    err = stderr or io.StringIO()
    deps = Deps(env={**os.environ, **env}, stdin_is_terminal=lambda: terminal, stderr=lambda: err)
    result = CliRunner().invoke(app, args, obj=deps, env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    result.err_text = err.getvalue()
    return result


def whoami_in_new_process(env: dict[str, str]) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "ssoctl", "whoami", "-o", "json"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}, proc.stderr


def test_device_code_login_is_reused_across_processes_then_logout(
    server: SandboxServer, home: Path, tmp_path: Path
) -> None:
    env = base_env(server, tmp_path)
    person = Person(server, upn="dev@contoso.test", wids="")
    run = invoke(["login", "--device-code", "--plaintext-cache", "-o", "json"], env, stderr=person)
    assert run.exit_code == 0, (run.stdout, person.getvalue())
    assert person.entered and "/devicelogin" in person.getvalue()
    assert "warning:" in person.getvalue() and "plain file" in person.getvalue()
    doc = json.loads(run.stdout)
    assert doc["account"] == "dev@contoso.test" and doc["tenantId"] == server.tenant_id
    cache = home / "msal-token-cache.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert doc["tokenCache"] == "plaintext"
    assert json.loads((home / "login.json").read_text())["username"] == "dev@contoso.test"
    # nothing secret in the record
    assert "refresh" not in (home / "login.json").read_text().lower()

    before = len(login_requests(home, server.tenant_id))
    code, who, err = whoami_in_new_process(env)
    assert code == 0, err
    assert who["account"] == "dev@contoso.test" and who["signedInWith"].startswith("ssoctl login")
    assert len(login_requests(home, server.tenant_id)) == before  # the cached token: no sign-in request

    # an expired access token is refreshed silently with the cached refresh token
    data = json.loads(cache.read_text())
    for entry in data["AccessToken"].values():
        entry["expires_on"] = "1000"
    cache.write_text(json.dumps(data))
    code, who, err = whoami_in_new_process(env)
    assert code == 0, err
    refreshed = login_requests(home, server.tenant_id)[before:]
    assert [r["path"].rsplit("/", 1)[-1] for r in refreshed if r["method"] == "POST"] == ["token"]

    out = invoke(["logout", "-o", "json"], env)
    assert out.exit_code == 0 and json.loads(out.stdout)["signedOut"] is True
    assert not cache.exists() and not (home / "login.json").exists()
    code, error, _ = whoami_in_new_process(env)
    assert code == 4 and "ssoctl login" in error["error"]["hint"]


def test_login_never_prompts_in_ci_or_without_terminal(
    server: SandboxServer, home: Path, tmp_path: Path
) -> None:
    env = base_env(server, tmp_path)
    ci = invoke(["login", "--device-code"], {**env, "CI": "true"})
    assert ci.exit_code == 4 and "CI is set" in ci.err_text + ci.stderr
    pipe = invoke(["login", "--device-code"], env, terminal=False)
    assert pipe.exit_code == 4 and "no terminal" in pipe.err_text + pipe.stderr
    assert login_requests(home, server.tenant_id) == []


def test_encrypted_cache_needs_the_os_store_or_the_flag(server: SandboxServer, tmp_path: Path) -> None:
    try:
        import gi  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("this machine has libsecret bindings: the encrypted cache would work")
    run = invoke(["login", "--device-code"], base_env(server, tmp_path))
    assert run.exit_code == 1
    assert "--plaintext-cache" in run.err_text + run.stderr


def test_login_user_without_roles_then_register_stops_with_exit_4(
    server: SandboxServer, home: Path, tmp_path: Path
) -> None:
    env = base_env(server, tmp_path)
    policy = Graph(server).call(
        "PATCH",
        "/policies/authorizationPolicy",
        {"defaultUserRolePermissions": {"allowedToCreateApps": False}},
        token=issue_token(server.tenant_id, scopes=["Policy.ReadWrite.Authorization"]),
    )
    assert policy.status == 204
    person = Person(server, upn="dev@contoso.test", wids="")
    assert invoke(["login", "--device-code", "--plaintext-cache"], env, stderr=person).exit_code == 0
    before = len(read_request_log(home))
    run = invoke(
        ["azure", "register", "--portal", "emnify", "--yes", "--store", "none", "--show-secret"], env
    )
    assert run.exit_code == 4, run.err_text
    assert "Users can register applications" in run.err_text + run.stderr
    assert [r for r in read_request_log(home)[before:] if r["mutating"]] == []


# --- Applications: secret, certificate, workload identity, GitHub Actions OIDC ------------------


def ci_app(server: SandboxServer) -> dict[str, Any]:
    """An app whose service principal holds Application.ReadWrite.All (admin consent given)."""
    graph = Graph(server)
    ci = graph.create("ssoctl-ci")
    sp = graph.create_sp(ci)
    graph_sp = graph.graph_sp()
    assert graph.assign(graph_sp["id"], sp["id"], APP_ROLES["Application.ReadWrite.All"]).status == 201
    return ci


def register_emnify(env: dict[str, str]) -> Any:
    return invoke(
        [
            "azure",
            "register",
            "--portal",
            "emnify",
            "--yes",
            "--store",
            "none",
            "--show-secret",
            "-o",
            "json",
        ],
        env,
    )


def test_client_secret_from_environment(server: SandboxServer, tmp_path: Path) -> None:
    ci = ci_app(server)
    secret = Graph(server).call("POST", f"/applications/{ci['id']}/addPassword", {}).body["secretText"]
    env = {**base_env(server, tmp_path), "AZURE_CLIENT_ID": ci["appId"], "AZURE_CLIENT_SECRET": secret}
    code, who, err = whoami_in_new_process(env)
    assert code == 0, err
    assert (
        who["kind"] == "app"
        and who["account"] == ci["appId"]
        and who["signedInWith"] == "environment (client secret)"
    )
    run = register_emnify(env)
    assert run.exit_code == 0, run.err_text + run.stderr
    assert secret not in run.stdout + run.err_text


def test_certificate_from_environment(server: SandboxServer, tmp_path: Path) -> None:
    ci = ci_app(server)
    pem, der = self_signed_certificate()
    key = {"type": "AsymmetricX509Cert", "usage": "Verify", "key": base64.b64encode(der).decode()}
    assert Graph(server).call("PATCH", f"/applications/{ci['id']}", {"keyCredentials": [key]}).status == 204
    path = tmp_path / "ci.pem"
    path.write_bytes(pem)
    env = {
        **base_env(server, tmp_path),
        "AZURE_CLIENT_ID": ci["appId"],
        "AZURE_CLIENT_CERTIFICATE_PATH": str(path),
    }
    run = register_emnify(env)
    assert run.exit_code == 0, run.err_text + run.stderr


def add_federation(server: SandboxServer, ci: dict[str, Any], subject: str = SUBJECT) -> None:
    fic = {
        "name": "github-main",
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": subject,
        "audiences": ["api://AzureADTokenExchange"],
    }
    assert (
        Graph(server).call("POST", f"/applications/{ci['id']}/federatedIdentityCredentials", fic).status
        == 201
    )


def test_workload_identity_token_file(server: SandboxServer, home: Path, tmp_path: Path) -> None:
    ci = ci_app(server)
    add_federation(server, ci, subject="system:serviceaccount:sso:ssoctl")
    token_file = tmp_path / "federated-token"
    token_file.write_text(
        mint_assertion(
            home,
            issuer="https://token.actions.githubusercontent.com",
            subject="system:serviceaccount:sso:ssoctl",
        )
    )
    env = {
        **base_env(server, tmp_path),
        "AZURE_CLIENT_ID": ci["appId"],
        "AZURE_FEDERATED_TOKEN_FILE": str(token_file),
    }
    code, who, err = whoami_in_new_process(env)
    assert code == 0, err
    assert who["signedInWith"] == "environment (workload identity)" and who["account"] == ci["appId"]


class FakeGitHub(BaseHTTPRequestHandler):
    """GitHub Actions' ID token endpoint: checks the request token, mints a token for `audience`."""

    home: Path
    hits: list[dict[str, str]]

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        self.hits.append(
            {"auth": self.headers.get("Authorization", ""), "audience": query.get("audience", [""])[0]}
        )
        if self.headers.get("Authorization") != "bearer gh-request-token":
            self.send_response(401)
            self.end_headers()
            return
        value = mint_assertion(self.home, subject=SUBJECT, audience=query["audience"][0])
        body = json.dumps({"count": 1, "value": value}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def github(home: Path) -> Iterator[tuple[str, list[dict[str, str]]]]:
    hits: list[dict[str, str]] = []
    handler = type("Handler", (FakeGitHub,), {"home": home, "hits": hits})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/_apis/distributedtask/token?api-version=2.0", hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_github_actions_oidc(
    server: SandboxServer, tmp_path: Path, github: tuple[str, list[dict[str, str]]]
) -> None:
    url, hits = github
    ci = ci_app(server)
    add_federation(server, ci)
    env = {
        **base_env(server, tmp_path),
        "AZURE_CLIENT_ID": ci["appId"],
        "ACTIONS_ID_TOKEN_REQUEST_URL": url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "gh-request-token",
        "CI": "true",
    }
    run = register_emnify(env)
    assert run.exit_code == 0, run.err_text + run.stderr
    assert hits == [{"auth": "bearer gh-request-token", "audience": "api://AzureADTokenExchange"}]
    # each new access token gets a fresh GitHub token (they live ~5 minutes): a second process asks again
    code, who, err = whoami_in_new_process(env)
    assert code == 0, err
    assert who["signedInWith"] == "GitHub Actions OIDC" and len(hits) == 2
    assert "gh-request-token" not in run.stdout + run.err_text + err


def test_github_oidc_fetches_a_fresh_assertion_every_time(
    home: Path, github: tuple[str, list[dict[str, str]]]
) -> None:
    from ssoctl.graph.auth import github_assertion

    url, hits = github
    fetch = github_assertion(
        {"ACTIONS_ID_TOKEN_REQUEST_URL": url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "gh-request-token"}
    )
    first, second = fetch(), fetch()
    assert first != second and len(hits) == 2


FETCH = """
import os, re, ssl, sys, urllib.parse, urllib.request
context = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
# the sign-in page signs the person in at once and answers with a form that posts the code back
# to ssoctl's loopback listener (a browser submits it on load; this one does it by hand)
page = urllib.request.urlopen(sys.argv[1], context=context, timeout=30).read().decode()
action = re.search(r'action="([^"]+)"', page).group(1)
fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page))
urllib.request.urlopen(action, data=urllib.parse.urlencode(fields).encode(), timeout=30).read()
"""
BROWSER = """
import subprocess, sys
# a browser returns at once; the page loads on its own (webbrowser waits for this command)
subprocess.Popen([sys.executable, sys.argv[1], sys.argv[2]], start_new_session=True)
"""


def test_browser_login(
    server: SandboxServer, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetch, browser = tmp_path / "fetch.py", tmp_path / "browser.py"
    fetch.write_text(FETCH)
    browser.write_text(BROWSER)
    monkeypatch.setenv("BROWSER", f"{sys.executable} {browser} {fetch} %s")
    env = base_env(server, tmp_path)
    run = invoke(["login", "--browser", "--plaintext-cache", "-o", "json"], env)
    assert run.exit_code == 0, run.err_text + run.stdout
    assert json.loads(run.stdout)["account"].startswith("admin@")
    paths = [r["path"].rsplit("/", 1)[-1] for r in login_requests(home, server.tenant_id)]
    assert "authorize" in paths and "token" in paths
    code, who, err = whoami_in_new_process(env)
    assert code == 0 and who["ready"] is True, err


FAKE_AZ = """#!{python}
import json, sys, time
args = sys.argv[1:]
if args[:1] == ["login"]:
    sys.exit(0)
if args[:2] == ["account", "get-access-token"]:
    print(json.dumps({{"accessToken": {token!r}, "expiresOn": "2099-01-01 00:00:00.000000",
                      "expires_on": int(time.time()) + 3600, "tenant": {tenant!r}, "tokenType": "Bearer"}}))
    sys.exit(0)
sys.exit(2)
"""


def test_az_cli_login_then_commands_use_the_azure_cli(
    server: SandboxServer, home: Path, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "az-bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.write_text(FAKE_AZ.format(python=sys.executable, token=server.token, tenant=server.tenant_id))
    az.chmod(0o755)
    env = {**base_env(server, tmp_path), "PATH": str(bin_dir)}
    run = invoke(["login", "--az-cli", "-o", "json"], env)
    assert run.exit_code == 0, run.err_text + run.stderr
    assert json.loads(run.stdout)["tokenCache"] == "azure-cli"
    assert json.loads((home / "login.json").read_text())["method"] == "azure-cli"
    code, who, err = whoami_in_new_process(env)
    assert code == 0, err
    assert who["signedInWith"] == "Azure CLI" and who["ready"] is True
    assert login_requests(home, server.tenant_id) == []  # the Azure CLI signed in, not ssoctl

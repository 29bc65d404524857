"""`--verbose` / SSOCTL_VERBOSE: one stderr line per outgoing request, secrets never in it.

The scrubbing is checked on its own (every secret-named key in a query, a form, JSON, a header),
then end to end: the real CLI against the sandbox logs exactly one line per Graph request the
sandbox saw, with status and retry attempt, and none of the secrets involved. The leak scan over
every flow (tests/reliability/test_leaks.py) runs each flow with --verbose too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ssoctl import verbose
from tests.e2e.conftest import Cli, Recorder
from tests.e2e.test_secrets_status import Webhook
from tests.support.fixtures import memory_keyring
from tests.support.memory_keyring import MemoryKeyring

__all__ = ["memory_keyring"]

CANARY = "Zq8~canary-secret-value-0123456789abcdefXY"
JWT = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "line",
    [
        f"POST https://login.example/t/oauth2/v2.0/token?client_secret={CANARY}&x=1",
        f"grant_type=client_credentials&client_assertion={CANARY}",
        f"refresh_token={CANARY}",
        f"?access_token={CANARY}",
        f"id_token={CANARY}&code={CANARY}",
        f'{{"passwordCredential": {{"secretText": "{CANARY}"}}}}',
        f'{{"clientSecret":"{CANARY}","name":"x"}}',
        f'{{"password": "{CANARY}"}}',
        f'{{"value": [{{"key": "SecretToken", "value": "{CANARY}"}}]}}',
        f'{{"key":"BaseAddress","value":"https://x"}},{{"key":"SecretToken","value":"{CANARY}"}}',
        f"Authorization: Bearer {CANARY}",
        f"authorization: SSWS {CANARY}",
        f"Cookie: session={CANARY}",
        f"api-key: {CANARY}",
        f"sent {JWT} along",
        f"Basic {CANARY}",
        str({"grant_type": "client_credentials", "client_secret": CANARY}),  # a dict's repr
        str({"value": [{"key": "SecretToken", "value": CANARY}]}),
        f'{{"Authorization": "{CANARY}"}}',
        f"password = {CANARY}",
    ],
)
def test_scrub_removes_every_secret_shape(line: str) -> None:
    cleaned = verbose.scrub(line)
    assert CANARY not in cleaned and JWT not in cleaned
    assert verbose.REDACTED in cleaned and "]]" not in cleaned


def test_scrub_leaves_ordinary_lines_alone() -> None:
    line = (
        "graph GET /v1.0/applications(uniqueName='ssoctl-emnify')?$select=id,keyId -> 200 in 3 ms (attempt=1)"
    )
    assert verbose.scrub(line) == line


def test_shape_keeps_keys_never_values() -> None:
    body = {"passwordCredential": {"displayName": "ssoctl", "endDateTime": "2030"}, "value": [{"key": "k"}]}
    assert verbose.shape(body) == "{passwordCredential{displayName,endDateTime},value[{key}]}"


def test_safe_url_blanks_secret_query_values_and_user_info() -> None:
    url = f"https://user:{CANARY}@idp.example:8443/as/token?client_secret={CANARY}&scope=openid"
    assert verbose.safe_url(url) == "https://idp.example:8443/as/token?client_secret=[redacted]&scope=openid"


def verbose_lines(stderr: str, service: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"verbose: {service} ")]


@pytest.fixture
def cli(home: Path, memory_keyring: MemoryKeyring) -> Cli:
    return Cli(home=home, sleep=Recorder())


@pytest.fixture
def home() -> Path:
    import os

    return Path(os.environ["SSOCTL_HOME"])


def test_one_line_per_graph_request_with_status_and_attempt(cli: Cli, memory_keyring: MemoryKeyring) -> None:
    cli.faults = "throttle=2"
    run = cli("--verbose", "azure", "register", "--portal", "emnify", "--sandbox", "--yes")
    assert run.exit_code == 0, run.stderr
    graph = verbose_lines(run.stderr, "graph")
    sent = [r for r in run.requests if r["path"].startswith("/v1.0")]
    assert len(graph) == len(sent) > 3
    for line, request in zip(graph, sent, strict=True):
        assert re.match(
            rf"verbose: graph {request['method']} /v1\.0\S* -> {request['status']} in \d+ ms", line
        )
        assert "request-id=" in line
    assert any("-> 429" in line for line in graph) and any("attempt=2" in line for line in graph)
    assert any("addPassword -> 200" in line and "body={passwordCredential{" in line for line in graph)
    secrets = [v for (_, user), v in memory_keyring.entries.items() if "secret" in user.lower()]
    assert secrets and not any(secret in run.stderr + run.stdout for secret in secrets)
    assert "Bearer" not in run.stderr and "eyJ" not in run.stderr
    assert run.stdout.count("verbose:") == 0  # the log is on stderr only


def test_token_request_shows_grant_type_never_the_secret(cli: Cli, memory_keyring: MemoryKeyring) -> None:
    assert cli.register("--yes").exit_code == 0
    run = cli("azure", "verify", "--portal", "emnify", "--sandbox", env={"SSOCTL_VERBOSE": "1"})
    (token,) = verbose_lines(run.stderr, "token")
    assert re.search(r"token POST http://127\.0\.0\.1:\d+/[\w-]+/oauth2/v2\.0/token -> \d+", token)
    assert "grant-type=client_credentials" in token
    secrets = [v for (_, user), v in memory_keyring.entries.items() if "secret" in user.lower()]
    assert secrets and not any(secret in run.stderr for secret in secrets)


def test_webhook_is_logged_by_host_only(cli: Cli) -> None:
    hook = Webhook()
    try:
        assert cli.register("--yes", "--secret-days", "20").exit_code == 0
        run = cli("-v", "secrets", "status", "--sandbox", "--notify", hook.url)
    finally:
        hook.server.shutdown()
    assert run.exit_code == 8 and len(hook.posts) == 1
    (line,) = verbose_lines(run.stderr, "webhook")
    assert re.fullmatch(r"verbose: webhook POST 127\.0\.0\.1 -> 200 in \d+ ms", line)
    assert "SECRETTOKEN" not in run.stderr and "/services/" not in run.stderr


def test_portal_api_requests_are_logged_without_credentials(cli: Cli) -> None:
    from ssoctl.sandbox.portal_fakes import FakeOkta

    with FakeOkta() as okta:
        run = cli(
            "-v", "azure", "register", "--portal", "okta", "--okta-org", okta.url, "--store", "okta",
            "--sandbox", "--yes", env={"OKTA_API_TOKEN": okta.token},
        )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    lines = verbose_lines(run.stderr, "okta")
    assert any(re.search(r"okta GET http://127\.0\.0\.1:\d+/api/v1/idps\?\S* -> 200", x) for x in lines)
    assert any(re.search(r"okta POST \S+/api/v1/idps -> 20\d", x) for x in lines), lines
    assert okta.token not in run.stderr and "SSWS" not in run.stderr


@pytest.mark.parametrize("output", ["table", "json"])
def test_bad_verbose_value_is_refused_before_any_request(cli: Cli, output: str) -> None:
    run = cli(
        "azure", "register", "--portal", "emnify", "--yes", "-o", output, env={"SSOCTL_VERBOSE": "loud"}
    )
    assert run.exit_code == 2 and run.requests == []
    if output == "json":
        assert json.loads(run.stdout)["error"]["message"] == "SSOCTL_VERBOSE='loud' is neither on nor off"
    else:
        assert "error: SSOCTL_VERBOSE='loud' is neither on nor off" in run.stderr


def test_off_by_default_and_after_a_verbose_run(cli: Cli) -> None:
    assert "verbose:" in cli("-v", "azure", "register", "--portal", "emnify", "--sandbox", "--plan").stderr
    assert not verbose.is_on()  # the invocation's end turned it off again
    run = cli.register("--plan")
    assert run.exit_code == 0 and "verbose:" not in run.stderr


@pytest.mark.parametrize("flag", ["--verbose", "-v"])
def test_verbose_after_the_command_says_where_it_goes(cli: Cli, flag: str) -> None:
    run = cli("azure", "status", "--portal", "emnify", flag, "--sandbox")
    assert run.exit_code == 2 and run.requests == []
    assert f"hint: {flag} goes before the command: ssoctl {flag} azure status …" in run.stderr


@pytest.mark.parametrize(
    ("given", "moved"),
    [
        (["-o", "json"], "-o json"),
        (["--output", "json"], "--output json"),
        (["--output=json"], "--output=json"),
    ],
)
def test_output_before_the_command_shows_the_corrected_line(cli: Cli, given: list[str], moved: str) -> None:
    run = cli(*given, "secrets", "status", "--sandbox", "--notify", "https://hooks.example.com/SECRETPATH")
    assert run.exit_code == 2 and run.requests == []
    assert "-o/--output goes after the command" in run.stdout + run.stderr
    assert f"ssoctl secrets status {moved} --sandbox --notify URL" in run.stdout + run.stderr
    assert "SECRETPATH" not in run.stdout + run.stderr  # the webhook URL is a secret

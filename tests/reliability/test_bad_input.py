"""Bad input is refused before any request: one error line (and a hint naming the fix), exit 2,
no request to Graph, nothing changed. Every case here is listed in docs/reliability.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ssoctl.cli import app
from ssoctl.sandbox import read_request_log
from tests.e2e.test_pingone import REDIRECT
from tests.reliability.matrix import BAD_INPUT
from tests.support.memory_keyring import MemoryKeyring

EMNIFY = ("azure", "register", "--portal", "emnify", "--sandbox", "--yes")
PINGONE = ("azure", "register", "--portal", "pingone", "--sandbox", "--yes")
REAL = ("azure", "register", "--portal", "emnify", "--yes")  # no --sandbox: the environment decides
TOKEN = {"SSOCTL_ACCESS_TOKEN": "e30.e30.sig"}

CASES: list[tuple[str, tuple[str, ...], dict[str, str]]] = [
    ("empty --name", (*EMNIFY, "--name", ""), {}),
    ("whitespace-only --name", (*EMNIFY, "--name", "   "), {}),
    ("--name with a control character", (*EMNIFY, "--name", "a\x07b"), {}),
    ("--name with a newline", (*EMNIFY, "--name", "team\nA"), {}),
    ("--name with a zero-width character", (*EMNIFY, "--name", "team\u200ba"), {}),
    ("over-long --name", (*EMNIFY, "--name", "x" * 300), {}),
    ("--name without letters or digits", (*EMNIFY, "--name", "!!!"), {}),
    ("--name in a script ssoctl cannot key", (*EMNIFY, "--name", "東京"), {}),
    ("--secret-days 0", (*EMNIFY, "--secret-days", "0"), {}),
    ("negative --secret-days", (*EMNIFY, "--secret-days", "-5"), {}),
    ("--secret-days past Entra's limit", (*EMNIFY, "--secret-days", "100000"), {}),
    ("--secret-days not a number", (*EMNIFY, "--secret-days", "abc"), {}),
    ("unknown store kind", (*EMNIFY, "--store", "vault"), {}),
    ("empty --store", (*EMNIFY, "--store", ""), {}),
    ("env-file store without a path", (*EMNIFY, "--store", "env-file:"), {}),
    ("env-file store with a blank path", (*EMNIFY, "--store", "env-file:  "), {}),
    ("unknown portal", ("azure", "register", "--portal", "nope", "--sandbox", "--yes"), {}),
    ("empty --portal", ("azure", "register", "--portal", "", "--sandbox", "--yes"), {}),
    ("malformed --tenant", (*EMNIFY, "--tenant", "not a tenant"), {}),
    ("truncated tenant GUID", (*EMNIFY, "--tenant", "1234-5678"), {}),
    ("unknown --cloud", (*EMNIFY, "--cloud", "mars"), {}),
    ("unknown --output", (*EMNIFY, "-o", "xml"), {}),
    ("redirect URI over http", (*PINGONE, "--redirect-uri", "http://example.com/cb"), {}),
    ("relative redirect URI", (*PINGONE, "--redirect-uri", "/cb"), {}),
    ("redirect URI with a fragment", (*PINGONE, "--redirect-uri", "https://example.com/cb#x"), {}),
    (
        "redirect URI over 256 characters",
        (*PINGONE, "--redirect-uri", "https://example.com/" + "a" * 300),
        {},
    ),
    ("redirect URI with ';'", (*PINGONE, "--redirect-uri", "https://example.com/cb;x"), {}),
    ("redirect URI with a wildcard", (*PINGONE, "--redirect-uri", "https://*.example.com/cb"), {}),
    ("empty redirect URI", (*PINGONE, "--redirect-uri", ""), {}),
    ("redirect URI with a space", (*PINGONE, "--redirect-uri", "https://exa mple.com/cb"), {}),
    ("http redirect URI to [::1]", (*PINGONE, "--redirect-uri", "http://[::1]/cb"), {}),
    ("missing --redirect-uri (PingOne)", PINGONE, {}),
    ("unknown --group-claims", (*PINGONE, "--redirect-uri", REDIRECT, "--group-claims", "some"), {}),
    ("malformed AZURE_TENANT_ID, unused under --sandbox", EMNIFY, {"AZURE_TENANT_ID": "not-a-tenant"}),
    ("blank AZURE_TENANT_ID", EMNIFY, {"AZURE_TENANT_ID": "   "}),
    ("malformed AZURE_TENANT_ID with a ready token", REAL, {**TOKEN, "AZURE_TENANT_ID": "contoso"}),
    ("blank SSOCTL_ACCESS_TOKEN", REAL, {"SSOCTL_ACCESS_TOKEN": " "}),
    ("SSOCTL_GRAPH_ENDPOINT not a URL", REAL, {**TOKEN, "SSOCTL_GRAPH_ENDPOINT": "not a url"}),
    ("SSOCTL_GRAPH_ENDPOINT ftp://", REAL, {**TOKEN, "SSOCTL_GRAPH_ENDPOINT": "ftp://graph.microsoft.com"}),
    (
        "SSOCTL_GRAPH_ENDPOINT plain http",
        REAL,
        {**TOKEN, "SSOCTL_GRAPH_ENDPOINT": "http://graph.microsoft.com"},
    ),
    ("SSOCTL_SANDBOX neither on nor off", REAL, {"SSOCTL_SANDBOX": "maybe"}),
    ("unknown SSOCTL_SANDBOX_FAULTS key", EMNIFY, {"SSOCTL_SANDBOX_FAULTS": "explode=1"}),
    ("relative SSOCTL_HOME", EMNIFY, {"SSOCTL_HOME": "relative/dir"}),
    ("empty SSOCTL_HOME", EMNIFY, {"SSOCTL_HOME": ""}),
    ("secrets reveal for an unknown portal", ("secrets", "reveal", "--portal", "nope", "--sandbox"), {}),
    ("sandbox serve on port 70000", ("sandbox", "serve", "--port", "70000"), {}),
    ("sandbox serve on a negative port", ("sandbox", "serve", "--port", "-1"), {}),
]


def _refused(home: Path, argv: tuple[str, ...], env: dict[str, str]) -> str:
    env = {"SSOCTL_HOME": str(home), **env}
    result = CliRunner().invoke(app, list(argv), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and lines[0].startswith("error: "), result.stderr
    assert len(lines) <= 2 and all(line.startswith(("error: ", "hint: ")) for line in lines), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return lines[0].removeprefix("error: ")


@pytest.mark.parametrize(("what", "argv", "env"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_before_any_request(
    what: str, argv: tuple[str, ...], env: dict[str, str], tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    home = tmp_path / "ssoctl"
    message = _refused(home, argv, env)
    assert not (home / "sandbox").exists() or read_request_log(home) == []  # zero requests
    assert not (home / "state.json").exists() and memory_keyring.entries == {}
    BAD_INPUT.append((what, " ".join(argv), message))


def test_names_that_share_a_key_do_not_share_a_registration(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    home = tmp_path / "ssoctl"
    first = CliRunner().invoke(app, [*EMNIFY, "--name", "Team A"], env={"SSOCTL_HOME": str(home)})
    assert first.exit_code == 0, first.stderr
    before = len(read_request_log(home))
    for other in ("team-a", "Team_A", "TEAM   A!"):
        message = _refused(home, (*EMNIFY, "--name", other), {})
        assert "would share the app ssoctl-emnify-team-a" in message
        BAD_INPUT.append(
            (f"--name {other!r} after 'Team A' (same key)", f"{' '.join(EMNIFY)} --name {other}", message)
        )
    assert len(read_request_log(home)) == before  # refused before any request
    same = CliRunner().invoke(app, [*EMNIFY, "--name", "team a"], env={"SSOCTL_HOME": str(home)})
    assert same.exit_code == 0, same.stderr  # the same name in other case and spacing is the same app

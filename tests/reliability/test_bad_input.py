"""Bad input is refused before any request: one error line (and a hint naming the fix), exit 2,
no connection to Graph, a portal API or a login server, nothing changed. Every case here is
listed in docs/reliability.md.

A case may hand the command stdin (`--token-stdin`), say stdin is a terminal, or write files first
(an apply file, a portal profile) into the test's folder, named in argv and env as `{dir}/NAME`;
`line` is the line of such a file the error must name."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ssoctl.cli import app
from ssoctl.deps import Deps
from ssoctl.sandbox import read_request_log
from tests.e2e.test_pingone import REDIRECT
from tests.reliability.matrix import BAD_INPUT
from tests.support.memory_keyring import MemoryKeyring

EMNIFY = ("azure", "register", "--portal", "emnify", "--sandbox", "--yes")
PINGONE = ("azure", "register", "--portal", "pingone", "--sandbox", "--yes")
OKTA = ("azure", "register", "--portal", "okta", "--sandbox", "--yes")
REAL = ("azure", "register", "--portal", "emnify", "--yes")  # no --sandbox: the environment decides
ROTATE = ("secrets", "rotate", "--portal", "emnify", "--sandbox", "--yes")
PROVISION = ("azure", "provision", "--portal", "federated-directory", "--sandbox", "--yes")
STDIN = (*PROVISION, "--token-stdin")
APPLY = ("apply", "-f", "{dir}/sso.toml", "--sandbox", "--yes")
STATUS = ("secrets", "status", "--sandbox")
TOKEN = {"SSOCTL_ACCESS_TOKEN": "e30.e30.sig"}
GUID = "11111111-2222-3333-4444-555555555555"
CLIENT = {"AZURE_TENANT_ID": GUID, "AZURE_CLIENT_SECRET": "canary-client-secret"}


@dataclass(frozen=True)
class Case:
    what: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    stdin: str | None = None  # what stdin holds (None: empty)
    terminal: bool = False  # stdin is a terminal
    files: Mapping[str, str] = field(default_factory=dict)  # written under the test's folder first
    line: int | None = None  # the line of that file the error names
    never: str | None = None  # a secret in the input that the output must not repeat
    modes: Mapping[str, int] = field(default_factory=dict)  # chmod of files written first


def case(what: str, argv: tuple[str, ...], env: Mapping[str, str] | None = None, **more: object) -> Case:
    return Case(what, argv, env or {}, **more)  # type: ignore[arg-type]


def apply_file(body: str, line: int, what: str, env: Mapping[str, str] | None = None) -> Case:
    """An apply file with one mistake at `line`."""
    return case(what, APPLY, env, files={"sso.toml": body}, line=line)


def profile(body: str, line: int | None, what: str) -> Case:
    """A --portal-file profile with one mistake (at `line` when the parser knows it)."""
    argv = ("azure", "register", "--portal-file", "{dir}/mine.toml", "--sandbox", "--yes")
    return case(what, argv, files={"mine.toml": body}, line=line)


ONE = '[[registration]]\nportal = "emnify"\n'  # a valid apply file
MINE = 'name = "mine"\ntitle = "Mine"\nsummary = "mine"\nguide = "https://example.com"\nsign_in_audience = "AzureADMyOrg"\n'

CASES: list[Case] = [
    case("empty --name", (*EMNIFY, "--name", "")),
    case("whitespace-only --name", (*EMNIFY, "--name", "   ")),
    case("--name with a control character", (*EMNIFY, "--name", "a\x07b")),
    case("--name with a newline", (*EMNIFY, "--name", "team\nA")),
    case("--name with a zero-width character", (*EMNIFY, "--name", "team\u200ba")),
    case("over-long --name", (*EMNIFY, "--name", "x" * 300)),
    case("--name without letters or digits", (*EMNIFY, "--name", "!!!")),
    case("--name in a script ssoctl cannot key", (*EMNIFY, "--name", "東京")),
    case("--secret-days 0", (*EMNIFY, "--secret-days", "0")),
    case("negative --secret-days", (*EMNIFY, "--secret-days", "-5")),
    case("--secret-days past Entra's limit", (*EMNIFY, "--secret-days", "100000")),
    case("--secret-days not a number", (*EMNIFY, "--secret-days", "abc")),
    case("unknown store kind", (*EMNIFY, "--store", "vault")),
    case("empty --store", (*EMNIFY, "--store", "")),
    case("env-file store without a path", (*EMNIFY, "--store", "env-file:")),
    case("env-file store with a blank path", (*EMNIFY, "--store", "env-file:  ")),
    case("unknown portal", ("azure", "register", "--portal", "nope", "--sandbox", "--yes")),
    case("empty --portal", ("azure", "register", "--portal", "", "--sandbox", "--yes")),
    case("malformed --tenant", (*EMNIFY, "--tenant", "not a tenant")),
    case("truncated tenant GUID", (*EMNIFY, "--tenant", "1234-5678")),
    case("unknown --cloud", (*EMNIFY, "--cloud", "mars")),
    case("unknown --output", (*EMNIFY, "-o", "xml")),
    case("redirect URI over http", (*PINGONE, "--redirect-uri", "http://example.com/cb")),
    case("relative redirect URI", (*PINGONE, "--redirect-uri", "/cb")),
    case("redirect URI with a fragment", (*PINGONE, "--redirect-uri", "https://example.com/cb#x")),
    case(
        "redirect URI over 256 characters",
        (*PINGONE, "--redirect-uri", "https://example.com/" + "a" * 300),
        {},
    ),
    case("redirect URI with ';'", (*PINGONE, "--redirect-uri", "https://example.com/cb;x")),
    case("redirect URI with a wildcard", (*PINGONE, "--redirect-uri", "https://*.example.com/cb")),
    case("empty redirect URI", (*PINGONE, "--redirect-uri", "")),
    case("redirect URI with a space", (*PINGONE, "--redirect-uri", "https://exa mple.com/cb")),
    case("http redirect URI to [::1]", (*PINGONE, "--redirect-uri", "http://[::1]/cb")),
    case("missing --redirect-uri (PingOne)", PINGONE),
    case("unknown --group-claims", (*PINGONE, "--redirect-uri", REDIRECT, "--group-claims", "some")),
    case("malformed AZURE_TENANT_ID, unused under --sandbox", EMNIFY, {"AZURE_TENANT_ID": "not-a-tenant"}),
    case("SSOCTL_GRAPH_TIMEOUT not a number", EMNIFY, {"SSOCTL_GRAPH_TIMEOUT": "soon"}),
    case("SSOCTL_GRAPH_TIMEOUT 0", EMNIFY, {"SSOCTL_GRAPH_TIMEOUT": "0"}),
    case("SSOCTL_GRAPH_TIMEOUT over 600 s", EMNIFY, {"SSOCTL_GRAPH_TIMEOUT": "3600"}),
    case("blank AZURE_TENANT_ID", EMNIFY, {"AZURE_TENANT_ID": "   "}),
    case("malformed AZURE_TENANT_ID with a ready token", REAL, {**TOKEN, "AZURE_TENANT_ID": "contoso"}),
    case("blank SSOCTL_ACCESS_TOKEN", REAL, {"SSOCTL_ACCESS_TOKEN": " "}),
    case("SSOCTL_GRAPH_ENDPOINT not a URL", REAL, {**TOKEN, "SSOCTL_GRAPH_ENDPOINT": "not a url"}),
    case(
        "SSOCTL_GRAPH_ENDPOINT ftp://", REAL, {**TOKEN, "SSOCTL_GRAPH_ENDPOINT": "ftp://graph.microsoft.com"}
    ),
    case(
        "SSOCTL_GRAPH_ENDPOINT plain http",
        REAL,
        {**TOKEN, "SSOCTL_GRAPH_ENDPOINT": "http://graph.microsoft.com"},
    ),
    case("SSOCTL_SANDBOX neither on nor off", REAL, {"SSOCTL_SANDBOX": "maybe"}),
    case("unknown SSOCTL_SANDBOX_FAULTS key", EMNIFY, {"SSOCTL_SANDBOX_FAULTS": "explode=1"}),
    case("relative SSOCTL_HOME", EMNIFY, {"SSOCTL_HOME": "relative/dir"}),
    case("empty SSOCTL_HOME", EMNIFY, {"SSOCTL_HOME": ""}),
    case("secrets reveal for an unknown portal", ("secrets", "reveal", "--portal", "nope", "--sandbox")),
    case("sandbox serve on port 70000", ("sandbox", "serve", "--port", "70000")),
    case("sandbox serve on a negative port", ("sandbox", "serve", "--port", "-1")),
    # moved here from tests/e2e/test_register.py and tests/test_apply_file.py (the same checks ran twice)
    case("--secret-days one day past Entra's limit", (*EMNIFY, "--secret-days", "731")),
    case("http redirect URI on a portal with its own", (*EMNIFY, "--redirect-uri", "http://example.com/cb")),
    case("env-file store in a missing folder", (*EMNIFY, "--store", "env-file:{dir}/nonexistent-dir/x.env")),
    case("unknown --cloud on apply", (*APPLY, "--cloud", "mars"), files={"sso.toml": ONE}),
    # names on every command that takes one
    case("--name one character over Entra's 120", (*EMNIFY, "--name", "x" * 121)),
    case("empty --name on secrets rotate", (*ROTATE, "--name", "")),
    case(
        "whitespace-only --name on azure status",
        ("azure", "status", "--portal", "emnify", "--sandbox", "--name", "  "),
    ),
    case(
        "--name with an escape code on azure verify",
        ("azure", "verify", "--portal", "emnify", "--sandbox", "--name", "a\x1b[2Jb"),
    ),
    case(
        "over-long --name on azure unregister",
        ("azure", "unregister", "--portal", "emnify", "--sandbox", "--yes", "--name", "y" * 300),
    ),
    case(
        "--name with a tab on secrets reveal",
        ("secrets", "reveal", "--portal", "emnify", "--sandbox", "--name", "a\tb"),
    ),
    # tenants
    case("empty --tenant", (*EMNIFY, "--tenant", "")),
    case("--tenant with a control character", (*EMNIFY, "--tenant", "contoso.onmicrosoft.com\x00")),
    case("malformed --tenant on ssoctl login", ("login", "--device-code", "--tenant", "con toso")),
    case(
        "malformed AZURE_TENANT_ID on ssoctl login",
        ("login", "--device-code"),
        {"AZURE_TENANT_ID": "contoso"},
    ),
    case("malformed --tenant on secrets status", (*STATUS, "--tenant", "-")),
    case(
        "malformed --tenant on apply",
        (*APPLY, "--tenant", "x"),
        files={"sso.toml": ONE},
    ),
    case("malformed --tenant on azure provision", (*STDIN, "--tenant", "contoso"), stdin="tok"),
    # redirect URIs
    case("redirect URI with a wildcard path", (*PINGONE, "--redirect-uri", "https://example.com/cb/*")),
    case("http redirect URI to 127.0.0.2", (*PINGONE, "--redirect-uri", "http://127.0.0.2/cb")),
    case(
        "redirect URI with user:password",
        (*PINGONE, "--redirect-uri", "https://u:PASSWORD@example.com/cb"),
        never="PASSWORD",
    ),
    case("redirect URI with port 99999", (*PINGONE, "--redirect-uri", "https://example.com:99999/cb")),
    case("javascript: redirect URI", (*PINGONE, "--redirect-uri", "javascript:alert(1)")),
    case("redirect URI with a control character", (*PINGONE, "--redirect-uri", "https://example.com/c\x01b")),
    case(
        "more redirect URIs than Entra allows (256)",
        (*PINGONE, *[a for i in range(257) for a in ("--redirect-uri", f"https://example.com/cb/{i}")]),
    ),
    # numbers
    case("--secret-days past Entra's limit on secrets rotate", (*ROTATE, "--secret-days", "731")),
    case("negative --overlap-days", (*ROTATE, "--overlap-days", "-1")),
    case("--overlap-days longer than a secret lives", (*ROTATE, "--overlap-days", "100000")),
    case(
        "negative --within on azure status",
        ("azure", "status", "--portal", "emnify", "--sandbox", "--within", "-1"),
    ),
    case("negative --within on secrets status", (*STATUS, "--within", "-3")),
    case("--within past any secret's life", (*STATUS, "--within", "1000000")),
    case("negative --alarm-days", (*STATUS, "--ics", "{dir}/x.ics", "--alarm-days", "-1")),
    case("--alarm-days past any secret's life", (*STATUS, "--ics", "{dir}/x.ics", "--alarm-days", "100000")),
    case(
        "--concurrency 0",
        (*APPLY, "--concurrency", "0"),
        files={"sso.toml": ONE},
    ),
    case(
        "--concurrency 1000",
        (*APPLY, "--concurrency", "1000"),
        files={"sso.toml": ONE},
    ),
    case("--shard 0/4", (*APPLY, "--shard", "0/4"), files={"sso.toml": ONE}),
    case("--shard 5/4", (*APPLY, "--shard", "5/4"), files={"sso.toml": ONE}),
    case("--shard 1/0", (*APPLY, "--shard", "1/0"), files={"sso.toml": ONE}),
    case(
        "--shard not K/N",
        (*APPLY, "--shard", "half"),
        files={"sso.toml": ONE},
    ),
    case("sandbox serve --port not a number", ("sandbox", "serve", "--port", "http")),
    case("sandbox serve --fd-port 70000", ("sandbox", "serve", "--port", "0", "--fd-port", "70000")),
    case(
        "SSOCTL_VERIFY_WAIT not a number",
        ("azure", "verify", "--portal", "emnify", "--sandbox"),
        {"SSOCTL_VERIFY_WAIT": "soon"},
    ),
    case("SSOCTL_VERIFY_WAIT over 600 seconds on secrets rotate", ROTATE, {"SSOCTL_VERIFY_WAIT": "3600"}),
    # stores
    case("unknown store kind on secrets rotate", (*ROTATE, "--store", "vault")),
    case("env-file store without a path on secrets rotate", (*ROTATE, "--store", "env-file:")),
    case("--store none without --show-secret", (*EMNIFY, "--store", "none")),
    case("--store none on azure provision", (*STDIN, "--store", "none"), stdin="tok"),
    case("unknown store kind on azure provision", (*STDIN, "--store", "vault"), stdin="tok"),
    case(
        "--store pingone without --pingone-env",
        (
            "azure",
            "register",
            "--portal",
            "pingone",
            "--redirect-uri",
            REDIRECT,
            "--store",
            "pingone",
            "--yes",
        ),
        {**TOKEN, "PINGONE_CLIENT_ID": "c", "PINGONE_CLIENT_SECRET": "s"},
    ),
    case("--store okta without --okta-org", (*OKTA, "--store", "okta"), {"OKTA_API_TOKEN": "t"}),
    case(
        "env-file store that is a shell script",
        (*EMNIFY, "--store", "env-file:{dir}/script.sh"),
        files={"script.sh": "#!/bin/sh\nexport A=1\necho hello\n"},
        modes={"script.sh": 0o755},
    ),
    case(
        "env-file store that is an executable dotenv file",
        (*EMNIFY, "--store", "env-file:{dir}/run.env"),
        files={"run.env": "A=1\n"},
        modes={"run.env": 0o755},
    ),
    case(
        "env-file store that is not a dotenv file (/etc/passwd-like)",
        (*EMNIFY, "--store", "env-file:{dir}/passwd"),
        files={"passwd": "root:x:0:0:root:/root:/bin/bash\n"},
        line=1,
    ),
    case("env-file store that is a folder", (*EMNIFY, "--store", "env-file:{dir}")),
    # endpoint URLs
    case("--fd-base-url not a URL", (*STDIN, "--fd-base-url", "federated directory"), stdin="tok"),
    case(
        "--fd-base-url over plain http",
        (*STDIN, "--fd-base-url", "http://api.federated.directory/v2"),
        stdin="tok",
    ),
    case("--okta-org over plain http", (*OKTA, "--okta-org", "http://acme.okta.com")),
    case("--okta-org not a URL", (*OKTA, "--okta-org", "acme")),
    case(
        "--pingone-api-url over plain http",
        (
            *PINGONE,
            "--redirect-uri",
            REDIRECT,
            "--store",
            "pingone",
            "--pingone-env",
            GUID,
            "--pingone-api-url",
            "http://api.pingone.eu/v1",
        ),
        {"PINGONE_CLIENT_ID": "c", "PINGONE_CLIENT_SECRET": "s"},
    ),
    case("--notify over plain http", (*STATUS, "--notify", "http://hooks.slack.com/services/x")),
    case("--notify not a URL", (*STATUS, "--notify", "slack")),
    case("SSOCTL_NOTIFY_URL not a URL", STATUS, {"SSOCTL_NOTIFY_URL": "hooks"}),
    case(
        "--notify URL with user:password",
        (*STATUS, "--within", "400", "--notify", "https://u:PASSWORD@hooks.example.com/x"),
        never="PASSWORD",
    ),
    case(
        "SSOCTL_NOTIFY_URL with user:password",
        STATUS,
        {"SSOCTL_NOTIFY_URL": "https://u:PASSWORD@hooks.example.com/x"},
        never="PASSWORD",
    ),
    case("--notify URL with port 99999", (*STATUS, "--notify", "https://hooks.example.com:99999/x")),
    case("--notify URL with port 0", (*STATUS, "--notify", "https://hooks.example.com:0/x")),
    case(
        "AZURE_AUTHORITY_HOST over plain http",
        ("login", "--device-code", "--plaintext-cache"),
        {"AZURE_AUTHORITY_HOST": "http://login.example.com"},
    ),
    case("SSOCTL_GRAPH_ENDPOINT with a blank value", REAL, {**TOKEN, "SSOCTL_GRAPH_ENDPOINT": " "}),
    # environment variables
    case("empty SSOCTL_ACCESS_TOKEN", REAL, {"SSOCTL_ACCESS_TOKEN": ""}),
    case("SSOCTL_ACCESS_TOKEN of two lines", REAL, {"SSOCTL_ACCESS_TOKEN": "e30.e30.sig\nBearer x"}),
    case("SSOCTL_ACCESS_TOKEN with 'Bearer ' in front", REAL, {"SSOCTL_ACCESS_TOKEN": "Bearer e30.e30.sig"}),
    case("malformed AZURE_CLIENT_ID", REAL, {**CLIENT, "AZURE_CLIENT_ID": "my-app"}),
    case("blank AZURE_CLIENT_ID with a client secret", REAL, {**CLIENT, "AZURE_CLIENT_ID": " "}),
    case("unknown SSOCTL_CLOUD", REAL, {**TOKEN, "SSOCTL_CLOUD": "azure-germany"}),
    case("malformed --client-id on ssoctl login", ("login", "--device-code", "--client-id", "graph-cli")),
    # apply files (the error names the line)
    case("apply file that does not exist", ("apply", "-f", "{dir}/missing.toml", "--sandbox", "--yes")),
    case("apply file that is a folder", ("apply", "-f", "{dir}", "--sandbox", "--yes")),
    apply_file('[[registration]]\nportal = "emnify"\nname = \n', 3, "apply file with a TOML syntax error"),
    apply_file('[[registration]]\nportal = "emnify"\nname = ""\n', 3, "apply file with an empty name"),
    apply_file(
        '[[registration]]\nportal = "emnify"\nname = "  "\n', 3, "apply file with a whitespace-only name"
    ),
    apply_file(
        '[[registration]]\nportal = "emnify"\nname = "a\\u0007b"\n',
        3,
        "apply file with a control character in a name",
    ),
    apply_file(
        '[[registration]]\nportal = "emnify"\nname = "' + "n" * 121 + '"\n',
        3,
        "apply file with an over-long name",
    ),
    apply_file(
        'tenant = "not a tenant"\n\n[[registration]]\nportal = "emnify"\n',
        1,
        "apply file with a malformed tenant",
    ),
    apply_file(
        '[[registration]]\nportal = "pingone"\nredirect_uris = ["http://example.com/cb"]\n',
        3,
        "apply file with an http redirect URI",
    ),
    case(
        "apply file with user:password in a redirect URI",
        APPLY,
        files={
            "sso.toml": '[[registration]]\nportal = "pingone"\nredirect_uris = ["https://u:PASSWORD@example.com/cb"]\n'
        },
        line=3,
        never="PASSWORD",
    ),
    apply_file('[[registration]]\nportal = "emnify"\nsecret_days = 0\n', 3, "apply file with secret_days 0"),
    apply_file(
        '[[registration]]\nportal = "emnify"\nstore = "vault"\n', 3, "apply file with an unknown store kind"
    ),
    apply_file(
        '[[registration]]\nportal = "emnify"\nstore = "env-file:"\n',
        3,
        "apply file with an empty env-file path",
    ),
    apply_file(
        '[[registration]]\nportal = "emnify"\nsecrets_days = 90\n', 3, "apply file with an unknown key"
    ),
    apply_file(
        '[[registration]]\nportal = "federated-directory"\ntoken_env = "FD_TOKEN_UNSET"\n',
        3,
        "apply file whose token_env is unset",
    ),
    apply_file(
        '[[registration]]\nportal = "federated-directory"\ntoken_env = "FD_TOKEN"\nfd_base_url = "http://api.federated.directory"\n',
        4,
        "apply file with an http fd_base_url",
        {"FD_TOKEN": "tok"},
    ),
    # portal profile files (the error names the line)
    profile("name = \n", 1, "--portal-file with a TOML syntax error"),
    profile(
        MINE + 'redirect_uris = ["https://x.example/cb#frag"]\n',
        6,
        "--portal-file with a fragment in a redirect URI",
    ),
    case(
        "--portal-file with user:password in a redirect URI",
        ("azure", "register", "--portal-file", "{dir}/mine.toml", "--sandbox", "--yes"),
        files={"mine.toml": MINE + 'redirect_uris = ["https://u:PASSWORD@x.example/cb"]\n'},
        line=6,
        never="PASSWORD",
    ),
    profile(MINE.replace("AzureADMyOrg", "Everyone"), 5, "--portal-file with an unknown audience"),
    profile(MINE + 'colour = "blue"\n', 6, "--portal-file with an unknown key"),
    profile(MINE.replace('"mine"', '""', 1), 1, "--portal-file with an empty name"),
    case(
        "--portal-file that does not exist",
        ("azure", "register", "--portal-file", "{dir}/none.toml", "--sandbox", "--yes"),
    ),
    case(
        "damaged profile in SSOCTL_HOME/portals",
        ("azure", "register", "--portal", "mine", "--sandbox", "--yes"),
        files={"ssoctl/portals/mine.toml": "name = \n"},
        line=1,
    ),
    # tokens where stdin is required
    case("--token-stdin with empty stdin", STDIN, stdin=""),
    case("--token-stdin with whitespace only", STDIN, stdin="  \n\t\n"),
    case("--token-stdin with two lines", STDIN, stdin="first\nsecond\n"),
    case("--token-stdin with a control character", STDIN, stdin="abc\x07def"),
    case("--token-stdin with a NUL byte", STDIN, stdin="abc\x00def"),
    case("--token-stdin with an absurdly long token", STDIN, stdin="t" * 100_000),
    case("--token-stdin while stdin is a terminal", STDIN, terminal=True),
    case("token passed as --token VALUE", (*PROVISION, "--token", "abc")),
    case("token passed as --token=VALUE", (*PROVISION, "--token=abc")),
    case("token passed as an argument after --token-stdin", (*STDIN, "abc"), stdin="tok"),
    case("token passed as --fd-token VALUE", (*PROVISION, "--fd-token", "abc")),
    case("--scope neither assigned nor all", (*STDIN, "--scope", "everyone"), stdin="tok"),
    case("--test-user that is not a UPN", (*STDIN, "--test-user", "adele"), stdin="tok"),
]


_connections: list[object] = []  # every socket connection while a case runs
_counting = False


def _count_connections(event: str, args: tuple[object, ...]) -> None:
    if _counting and event == "socket.connect":
        family = getattr(args[0], "family", None)
        if family in (socket.AF_INET, socket.AF_INET6):
            _connections.append(args[1])


sys.addaudithook(_count_connections)


@pytest.fixture
def connections() -> Iterator[list[object]]:
    """What the code under test connected to (Graph, a portal API, a login server): nothing, for bad input."""
    global _counting
    _connections.clear()
    _counting = True
    try:
        yield _connections
    finally:
        _counting = False


def _refused(home: Path, argv: tuple[str, ...], env: Mapping[str, str], **given: object) -> str:
    """The error's first line, after checking the shape: `error:` (with a file's problems indented
    under it), at most a `hint:`, exit 2, no traceback."""
    env = {"SSOCTL_HOME": str(home), **env}
    stdin = given.get("stdin")
    deps = Deps(env={**os.environ, **env}, stdin_is_terminal=lambda: bool(given.get("terminal")))
    result = CliRunner().invoke(app, list(argv), env=env, input=stdin, obj=deps)  # type: ignore[arg-type]
    never = given.get("never")
    assert not never or str(never) not in result.stdout + result.stderr  # a secret is never echoed
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and lines[0].startswith("error: "), result.stderr
    rest = [line for line in lines[1:] if not line.startswith("  ")]  # a file's problems, one a line
    assert len(rest) == 1 and rest[0].startswith("hint: "), result.stderr  # the fix, named
    assert "Traceback" not in result.stdout + result.stderr
    return "\n".join(lines[:-1] if rest else lines).removeprefix("error: ")


def _fill(text: str, folder: Path) -> str:
    return text.replace("{dir}", str(folder))


@pytest.mark.parametrize("bad", CASES, ids=[c.what for c in CASES])
def test_bad_input_is_refused_before_any_request(
    bad: Case, tmp_path: Path, memory_keyring: MemoryKeyring, connections: list[object]
) -> None:
    home = tmp_path / "ssoctl"
    for name, text in bad.files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
        (tmp_path / name).chmod(bad.modes.get(name, 0o644))
    argv = tuple(_fill(a, tmp_path) for a in bad.argv)
    env = {k: _fill(v, tmp_path) for k, v in bad.env.items()}
    message = _refused(home, argv, env, stdin=bad.stdin, terminal=bad.terminal, never=bad.never)
    assert connections == []  # zero requests: not to Graph, a portal, Federated Directory or a login server
    assert not (home / "sandbox").exists() or read_request_log(home) == []
    assert not (home / "state.json").exists() and memory_keyring.entries == {}
    if bad.line is not None:
        assert f":{bad.line}:" in message or f"line {bad.line}" in message, message
    if bad.stdin and len(bad.stdin.strip()) > 3:
        assert bad.stdin.strip()[:8] not in message  # a token is never echoed
    shown = message.replace(str(tmp_path) + os.sep, "").replace(str(tmp_path), ".")
    BAD_INPUT.append((bad.what, " ".join(argv), " ".join(shown.split())))


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

"""Leak scan: every flow, in table and JSON output and with --verbose, then a search for every
secret and token involved everywhere but its store.

One journey per output mode runs every flow in one SSOCTL_HOME, against the sandbox tenant and the
fake portal APIs (real HTTP on 127.0.0.1): register (emnify, pingone and generic-oidc with admin
consent into env files, okta into Okta's API, emnify into PingOne's API, both also into the
sandbox's own fakes), a re-run and a plan, apply -f (with a Federated Directory entry whose token
comes from `token_env`), secrets rotate, azure status and verify, secrets status with --notify,
azure provision (Federated Directory, token from stdin), unregister, a person's `ssoctl login`
(device code at the sandbox's https login server) with whoami and a Graph read through that
sign-in, and an app signing in with its client secret.

The secrets are collected where they are born, not guessed: every client secret the sandbox's
addPassword issues and every token its login hosts issue (ssoctl.sandbox is wrapped to note them),
the refresh/ID tokens in MSAL's cache, the Federated Directory key, the Okta API token, the PingOne
worker's secret and the tokens PingOne issued, the --notify URL, and an AZURE_CLIENT_SECRET that is
present but unused. Then stdout and stderr of every run (the --verbose log included), and every
file under SSOCTL_HOME, HOME and the working folder other than the stores (the env files, MSAL's
token cache) must hold none of them, nor anything shaped like a JWT; every file holding one is 0600.
The error paths get the same scan: wrong portal credentials, a refused directory key, webhooks that
fail, Graph dropping addPassword's answer after it acted.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import stat
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ssoctl.cli import app
from ssoctl.deps import Deps
from ssoctl.sandbox import SandboxServer, login_flows, server, start_sandbox
from ssoctl.sandbox import login as sandbox_login
from ssoctl.sandbox.fd_scim import FakeFederatedDirectory, start_fake_federated_directory
from ssoctl.sandbox.portal_fakes import FakeOkta, FakePingOne
from ssoctl.sandbox.resources import applications
from ssoctl.stores import sandbox_portals
from tests.e2e.conftest import Recorder
from tests.e2e.test_pingone import REDIRECT
from tests.e2e.test_secrets_status import Webhook
from tests.e2e.test_signin import Person, ci_app
from tests.sandbox.conftest import Graph
from tests.support.memory_keyring import MemoryKeyring

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
UNUSED_CLIENT_SECRET = "leak-canary-client-secret-value"


@dataclass
class Secrets:
    """Every secret and token of the journey, by value, with what it is (for the report)."""

    found: dict[str, str] = field(default_factory=dict)

    def add(self, what: str, value: object) -> None:
        if isinstance(value, str) and len(value) >= 16:
            self.found.setdefault(value, what)

    def in_text(self, text: str) -> list[str]:
        hits = [what for value, what in self.found.items() if value in text or _quoted(value) in text]
        hits += [f"a JWT ({m[:12]}…)" for m in JWT.findall(text)]
        return hits


def _quoted(value: str) -> str:
    return urllib.parse.quote(value, safe="")


@pytest.fixture
def born(monkeypatch: pytest.MonkeyPatch) -> Secrets:
    """Note each client secret and token the sandbox issues, as it is issued."""
    noted = Secrets()

    def secret_text(real: Callable[[], str] = applications._secret_text) -> str:
        value = real()
        noted.add("a client secret issued by addPassword", value)
        return value

    monkeypatch.setattr(applications, "_secret_text", secret_text)
    for module in (server, sandbox_login, login_flows):
        real = module.issue_token  # type: ignore[attr-defined]

        def issue(*args: Any, _real: Any = real, **kwargs: Any) -> str:
            token = str(_real(*args, **kwargs))
            noted.add("an access token issued by the sandbox", token)
            return token

        monkeypatch.setattr(module, "issue_token", issue)

    class NotedPingOne(FakePingOne):  # the sandbox's own PingOne: a worker secret made per run
        def start(self) -> Any:
            noted.add("the sandbox PingOne's worker secret", self.client_secret)
            return super().start()

    class NotedOkta(FakeOkta):
        def start(self) -> Any:
            noted.add("the sandbox Okta's API token", self.token)
            return super().start()

    monkeypatch.setattr(sandbox_portals, "FakePingOne", NotedPingOne)
    monkeypatch.setattr(sandbox_portals, "FakeOkta", NotedOkta)
    return noted


@dataclass
class Journey:
    home: Path
    work: Path
    stores: Path  # env-file stores live here, outside SSOCTL_HOME, HOME and the working folder
    output: str
    verbose: bool
    noted: Secrets
    keyring: MemoryKeyring
    runs: list[tuple[str, str]] = field(default_factory=list)  # (flow, stdout + stderr)
    sleep: Recorder = field(default_factory=Recorder)

    def __call__(
        self,
        flow: str,
        *args: str,
        env: dict[str, str] | None = None,
        stdin: str = "",
        person: io.StringIO | None = None,
        codes: tuple[int, ...] = (0,),
        output: bool = True,
        sends: bool = True,
    ) -> Any:
        env = {
            "AZURE_CLIENT_SECRET": UNUSED_CLIENT_SECRET,
            "SSOCTL_VERBOSE": "1" if self.verbose else "0",
            **(env or {}),
        }
        err = person or io.StringIO()
        deps = Deps(
            env={**os.environ, **env},
            clock=lambda: datetime.now(UTC),
            sleep=self.sleep,
            stdin_is_terminal=lambda: person is not None,
            stderr=lambda: err,
        )
        argv = [*args, *(["-o", self.output] if output else [])]
        result = CliRunner().invoke(app, argv, obj=deps, env=env, input=stdin)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        text = result.stdout + result.stderr + err.getvalue()
        assert result.exit_code in codes, (flow, result.exit_code, text[-1500:])
        if self.verbose and sends:
            assert "verbose: " in text, flow  # the log this journey scans is really there
        self.runs.append((flow, text))
        self._collect()
        return result

    def store(self, name: str) -> str:
        return f"env-file:{self.stores / name}"

    def _collect(self) -> None:
        for path in self.stores.glob("*.env"):
            for line in path.read_text().splitlines():
                name, _, value = line.partition("=")
                if "SECRET" in name or "TOKEN" in name:
                    self.noted.add(f"{name} in {path.name}", value.strip().strip("'\""))
        for (_, user), value in self.keyring.entries.items():
            if not user.endswith("_id"):  # a client or tenant ID is no secret
                self.noted.add(f"keyring entry {user.rsplit('/', 1)[-1]}", value)


def _scan_files(journey: Journey, skip: set[Path]) -> list[str]:
    findings = []
    for root in (journey.home, Path(os.environ["HOME"]), journey.work):
        for path in root.rglob("*"):
            if not path.is_file() or path.resolve() in skip:
                continue
            text = path.read_bytes().decode("utf-8", errors="replace")
            findings += [f"{what} in {path}" for what in journey.noted.in_text(text)]
    return findings


@pytest.fixture
def fakes(home: Path) -> Iterator[tuple[FakeOkta, FakePingOne, FakeFederatedDirectory, Webhook]]:
    hook = Webhook()
    hook.url = hook.url.replace("SECRETTOKEN", secrets.token_urlsafe(24))
    with FakeOkta() as okta, FakePingOne() as pingone, start_fake_federated_directory(home) as directory:
        yield okta, pingone, directory, hook  # type: ignore[misc]
    hook.server.shutdown()


@pytest.fixture
def home() -> Path:
    return Path(os.environ["SSOCTL_HOME"])


@pytest.fixture
def login_server(home: Path, monkeypatch: pytest.MonkeyPatch, born: Secrets) -> Iterator[SandboxServer]:
    with start_sandbox(home, login=True) as srv:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(srv.ca_file))
        monkeypatch.setenv("SSL_CERT_FILE", str(srv.ca_file))
        yield srv


# --verbose adds stderr lines and changes nothing else, so its journeys also stand for the plain
# runs of that output; one plain table journey keeps the default path (no hooks installed) scanned.
@pytest.mark.parametrize(("output", "verbose"), [("table", False), ("table", True), ("json", True)])
def test_no_secret_outside_its_store(
    output: str,
    verbose: bool,
    tmp_path: Path,
    home: Path,
    memory_keyring: MemoryKeyring,
    born: Secrets,
    fakes: tuple[FakeOkta, FakePingOne, FakeFederatedDirectory, Webhook],
    login_server: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    okta, pingone, directory, hook = fakes
    work, stores = tmp_path / "work", tmp_path / "stores"
    work.mkdir()
    stores.mkdir()
    monkeypatch.chdir(work)
    run = Journey(home, work, stores, output, verbose, born, memory_keyring)
    worker = {"PINGONE_CLIENT_ID": pingone.client_id, "PINGONE_CLIENT_SECRET": pingone.client_secret}
    pingone_api = ("--pingone-env", pingone.env_id, "--pingone-api-url", pingone.api_url,
                   "--pingone-auth-url", pingone.auth_url)  # fmt: skip
    fd_token = directory.issue_key()
    for what, value in (
        ("the Okta API token", okta.token),
        ("the PingOne worker's client secret", pingone.client_secret),
        ("the Federated Directory directory key", fd_token),
        ("the --notify URL", hook.url),
        ("the --notify URL's path", urllib.parse.urlsplit(hook.url).path),
        ("an unused AZURE_CLIENT_SECRET", UNUSED_CLIENT_SECRET),
    ):
        born.add(what, value)

    emnify = (
        "azure",
        "register",
        "--portal",
        "emnify",
        "--sandbox",
        "--yes",
        "--store",
        run.store("emnify.env"),
    )
    run("register emnify", *emnify)
    run("register emnify again", *emnify)
    run("register emnify --plan", *emnify[:5], "--plan")
    run("register pingone", "azure", "register", "--portal", "pingone", "--redirect-uri", REDIRECT,
        "--sandbox", "--yes", "--store", run.store("pingone.env"))  # fmt: skip
    run("register generic-oidc --admin-consent", "azure", "register", "--portal", "generic-oidc",
        "--redirect-uri", "https://wiki.example.com/oidc/callback", "--admin-consent", "--sandbox", "--yes",
        "--store", run.store("wiki.env"))  # fmt: skip
    run("register okta --store okta", "azure", "register", "--portal", "okta", "--okta-org", okta.url,
        "--store", "okta", "--sandbox", "--yes", env={"OKTA_API_TOKEN": okta.token})  # fmt: skip
    run("register --store pingone", "azure", "register", "--portal", "emnify", "--name", "emnify EU",
        "--store", "pingone", *pingone_api, "--sandbox", "--yes", env=worker)  # fmt: skip
    no_worker = {"PINGONE_CLIENT_ID": "", "PINGONE_CLIENT_SECRET": "", "OKTA_API_TOKEN": ""}
    run("register --store pingone (the sandbox's own PingOne)", "azure", "register", "--portal", "emnify",
        "--name", "emnify sandbox", "--store", "pingone", "--sandbox", "--yes", env=no_worker)  # fmt: skip
    run("register okta --store okta (the sandbox's own Okta)", "azure", "register", "--portal", "okta",
        "--name", "okta sandbox", "--okta-org", "https://acme.okta.com", "--store", "okta", "--sandbox", "--yes",
        env=no_worker)  # fmt: skip
    apply_file = work / "sso.toml"
    apply_file.write_text(
        f'store = "{run.store("apply.env")}"\n\n[[registration]]\nportal = "emnify"\nname = "emnify US"\n\n'
        f'[[registration]]\nportal = "federated-directory"\ntoken_env = "FD_TOKEN"\nfd_base_url = "{directory.url}"\n'
    )
    apply_token = directory.issue_key()
    born.add("the directory key an apply file's token_env names", apply_token)
    run("apply -f", "apply", "-f", str(apply_file), "--sandbox", "--yes", env={"FD_TOKEN": apply_token})
    run(
        "apply -f --plan",
        "apply",
        "-f",
        str(apply_file),
        "--sandbox",
        "--plan",
        env={"FD_TOKEN": apply_token},
    )
    rotate = ("secrets", "rotate", "--portal", "emnify", "--sandbox", "--yes")
    run("secrets rotate", *rotate, "--store", run.store("emnify.env"))
    run("secrets rotate --store pingone", *rotate, "--name", "emnify EU", *pingone_api, "--overlap-days", "0",
        env=worker)  # fmt: skip
    run("azure status", "azure", "status", "--portal", "emnify", "--sandbox", codes=(0, 8))
    run("azure verify", "azure", "verify", "--portal", "emnify", "--sandbox", codes=(0, 1, 8))
    run("azure verify okta", "azure", "verify", "--portal", "okta", "--sandbox", codes=(0, 1, 8),
        env={"OKTA_API_TOKEN": okta.token})  # fmt: skip
    run("secrets status --notify", "secrets", "status", "--sandbox", "--within", "1000", "--notify", hook.url,
        codes=(0, 8))  # fmt: skip
    assert hook.posts, "the webhook was not called: the --notify URL went untested"
    run("azure provision", "azure", "provision", "--portal", "federated-directory", "--sandbox",
        "--token-stdin", "--fd-base-url", directory.url, "--yes", stdin=fd_token)  # fmt: skip
    run("azure provision again (stored token)", "azure", "provision", "--portal", "federated-directory",
        "--sandbox", "--fd-base-url", directory.url, "--yes")  # fmt: skip
    run("azure status federated-directory", "azure", "status", "--portal", "federated-directory",
        "--sandbox", codes=(0, 8))  # fmt: skip
    run("azure unregister", "azure", "unregister", "--portal", "pingone", "--sandbox", "--yes")
    run("azure unregister okta", "azure", "unregister", "--portal", "okta", "--sandbox", "--yes",
        env={"OKTA_API_TOKEN": okta.token})  # fmt: skip

    signed_in = {
        "AZURE_AUTHORITY_HOST": login_server.login_url,
        "SSOCTL_GRAPH_ENDPOINT": login_server.url,
        "AZURE_TENANT_ID": login_server.tenant_id,
        "PATH": str(tmp_path),  # no `az`
        "AZURE_CLIENT_SECRET": "",
    }
    person = Person(login_server, upn="dev@contoso.test", wids="")
    run("login", "login", "--device-code", "--plaintext-cache", env=signed_in, person=person)
    cache = home / "msal-token-cache.json"
    for kind, entries in json.loads(cache.read_text()).items():
        for entry in entries.values() if isinstance(entries, dict) else []:
            run.noted.add(f"MSAL cache {kind}", entry.get("secret"))
    run("whoami", "whoami", env=signed_in)
    run("secrets status (signed in)", "secrets", "status", env=signed_in, codes=(0, 8))
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    store_files = {p.resolve() for p in stores.iterdir()}
    findings = _scan_files(run, skip=store_files | {cache.resolve()})  # while signed in
    run("logout", "logout", env=signed_in, sends=False)
    ci = ci_app(login_server)  # an app signing in with its client secret (azure-identity)
    ci_secret = (
        Graph(login_server).call("POST", f"/applications/{ci['id']}/addPassword", {}).body["secretText"]
    )
    as_app = {**signed_in, "AZURE_CLIENT_ID": ci["appId"], "AZURE_CLIENT_SECRET": ci_secret}
    run("whoami as an app", "whoami", env=as_app)
    app_status = run("secrets status as an app", "secrets", "status", env=as_app, codes=(0, 8))
    if verbose:
        assert "grant-type=client_credentials" in app_status.stderr + run.runs[-1][1]

    for token in pingone._tokens:  # what PingOne issued to ssoctl's worker
        born.add("a PingOne access token", token)
    kinds = set(born.found.values())
    assert {"a client secret issued by addPassword", "an access token issued by the sandbox",
            "MSAL cache RefreshToken", "a PingOne access token", "the sandbox PingOne's worker secret",
            "the sandbox Okta's API token"} <= kinds, kinds  # fmt: skip

    if verbose:  # every kind of request was logged, so every hook's line was scanned
        logged = {m for _, text in run.runs for m in re.findall(r"^verbose: ([\w-]+) ", text, re.M)}
        assert logged >= {"graph", "token", "login", "okta", "pingone", "federated-directory", "webhook"}, (
            logged
        )
    findings += [
        f"{what} in the output of `{flow}`" for flow, text in run.runs for what in born.in_text(text)
    ]
    findings += _scan_files(run, skip=store_files)
    assert findings == [], "\n".join(sorted(set(findings)))

    assert {stat.S_IMODE(p.stat().st_mode) for p in store_files} == {0o600}
    for path in [home / "state.json", *(home / "sandbox").glob("*.json*")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_nothing_holding_the_environment_or_a_secret_prints_it() -> None:
    """repr and str of what holds the environment, a credential or a secret (what a crash report,
    a debugger or a careless f-string would show)."""
    from ssoctl.config import CLOUDS
    from ssoctl.credentials import Credentials, Secret
    from ssoctl.graph.auth import choose_sign_in
    from ssoctl.stores.portal_api import OktaStore, PingOneStore, ProviderOptions

    canary, token = "leak-canary-0123456789", "eyJleak.eyJcanary.sig"
    env = {
        "AZURE_CLIENT_SECRET": canary,
        "AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
        "AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000002",
        "PINGONE_CLIENT_ID": "worker",
        "PINGONE_CLIENT_SECRET": canary,
        "OKTA_API_TOKEN": canary,
    }
    holders: list[object] = [
        Deps(env={**env, "SSOCTL_ACCESS_TOKEN": token}),
        choose_sign_in(env, cloud=CLOUDS["global"], tenant=None),
        choose_sign_in({"SSOCTL_ACCESS_TOKEN": token}, cloud=CLOUDS["global"], tenant=None),
        Credentials("client", "tenant", Secret(canary)),
        PingOneStore(ProviderOptions("idp", pingone_env="env-1"), env),
        OktaStore(ProviderOptions("idp", okta_org="https://acme.okta.com"), env),
    ]
    for holder in holders:
        for shown in (repr(holder), str(holder), f"{holder}"):
            assert canary not in shown and "eyJ" not in shown, shown


PASSWORD = "leak-canary-url-password"


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("azure", "provision", "--portal", "federated-directory", "--token-stdin", "--fd-base-url",
          f"https://scim:{PASSWORD}@api.federated.directory/v2"), {}),
        (("azure", "register", "--portal", "emnify", "--store", "pingone", "--pingone-env", "e1",
          "--pingone-api-url", f"https://worker:{PASSWORD}@api.pingone.eu/v1", "--sandbox"), {}),
        (("azure", "register", "--portal", "emnify", "--store", "pingone", "--pingone-env", "e1",
          "--pingone-api-url", "http://127.0.0.1:9/v1", "--pingone-auth-url", f"https://worker:{PASSWORD}@auth.pingone.eu",
          "--sandbox"), {}),
        (("azure", "status", "--portal", "emnify"),
         {"SSOCTL_GRAPH_ENDPOINT": f"https://me:{PASSWORD}@graph.microsoft.com", "SSOCTL_ACCESS_TOKEN": "x.y.z"}),
        (("azure", "verify", "--portal", "emnify"),
         {"AZURE_AUTHORITY_HOST": f"https://me:{PASSWORD}@login.example", "SSOCTL_ACCESS_TOKEN": "x.y.z",
          "SSOCTL_GRAPH_ENDPOINT": "http://127.0.0.1:9"}),
    ],
    ids=["fd-base-url", "pingone-api-url", "pingone-auth-url", "SSOCTL_GRAPH_ENDPOINT", "AZURE_AUTHORITY_HOST"],
)  # fmt: skip
@pytest.mark.parametrize("output", ["table", "json"])
def test_a_url_with_a_password_is_refused_without_echoing_it(
    args: tuple[str, ...], env: dict[str, str], output: str, home: Path, memory_keyring: MemoryKeyring
) -> None:
    """Found by this scan: `--fd-base-url https://user:pw@…` (and the PingOne URLs) were accepted and
    echoed whole in `cannot reach … at https://user:pw@…`; now every base URL refuses user info."""
    run = Journey(home, home, home, output, True, Secrets(), memory_keyring)
    result = run("a URL with user info", *args, env={**env, "PINGONE_CLIENT_ID": "w", "PINGONE_CLIENT_SECRET": "s"},
                 stdin="token", codes=(2,), sends=False)  # fmt: skip
    text = result.stdout + result.stderr + run.runs[-1][1]
    assert PASSWORD not in text and "user info" in text
    assert not (home / "sandbox" / "requests.jsonl").exists() and "verbose:" not in text  # no request


@pytest.mark.parametrize("output", ["table", "json"])
def test_refusals_and_dropped_answers_leak_nothing(
    output: str,
    tmp_path: Path,
    home: Path,
    memory_keyring: MemoryKeyring,
    born: Secrets,
    fakes: tuple[FakeOkta, FakePingOne, FakeFederatedDirectory, Webhook],
) -> None:
    """The error paths, with --verbose: wrong portal credentials, a refused directory key, a webhook
    that answers 500 or cannot be reached, and Graph dropping the connection after it acted."""
    okta, pingone, directory, hook = fakes
    stores = tmp_path / "stores"
    stores.mkdir()
    run = Journey(home, home, stores, output, True, born, memory_keyring)
    wrong = {
        name: f"leak-canary-wrong-{name}-{secrets.token_urlsafe(8)}" for name in ("okta", "pingone", "fd")
    }
    for name, value in wrong.items():
        born.add(f"a wrong {name} credential", value)
    born.add("the --notify URL's path", urllib.parse.urlsplit(hook.url).path)
    run("okta with a wrong API token", "azure", "register", "--portal", "okta", "--okta-org", okta.url,
        "--store", "okta", "--sandbox", "--yes", env={"OKTA_API_TOKEN": wrong["okta"]}, codes=(1,))  # fmt: skip
    run("pingone with a wrong worker secret", "azure", "register", "--portal", "emnify", "--store", "pingone",
        "--pingone-env", pingone.env_id, "--pingone-api-url", pingone.api_url, "--pingone-auth-url",
        pingone.auth_url, "--sandbox", "--yes", codes=(1,),
        env={"PINGONE_CLIENT_ID": pingone.client_id, "PINGONE_CLIENT_SECRET": wrong["pingone"]})  # fmt: skip
    run("a refused directory key", "azure", "provision", "--portal", "federated-directory", "--sandbox",
        "--token-stdin", "--fd-base-url", directory.url, "--yes", stdin=wrong["fd"], codes=(1,))  # fmt: skip
    register = (
        "azure",
        "register",
        "--portal",
        "emnify",
        "--sandbox",
        "--yes",
        "--store",
        run.store("e.env"),
    )
    for mode in ("reset-after", "500-after"):  # addPassword is the 4th request of a first register
        named = (*register, "--name", f"emnify {mode}")
        run(f"addPassword answered {mode}", *named, env={"SSOCTL_SANDBOX_FAULTS": f"fail-at=4,fail={mode}"},
            codes=(1,))  # fmt: skip
        run(f"the run after {mode}", *named)
    assert any("no answer (" in text for _, text in run.runs), "no dropped answer was logged"
    hook.answer = 500
    notify = ("secrets", "status", "--sandbox", "--within", "1000")
    run("a webhook answering 500", *notify, "--notify", hook.url, codes=(1,))
    unreachable = f"http://127.0.0.1:9/services/{secrets.token_urlsafe(12)}"
    born.add("an unreachable --notify URL's path", urllib.parse.urlsplit(unreachable).path)
    run("an unreachable webhook", *notify, "--notify", unreachable, codes=(1,))
    hook.server.shutdown()

    assert "a client secret issued by addPassword" in born.found.values()
    findings = [f"{what} in the output of `{flow}`" for flow, text in run.runs for what in born.in_text(text)]
    findings += _scan_files(run, skip={p.resolve() for p in stores.iterdir()})
    assert findings == [], "\n".join(sorted(set(findings)))

"""The fault matrix for the portal-API stores: `register --store pingone` and `--store okta`.

Each run uses `--sandbox`, so the real CLI starts the sandbox tenant and the fake PingOne (or Okta)
in-process, as a user's try-out does; both keep their state under SSOCTL_HOME. A case plants one
fault either on Graph (`SSOCTL_SANDBOX_FAULTS=fail-at=N,fail=MODE`) or on the portal's API
(`SSOCTL_SANDBOX_PORTAL_FAULTS=fail-at=N,fail=MODE`, PingOne's token request included), or a
whole-run fault (replication lag, Graph throttling, portal throttling). The first run may fail,
with ssoctl's own error (never a traceback, never exit 3); the second, without faults, exits 0;
then the tenant is as the guide says (one app; PingOne: one service principal, grant and app role
assignment), the app has exactly one client secret, state.json records it with the provider's id
and no pending trace, and the portal has exactly one identity provider of that name, enabled, for
the app, holding that very secret: the secret the fake last accepted is checked against the
fake's salted hash and against Entra's token endpoint. A third run makes no mutating request to
Graph or to the portal.

"-after" modes (acted on, then the answer lost) are run only at positions whose request changes
something: a read (a GET, or PingOne's token request) acted on and then failed is the same case
as one failed without acting, which the plain modes already cover.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ssoctl.sandbox.portal_fakes import Answer, FakeOkta, FakePingOne, Request
from ssoctl.stores.sandbox_portals import SANDBOX_PINGONE_ENV
from tests.e2e.conftest import MUTATING, Cli, Recorder, Run, Tenant
from tests.e2e.test_pingone import REDIRECT
from tests.e2e.test_pingone import assert_is_the_guide as assert_pingone_guide
from tests.e2e.test_portal_stores import entra_accepts
from tests.reliability.matrix import POSITION_MODES, RESULTS, WHOLE_RUN_FAULTS, FlowResult, shape
from tests.support.memory_keyring import MemoryKeyring

OKTA_ORG = "https://acme.okta.com"
PORTAL_ENV = "SSOCTL_SANDBOX_PORTAL_FAULTS"
PORTAL_WHOLE_RUN = {"portal-throttle": "throttle=2,retry-after=1"}
AFTER_MODES = tuple(m for m in POSITION_MODES if m.endswith("-after"))


def _okta_guide(tenant: Tenant) -> None:
    (app,) = tenant.apps()
    assert app["signInAudience"] == "AzureADMultipleOrgs"
    assert app["web"]["redirectUris"] == [f"{OKTA_ORG}/oauth2/v1/authorize/callback"]


def _pingone_guide(tenant: Tenant) -> None:
    assert len(tenant.apps()) == 1
    assert_pingone_guide(tenant)  # one service principal, one grant, one assignment, one secret


@dataclass(frozen=True)
class StoreFlow:
    name: str
    argv: tuple[str, ...]
    unique_name: str
    portal: str  # the fake's state file under SSOCTL_HOME/sandbox: pingone.json or okta.json
    idp_name: str
    check: Callable[[Tenant], None]

    def fake(self) -> FakePingOne | FakeOkta:
        """The fake as its state file holds it (not started): its providers and secret hashes."""
        return FakePingOne(env_id=SANDBOX_PINGONE_ENV) if self.portal == "pingone" else FakeOkta()


STORE_FLOWS = {
    "pingone-store": StoreFlow(
        "pingone-store",
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
        "ssoctl-pingone",
        "pingone",
        "pingone",
        _pingone_guide,
    ),
    "okta-store": StoreFlow(
        "okta-store",
        ("azure", "register", "--portal", "okta", "--okta-org", OKTA_ORG, "--store", "okta", "--yes"),
        "ssoctl-okta",
        "okta",
        "okta",
        _okta_guide,
    ),
}

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_OKTA_ID = re.compile(r"0oa[a-z0-9]{17}")


def portal_shape(portal: str, method: str, path: str) -> str:
    """`PingOne GET /v1/environments/{id}/identityProviders`: a portal request without its ids."""
    title = "PingOne" if portal == "pingone" else "Okta"
    return f"{title} {method} {_OKTA_ID.sub('{id}', _GUID.sub('{id}', path))}"


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every client secret a fake accepted (acted on, whatever answer the client then got), in
    test memory only: the fakes keep just a salted hash, and the test needs the text to ask them
    and Entra's token endpoint whether they hold the same secret."""
    seen: list[str] = []

    def seeing(original: Any, secret_of: Callable[[Any], str]) -> Any:
        def write(self: Any, request: Request, idp_id: str | None) -> Answer:
            answer: Answer = original(self, request, idp_id)
            if answer.status in (200, 201):
                seen.append(secret_of(request.json()))
            return answer

        return write

    monkeypatch.setattr(FakePingOne, "_write", seeing(FakePingOne._write, lambda b: b["clientSecret"]))
    monkeypatch.setattr(
        FakeOkta,
        "_write",
        seeing(FakeOkta._write, lambda b: b["protocol"]["credentials"]["client"]["client_secret"]),
    )
    yield seen


@dataclass
class Ran:
    run: Run
    portal: list[dict[str, Any]]  # the portal requests of this run (the fake's request log)

    @property
    def portal_mutating(self) -> list[dict[str, Any]]:
        return [
            r
            for r in self.portal
            if r["method"] in MUTATING and r["fault"] is None and not r["path"].endswith("/as/token")
        ]


class StoreCase:
    """One home (a copy of a prepared one): run the flow with and without faults, check both sides."""

    def __init__(
        self, root: Path, template: Path, keyring: MemoryKeyring, flow: StoreFlow, written: list[str]
    ) -> None:
        shutil.copytree(template, root)
        keyring.entries.clear()
        written.clear()
        self.home, self.keyring, self.flow, self.written = root, keyring, flow, written
        self.cli = Cli(home=root, sleep=Recorder())
        self.portal_log = root / "sandbox" / f"{flow.portal}-requests.jsonl"

    def _portal_requests(self) -> list[dict[str, Any]]:
        if not self.portal_log.exists():
            return []
        return [json.loads(line) for line in self.portal_log.read_text().splitlines() if line.strip()]

    def run(self, graph_faults: str = "", portal_faults: str = "") -> Ran:
        self.cli.faults = graph_faults
        before = len(self._portal_requests())
        env = {"SSOCTL_HOME": str(self.home), PORTAL_ENV: portal_faults}
        run = self.cli(*self.flow.argv, "--sandbox", env=env, sandbox=False)
        assert "Traceback" not in run.stdout + run.stderr, run.stderr
        assert run.exit_code != 3, run.stderr  # 3 is "a bug in ssoctl"
        return Ran(run, self._portal_requests()[before:])

    def check_converged(self) -> None:
        tenant = Tenant(self.home)
        self.flow.check(tenant)
        app = tenant.app(self.flow.unique_name)
        (password,) = app["passwordCredentials"]  # exactly one secret: no orphan, no duplicate
        held = self.check_provider()
        assert held.startswith(password["hint"]), "the provider's secret is not the app's one secret"

    def check_provider(self) -> str:
        """The record, the keyring and the portal agree on one secret of the app; returns it."""
        app = Tenant(self.home).app(self.flow.unique_name)
        (record,) = json.loads((self.home / "state.json").read_text())["registrations"].values()
        on_app = {c["keyId"]: c for c in app["passwordCredentials"]}
        assert record["secret"]["keyId"] in on_app, "state.json records a secret the app has"
        assert not record.get("pendingSecrets"), "a pending trace was left"
        assert not [u for (_, u) in self.keyring.entries if u.endswith("/client_secret")], (
            "a portal store keeps no secret in the keyring"
        )
        fake = self.flow.fake().keep_state_in(self.home / "sandbox" / f"{self.flow.portal}.json")
        named = [i for i in fake.idps.values() if i["name"] == self.flow.idp_name]
        assert len(named) == 1 and len(fake.idps) == 1, f"identity providers: {list(fake.idps.values())}"
        (idp,) = named
        assert _as_set_up(idp) == ("MICROSOFT", True, app["appId"]), idp
        assert record["secret"]["store"].endswith(f"/{idp['id']}"), record["secret"]["store"]
        assert self.written, "the fake never accepted a secret"
        held = self.written[-1]  # the last write the fake carried out is what it holds now
        assert fake.holds(idp["id"], held), "the provider holds another secret than the last one written"
        assert held.startswith(on_app[record["secret"]["keyId"]]["hint"]), (
            "the provider's secret is not the held one"
        )
        assert entra_accepts(self.home, app["appId"], held), "Entra refuses the provider's secret"
        return held


def _as_set_up(idp: dict[str, Any]) -> tuple[str, bool, str]:
    """(type, enabled, client id) of a PingOne or an Okta identity provider."""
    if "protocol" in idp:  # Okta
        return idp["type"], idp["status"] == "ACTIVE", idp["protocol"]["credentials"]["client"]["client_id"]
    return idp["type"], idp["enabled"], idp["clientId"]


def _prepared_home(root: Path) -> Path:
    """A home whose sandbox tenant exists (Microsoft Graph's service principal seeded): copied per case."""
    root.mkdir(parents=True)
    Tenant(root).apps()
    return root


def _survive(case: StoreCase, result: FlowResult, graph: str = "", portal: str = "") -> None:
    first = case.run(graph, portal)
    result.cases += 1
    result.first_exit[first.run.exit_code] += 1
    label = f"graph {graph!r} portal {portal!r}"
    second = case.run()
    assert second.run.exit_code == 0, f"{label}: {second.run.stderr}"
    try:
        case.check_converged()
    except AssertionError as exc:
        raise AssertionError(
            f"{label}: first run exit {first.run.exit_code}: {first.run.stderr.strip()}\n{exc}"
        ) from exc
    third = case.run()
    assert third.run.exit_code == 0, f"{label}: third run: {third.run.stderr}"
    assert third.run.mutating == [] and third.portal_mutating == [], f"{label}: not idempotent after recovery"
    result.survived += 1


def _acts(method: str, path: str) -> bool:
    """A request that can change something (so an "-after" fault differs from a plain one)."""
    return method in MUTATING and not path.endswith("/as/token")


@pytest.mark.parametrize("flow_name", sorted(STORE_FLOWS))
@pytest.mark.parametrize("side", ["graph", "portal"])
def test_every_fault_on_graph_and_on_the_portal_is_survived(
    flow_name: str, side: str, tmp_path: Path, memory_keyring: MemoryKeyring, written: list[str]
) -> None:
    flow = STORE_FLOWS[flow_name]
    result = RESULTS.setdefault(flow_name, FlowResult())
    template = _prepared_home(tmp_path / "template")
    clean_case = StoreCase(tmp_path / "clean", template, memory_keyring, flow, written)
    clean = clean_case.run()
    assert clean.run.exit_code == 0, clean.run.stderr
    clean_case.check_converged()
    graph_requests = [(r["method"], r["path"]) for r in clean.run.requests]
    portal_requests = [(r["method"], r["path"]) for r in clean.portal]
    result.clean = sorted(
        [shape(m, p) for m, p in graph_requests]
        + [portal_shape(flow.portal, m, p) for m, p in portal_requests]
    )
    positions = graph_requests if side == "graph" else portal_requests
    n = 0

    def case() -> StoreCase:
        nonlocal n
        n += 1
        return StoreCase(tmp_path / f"case-{n}", template, memory_keyring, flow, written)

    for position, (method, path) in enumerate(positions, start=1):
        for mode in POSITION_MODES:
            if mode in AFTER_MODES and not _acts(method, path):
                continue
            result.modes.add(mode)
            fault = f"fail-at={position},fail={mode}"
            _survive(case(), result, **({"graph": fault} if side == "graph" else {"portal": fault}))
    whole = WHOLE_RUN_FAULTS if side == "graph" else PORTAL_WHOLE_RUN
    for mode, fault in whole.items():
        result.modes.add(mode)
        _survive(case(), result, **({"graph": fault} if side == "graph" else {"portal": fault}))


# `secrets rotate --store pingone`: the provider takes the new secret before the old one goes -----

ROTATE_STORE_FLOWS = {
    "rotate-pingone-store": (
        "secrets", "rotate", "--portal", "pingone", "--store", "pingone", "--overlap-days", "0", "--yes",
    ),
}  # fmt: skip


def _registered_home(root: Path, keyring: MemoryKeyring, written: list[str]) -> Path:
    """A home where `register --store pingone` ran cleanly (copied per case: no re-register)."""
    template = _prepared_home(root / "empty")
    case = StoreCase(root / "registered", template, keyring, STORE_FLOWS["pingone-store"], written)
    assert case.run().run.exit_code == 0
    return case.home


def _rotate_survived(
    case: StoreCase, rotate: tuple[str, ...], result: FlowResult, graph: str, portal: str
) -> None:
    """A faulted rotate; then a register (the everyday re-run: whatever the rotate left, the provider
    must end up holding a secret the app has); then a good rotate leaves exactly its new secret."""
    register = case.flow.argv
    label = f"graph {graph!r} portal {portal!r}"
    case.flow = dataclasses.replace(case.flow, argv=rotate)
    first = case.run(graph, portal)
    result.cases += 1
    result.first_exit[first.run.exit_code] += 1
    case.flow = dataclasses.replace(case.flow, argv=register)
    again = case.run()
    try:
        assert again.run.exit_code == 0, f"register after the faulted rotate: {again.run.stderr}"
        case.check_provider()
        case.flow = dataclasses.replace(case.flow, argv=rotate)
        good = case.run()
        assert good.run.exit_code == 0, f"the good rotate: {good.run.stderr}"
        case.check_converged()
    except AssertionError as exc:
        raise AssertionError(
            f"{label}: first run exit {first.run.exit_code}: {first.run.stderr.strip()}\n{exc}"
        ) from exc
    result.survived += 1


@pytest.mark.parametrize("flow_name", sorted(ROTATE_STORE_FLOWS))
@pytest.mark.parametrize("side", ["graph", "portal"])
def test_every_fault_in_a_rotate_into_pingone_is_survived(
    flow_name: str, side: str, tmp_path: Path, memory_keyring: MemoryKeyring, written: list[str]
) -> None:
    rotate = ROTATE_STORE_FLOWS[flow_name]
    result = RESULTS.setdefault(flow_name, FlowResult())
    template = _registered_home(tmp_path / "template", memory_keyring, written)
    registered_secrets = list(written)
    flow = dataclasses.replace(STORE_FLOWS["pingone-store"], argv=rotate)

    def case(name: str) -> StoreCase:
        made = StoreCase(tmp_path / name, template, memory_keyring, STORE_FLOWS["pingone-store"], written)
        written.extend(registered_secrets)  # what the copied provider holds
        return made

    clean_case = case("clean")
    clean_case.flow = flow
    clean = clean_case.run()
    assert clean.run.exit_code == 0, clean.run.stderr
    clean_case.check_converged()
    graph_requests = [(r["method"], r["path"]) for r in clean.run.requests]
    portal_requests = [(r["method"], r["path"]) for r in clean.portal]
    result.clean = sorted(
        [shape(m, p) for m, p in graph_requests] + [portal_shape("pingone", m, p) for m, p in portal_requests]
    )
    positions = graph_requests if side == "graph" else portal_requests
    faults: list[str] = []
    for position, (method, path) in enumerate(positions, start=1):
        faults += [
            f"fail-at={position},fail={mode}"
            for mode in POSITION_MODES
            if mode not in AFTER_MODES or _acts(method, path)
        ]
    whole = WHOLE_RUN_FAULTS if side == "graph" else PORTAL_WHOLE_RUN
    result.modes.update({*POSITION_MODES, *whole})
    for n, fault in enumerate([*faults, *whole.values()]):
        _rotate_survived(
            case(f"case-{n}"),
            rotate,
            result,
            graph=fault if side == "graph" else "",
            portal=fault if side == "portal" else "",
        )

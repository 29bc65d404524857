"""The sandbox tells the truths that used to catch ssoctl out, and ssoctl copes with them:
a new secret that removePassword cannot see yet, tenant policies on client secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ssoctl.sandbox import Faults, read_request_log, replication, start_sandbox
from ssoctl.sandbox.state import TenantStore
from tests.e2e.conftest import Cli, Recorder, Run, Tenant
from tests.e2e.test_pingone import REDIRECT
from tests.sandbox.conftest import GRAPH_APP, Graph, query
from tests.support.memory_keyring import MemoryKeyring


def cli(home: Path, faults: str = "") -> Cli:
    return Cli(home=home, sleep=Recorder(), faults=faults)


def test_a_secret_taken_back_right_after_adding_it_is_really_removed(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """The store fails after addPassword, so ssoctl takes the secret back at once: Graph's replica
    answers "No password credential found" twice. ssoctl re-reads the app, sees the secret still
    listed, waits and tries again, instead of taking the answer as "already gone"."""
    home = Path(tmp_path / "ssoctl")
    run = cli(home, "password-lag=2")
    memory_keyring.writes_left = 2  # the preflight probe passes; storing the secret fails part-way
    failed = run.register("--yes")
    assert failed.exit_code == 1 and "removed from the app again" in failed.stderr, failed.stderr
    app = Tenant(home).app()
    assert app["passwordCredentials"] == []  # no secret that nobody holds
    removes = [r["status"] for r in failed.requests if r["path"].endswith("/removePassword")]
    assert removes == [400, 400, 204]
    assert run.sleep.waits  # it waited for replication between the attempts
    again = cli(home).register("--yes")
    assert again.exit_code == 0, again.stderr
    assert len(Tenant(home).app()["passwordCredentials"]) == 1


def test_a_tenant_that_forbids_client_secrets_is_named_and_the_app_stays_consistent(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    home = Path(tmp_path / "ssoctl")
    run = cli(home, "no-secrets=1").register("--yes")
    assert run.exit_code == 1
    assert "CredentialTypeNotAllowedAsPerAppPolicy" in run.stderr or "forbids client secrets" in run.stderr
    assert "exemption" in run.stderr  # what to do about it
    app = Tenant(home).app()
    assert app["passwordCredentials"] == [] and memory_keyring.entries == {}
    assert "Traceback" not in run.stderr
    again = cli(home).register("--yes")  # once the policy allows it, the same command finishes
    assert again.exit_code == 0 and len(Tenant(home).app()["passwordCredentials"]) == 1


def test_a_secret_lifetime_cap_is_named_with_the_flag_that_fits_it(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    home = Path(tmp_path / "ssoctl")
    run = cli(home, "max-password-days=90").register("--yes")
    assert run.exit_code == 1 and "--secret-days" in run.stderr, run.stderr
    assert Tenant(home).app()["passwordCredentials"] == []
    fits = cli(home, "max-password-days=90").register("--yes", "--secret-days", "90")
    assert fits.exit_code == 0, fits.stderr
    assert len(Tenant(home).app()["passwordCredentials"]) == 1


# --- Replication lag on every read path -------------------------------------------------------


def relag(home: Path, hits: int) -> None:
    """Put every application, service principal and client secret of the tenant back behind
    replication lag for its next `hits` requests, as right after they were written: the state a
    command meets when it runs moments after another one (or after a run that died)."""
    with TenantStore(home).transaction() as state:
        for app in state["applications"].values():
            replication.start(state, app["id"], hits)
            for credential in app.get("passwordCredentials") or []:
                replication.start(state, replication.credential_key(credential["keyId"]), hits)
        for sp_id, sp in state["servicePrincipals"].items():
            if sp.get("appId") != GRAPH_APP:
                replication.start(state, sp_id, hits)


def test_new_objects_lag_on_every_read_path(tmp_path: Path) -> None:
    """What the sandbox shows under `replication=2`: a new app is 404 by uniqueName and left out
    of lists; a new secret is missing from passwordCredentials; a new service principal is left
    out of `$filter` lists and 404 by appId. Each for two requests, each marked in the log."""
    home = tmp_path / "home"
    with start_sandbox(home, faults=Faults(replication_hits=2)) as server:
        graph = Graph(server)
        app = graph.create("lagging")
        by_name = graph.call("GET", "/applications(uniqueName='lagging')")
        assert by_name.status == 404 and by_name.code == "Request_ResourceNotFound"
        listed = graph.call("GET", "/applications" + query(filter="uniqueName eq 'lagging'"))
        assert listed.status == 200 and listed.body["value"] == []
        assert graph.call("GET", f"/applications(appId='{app['appId']}')").status == 200  # replicated

        key_id = graph.call("POST", f"/applications/{app['id']}/addPassword", {}).body["keyId"]
        by_id = graph.call("GET", f"/applications/{app['id']}" + query(select="id,passwordCredentials"))
        assert by_id.status == 200 and by_id.body["passwordCredentials"] == []
        (in_list,) = graph.call("GET", "/applications" + query(filter=f"appId eq '{app['appId']}'")).body[
            "value"
        ]
        assert in_list["passwordCredentials"] == []
        shown = graph.call("GET", "/applications(uniqueName='lagging')").body["passwordCredentials"]
        assert [c["keyId"] for c in shown] == [key_id]

        graph.create_sp(app)
        sp_filter = "/servicePrincipals" + query(filter=f"appId eq '{app['appId']}'")
        assert graph.call("GET", sp_filter).body["value"] == []
        assert graph.call("GET", f"/servicePrincipals(appId='{app['appId']}')").status == 404
        assert [s["appId"] for s in graph.call("GET", sp_filter).body["value"]] == [app["appId"]]
    faults = [(e["method"], e["status"], e["fault"]) for e in read_request_log(home)]
    assert faults.count(("GET", 200, "replication")) == 4 and faults.count(("GET", 404, "replication")) == 2


def pingone(run: Cli) -> Run:
    return run("azure", "register", "--portal", "pingone", "--redirect-uri", REDIRECT, "--yes")


def held_key(home: Path) -> str:
    (record,) = json.loads((home / "state.json").read_text())["registrations"].values()
    return str(record["secret"]["keyId"])


def test_register_again_while_graph_lags_plans_nothing_and_adds_no_secret(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """The app is 404 by uniqueName, its secret missing from the list, its service principal
    left out: ssoctl's record says what it wrote, so it reads again instead of planning a new app,
    a second secret (the first would be orphaned) and a second consent."""
    home = tmp_path / "ssoctl"
    assert pingone(cli(home)).exit_code == 0
    key_id = held_key(home)
    relag(home, 3)
    again = pingone(cli(home))
    assert again.exit_code == 0, again.stderr
    assert again.mutating == [] and "No changes" in again.stdout, again.stdout
    assert [r["fault"] for r in again.requests].count("replication") >= 3  # it did meet the lag
    assert [p["keyId"] for p in Tenant(home).app("ssoctl-pingone")["passwordCredentials"]] == [key_id]
    assert held_key(home) == key_id


def test_status_right_after_register_does_not_call_the_new_secret_lost(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    home = tmp_path / "ssoctl"
    assert pingone(cli(home)).exit_code == 0
    relag(home, 3)
    health = cli(home)("azure", "status", "--portal", "pingone", "--sandbox", "-o", "json")
    assert health.exit_code == 0, health.stdout + health.stderr
    doc = health.json()
    assert doc["healthy"] is True and doc["problems"] == [], doc["problems"]
    assert [s["status"] for s in doc["secrets"]] == ["ok"]
    relag(home, 3)
    listing = cli(home)("secrets", "status", "--sandbox", "-o", "json")
    assert listing.exit_code == 0, listing.stdout + listing.stderr
    assert [(s["keyId"], s["status"]) for s in listing.json()["secrets"]] == [(held_key(home), "ok")]
    assert listing.json().get("missing", []) == []


def test_rotate_right_after_register_keeps_the_previous_secret_in_view(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """Rotate reads the app to find the previous secret: a read that does not list it yet must
    not make rotate forget it (it would stay on the app with nobody tracking it)."""
    home = tmp_path / "ssoctl"
    assert pingone(cli(home)).exit_code == 0
    previous = held_key(home)
    relag(home, 3)
    run = cli(home)("secrets", "rotate", "--portal", "pingone", "--sandbox", "--yes")
    assert run.exit_code == 0, run.stdout + run.stderr
    (record,) = json.loads((home / "state.json").read_text())["registrations"].values()
    assert record["replacedKeyIds"] == [previous] and record["secret"]["keyId"] != previous
    keys = {p["keyId"] for p in Tenant(home).app("ssoctl-pingone")["passwordCredentials"]}
    assert keys == {previous, record["secret"]["keyId"]}


def test_unregister_right_after_register_deletes_the_app_it_cannot_see_yet(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    home = tmp_path / "ssoctl"
    assert pingone(cli(home)).exit_code == 0
    relag(home, 3)
    run = cli(home)("azure", "unregister", "--portal", "pingone", "--sandbox", "--yes")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert ("DELETE", 204) in [(r["method"], r["status"]) for r in run.requests]
    assert Tenant(home).apps() == [] and memory_keyring.entries == {}


def test_an_app_made_moments_ago_by_another_run_is_updated_not_reported_vanished(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """Another run (no record here) created the app a moment ago: the read says 404, the upsert
    finds it (204), and the read that follows must wait for it rather than call it vanished."""
    home = tmp_path / "ssoctl"
    with start_sandbox(home, faults=Faults(replication_hits=3)) as server:
        assert Graph(server).upsert("ssoctl-emnify", {"displayName": "emnify"}).status == 201
    run = cli(home).register("--yes")
    assert run.exit_code == 0, run.stderr
    (app,) = Tenant(home).apps()
    assert len(app["passwordCredentials"]) == 1


def _position(requests: list[dict[str, Any]], method: str, ending: str) -> int:
    graph_requests = [r for r in requests if r["path"].startswith("/v1.0/")]
    return next(
        i
        for i, r in enumerate(graph_requests, 1)
        if r["method"] == method and r["path"].split("?")[0].endswith(ending)
    )


def test_a_lost_add_password_answer_while_graph_lags_leaves_no_orphan(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """addPassword acts but its answer is lost, and the app's reads lag: ssoctl's check for the
    secret it may have made must wait for it, and take it back, rather than say "none was
    created" and leave a secret nobody holds."""
    clean_home = tmp_path / "clean"
    lagging = cli(clean_home, "replication=3").register("--yes", env={"SSOCTL_HOME": str(clean_home)})
    at = _position(lagging.requests, "POST", "/addPassword")  # where it comes in a lagging run
    home = tmp_path / "ssoctl"
    first = cli(home, f"replication=3,fail-at={at},fail=reset-after").register("--yes")
    assert first.exit_code == 1 and "removed 1 unheld secret" in first.stderr, first.stderr
    assert Tenant(home).app()["passwordCredentials"] == []
    again = cli(home).register("--yes")
    assert again.exit_code == 0, again.stderr
    (password,) = Tenant(home).app()["passwordCredentials"]
    assert password["keyId"] == held_key(home)


def test_prune_leaves_the_secret_an_interrupted_run_stored_but_did_not_record(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """A run died after storing its new secret and before recording it: state.json names the
    secret only as pending, and the read may not even list it yet. Prune must not take it for an
    orphan (the store holds it: removing it breaks sign-in); the next register adopts it."""
    home = tmp_path / "ssoctl"
    assert cli(home).register("--yes").exit_code == 0
    previous = held_key(home)
    app = Tenant(home).app()
    name = "ssoctl 2026-12-02 beef01"
    status, added = Tenant(home).call(
        "POST", f"/applications/{app['id']}/addPassword", {"passwordCredential": {"displayName": name}}
    )
    assert status == 200
    (slot,) = [k for k in memory_keyring.entries if k[1].endswith("/client_secret")]
    memory_keyring.entries[slot] = added["secretText"]  # stored ...
    state_path = home / "state.json"
    doc = json.loads(state_path.read_text())
    (record,) = doc["registrations"].values()
    record["pendingSecrets"] = [name]  # ... but only noted as pending
    state_path.write_text(json.dumps(doc))
    relag(home, 3)
    pruned = cli(home)("secrets", "prune", "--sandbox", "--yes", "-o", "json")
    assert pruned.exit_code == 0 and pruned.json()["removed"] == [], pruned.stdout
    assert added["keyId"] in {p["keyId"] for p in Tenant(home).app()["passwordCredentials"]}
    adopted = cli(home).register("--yes")
    assert adopted.exit_code == 0, adopted.stderr
    assert held_key(home) == added["keyId"] and not adopted.mutating  # adopted, nothing added
    keys = {p["keyId"] for p in Tenant(home).app()["passwordCredentials"]}
    assert keys == {previous, added["keyId"]}  # the previous one stays for the portal, tracked


def test_a_secret_removed_by_hand_days_after_it_was_made_is_replaced_without_waiting(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """Waiting for replication is for what ssoctl wrote moments ago: a held secret whose name
    dates it days back, missing from the app, was removed (by hand), so register makes a new one
    at once; the same secret missing right after it was made is waited for first."""
    home = tmp_path / "ssoctl"
    assert cli(home).register("--yes").exit_code == 0
    app = Tenant(home).app()
    (password,) = app["passwordCredentials"]
    status, _ = Tenant(home).call(
        "POST", f"/applications/{app['id']}/removePassword", {"keyId": password["keyId"]}
    )
    assert status == 204
    state_path = home / "state.json"
    fresh = state_path.read_text()
    old = json.loads(fresh)
    (record,) = old["registrations"].values()
    record["secret"]["displayName"] = "ssoctl 2026-01-05 0a1b2c"  # made long ago
    state_path.write_text(json.dumps(old))
    weeks = cli(home).register("--yes")
    assert weeks.exit_code == 0 and weeks.requests[0]["method"] == "GET", weeks.stderr
    reads = [r for r in weeks.requests if r["method"] == "GET" and "uniqueName" in r["path"]]
    assert len(reads) == 1 and len(Tenant(home).app()["passwordCredentials"]) == 1  # no wait, new secret

    (password,) = Tenant(home).app()["passwordCredentials"]
    status, _ = Tenant(home).call(
        "POST", f"/applications/{Tenant(home).app()['id']}/removePassword", {"keyId": password["keyId"]}
    )
    assert status == 204
    moments = cli(home)
    run = moments.register("--yes")
    assert run.exit_code == 0, run.stderr
    reads = [r for r in run.requests if r["method"] == "GET" and "uniqueName" in r["path"]]
    assert len(reads) > 1 and sum(moments.sleep.waits) == pytest.approx(30.0)  # waited 30 s, then believed it

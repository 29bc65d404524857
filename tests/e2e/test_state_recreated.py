"""A removed or damaged state.json must not lead to live secrets being pruned (#10).

The repro: register into an env file, rotate, remove state.json (the old hint called that
harmless), register again without --store, then `secrets status` called the two secrets the env
file holds orphans and `secrets prune` removed them, the one the portal uses among them.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from tests.e2e.conftest import Cli, Tenant


def key_ids(tenant: Tenant) -> set[str]:
    return {c["keyId"] for c in tenant.app("ssoctl-emnify")["passwordCredentials"]}


def remove_state_after_rotating(cli: Cli, tenant: Tenant, home: Path, env_file: Path) -> set[str]:
    """The repro up to the removal: two live secrets, held in an env file ssoctl then forgets."""
    assert cli.register("--store", f"env-file:{env_file}", "--yes").exit_code == 0
    rotated = cli("secrets", "rotate", "--portal", "emnify", "--sandbox", "--yes")
    assert rotated.exit_code == 0, rotated.stderr
    held = key_ids(tenant)
    assert len(held) == 2
    (home / "state.json").unlink()
    return held


def test_register_warns_about_client_secrets_it_has_no_record_of(
    cli: Cli, tenant: Tenant, home: Path, tmp_path: Path
) -> None:
    remove_state_after_rotating(cli, tenant, home, tmp_path / "s.env")
    again = cli.register("--yes", "-o", "json")
    assert again.exit_code == 0, again.stderr
    (warning,) = again.json()["warnings"]
    assert "2 client secret(s) ssoctl has no record of" in warning and "--store" in warning
    assert "2 client secret(s) ssoctl has no record of" in again.stderr
    # Once recorded, the next run adds nothing and warns of nothing.
    quiet = cli.register("--yes", "-o", "json")
    assert quiet.json()["warnings"] == [] and "no record of" not in quiet.stderr


def test_a_recreated_state_file_does_not_let_prune_remove_secrets_another_store_holds(
    cli: Cli, tenant: Tenant, home: Path, tmp_path: Path
) -> None:
    held_before = remove_state_after_rotating(cli, tenant, home, tmp_path / "s.env")
    assert cli.register("--yes").exit_code == 0  # a third secret, in the default store

    status = cli("secrets", "status", "--sandbox", "-o", "json")
    by_key = {row["keyId"]: row for row in status.json()["secrets"]}
    assert all(by_key[k]["status"] != "orphan" for k in held_before), status.stdout

    pruned = cli("secrets", "prune", "--sandbox", "--yes", "-o", "json")
    assert pruned.exit_code == 0, pruned.stdout + pruned.stderr
    doc = pruned.json()
    assert doc["removed"] == [] and {k["keyId"] for k in doc["kept"]} == held_before
    assert "made before this machine's record of the registration" in doc["kept"][0]["reason"]
    assert held_before <= key_ids(tenant)  # the secret the portal uses is alive
    human = cli("secrets", "prune", "--sandbox", "--yes")
    assert human.exit_code == 0 and human.stderr.count("another store may hold it") == 2

    # An orphan made after the record still goes (a run of this record made it).
    app_ = tenant.app("ssoctl-emnify")
    status_code, _ = tenant.call(
        "POST",
        f"/applications/{app_['id']}/addPassword",
        {"passwordCredential": {"displayName": "ssoctl x y"}},
    )
    assert status_code == 200
    late = cli("secrets", "prune", "--sandbox", "--yes", "-o", "json")
    assert [r["keyId"] for r in late.json()["removed"]] != [] and held_before <= key_ids(tenant)


def test_every_state_write_keeps_the_last_good_copy_and_the_damaged_file_error_names_it(
    cli: Cli, home: Path
) -> None:
    state, backup = home / "state.json", home / "state.json.bak"
    assert cli.register("--yes").exit_code == 0
    good = state.read_text()
    assert cli("secrets", "rotate", "--portal", "emnify", "--sandbox", "--yes").exit_code == 0
    assert backup.exists() and stat.S_IMODE(backup.stat().st_mode) == 0o600
    json.loads(backup.read_text())  # a whole, readable state file
    assert backup.read_text() != good or state.read_text() != good

    state.write_text('{"registrations": [1, 2')  # cut short
    run = cli.register("--yes")
    assert run.exit_code == 1, run.stderr
    assert f"restore the last good copy: mv {backup} {state}" in " ".join(run.stderr.split())
    os.replace(backup, state)
    assert cli.register("--yes").exit_code == 0  # restored: works, knows its secret again

    state.write_text("garbage")
    backup.write_text("garbage too")  # no good copy: removal is not called harmless
    run = cli.register("--yes")
    err = " ".join(run.stderr.split())
    assert run.exit_code == 1 and "restore the last good copy" not in err, err
    assert "move the file aside" in err and "do not run `ssoctl secrets prune`" in err
    assert "holds no secrets" not in err


def test_register_with_the_store_that_holds_a_secret_adopts_it_instead_of_adding_one(
    cli: Cli, tenant: Tenant, home: Path, tmp_path: Path
) -> None:
    env_file = tmp_path / "s.env"
    held_before = remove_state_after_rotating(cli, tenant, home, env_file)
    stored = env_file.read_text()
    again = cli.register("--store", f"env-file:{env_file}", "--yes", "-o", "json")
    assert again.exit_code == 0, again.stderr
    assert again.json()["warnings"] == [] and key_ids(tenant) == held_before  # no third secret
    assert env_file.read_text() == stored  # the portal's value is still the stored one
    record = json.loads((home / "state.json").read_text())["registrations"]
    (adopted,) = [r["secret"] for r in record.values()]
    assert adopted["keyId"] in held_before and adopted["store"] == f"env-file:{env_file}"
    status = cli("secrets", "status", "--sandbox", "-o", "json")
    rows = {row["keyId"]: row for row in status.json()["secrets"]}
    assert rows[adopted["keyId"]]["store"] == f"env-file:{env_file}"
    pruned = cli("secrets", "prune", "--sandbox", "--yes", "-o", "json")
    assert pruned.json()["removed"] == [] and key_ids(tenant) == held_before

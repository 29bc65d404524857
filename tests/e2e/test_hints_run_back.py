"""Every command ssoctl prints for a registration, pasted back as it is, acts on that registration.

The printed line is split like a shell would (shlex) and run through the CLI again; the test then
checks it reached the same app in the same tenant with the same store (INTERFACE.md: "pasting it
acts on the same registration").
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.e2e.conftest import Cli, Run, Tenant
from tests.support.memory_keyring import MemoryKeyring

_QUOTED = re.compile(r"`(ssoctl [^`]+)`")


def printed_commands(text: str, verb: str) -> list[str]:
    """Every `ssoctl …` the output names (in backticks, or after `: ` in a hint) with this verb."""
    found = _QUOTED.findall(text)
    found += re.findall(r"(?:hint: |: )(ssoctl [^\n(]+?)\s*(?:\(|$)", text, flags=re.MULTILINE)
    return [c for c in found if c.startswith(f"ssoctl {verb}")]


def run_back(cli: Cli, line: str, env: dict[str, str] | None = None) -> Run:
    argv = shlex.split(line)
    assert argv[0] == "ssoctl"
    return cli(*argv[1:], env=env, sandbox=False)  # exactly what was printed, nothing added


def test_reveal_hint_for_a_named_registration_in_an_env_file_with_spaces(
    cli: Cli, tmp_path: Path, keyring_backend: MemoryKeyring
) -> None:
    env_file = tmp_path / "my secrets" / "staging.env"
    env_file.parent.mkdir()
    assert cli.register("--yes").exit_code == 0  # a second registration of the same portal
    run = cli.register("--yes", "--name", "Emnify Staging", "--store", f"env-file:{env_file}")
    assert run.exit_code == 0, run.stderr
    (reveal,) = printed_commands(run.stdout, "secrets reveal")
    assert "--name 'Emnify Staging'" in reveal and reveal.endswith("--sandbox")
    pasted = run_back(cli, reveal)
    assert pasted.exit_code == 0, pasted.stderr
    assert f"EMNIFY_STAGING_CLIENT_SECRET='{pasted.stdout.strip()}'" in env_file.read_text()


def test_hints_name_the_tenant_the_user_named(
    cli: Cli, tmp_path: Path, keyring_backend: MemoryKeyring
) -> None:
    from ssoctl.sandbox import start_sandbox

    with start_sandbox(tmp_path / "real") as real:
        env = {"SSOCTL_GRAPH_ENDPOINT": real.url, "SSOCTL_ACCESS_TOKEN": real.token}
        assert cli.register("--yes", env=env).exit_code == 0  # the sandbox tenant: a second one
        default = cli.register("--yes", env=env, sandbox=False)
        (plain,) = printed_commands(default.stdout, "secrets reveal")
        assert "--tenant" not in plain and "--sandbox" not in plain  # the signed-in default
        named = cli.register("--yes", "--tenant", real.tenant_id, env=env, sandbox=False)
        (reveal,) = printed_commands(named.stdout, "secrets reveal")
        assert f"--tenant {real.tenant_id}" in reveal
        pasted = run_back(cli, reveal)  # found offline, in that tenant only
        assert pasted.exit_code == 0, pasted.stderr
        entries = {u: v for (_, u), v in keyring_backend.entries.items()}
        assert entries[f"{real.tenant_id}/ssoctl-emnify/client_secret"] == pasted.stdout.strip()


def test_reveal_error_hint_recreates_in_the_same_store(
    cli: Cli, tenant: Tenant, tmp_path: Path, keyring_backend: MemoryKeyring
) -> None:
    env_file = tmp_path / "emnify.env"
    assert cli.register("--yes", "--name", "emnify prod", "--store", f"env-file:{env_file}").exit_code == 0
    env_file.write_text("OTHER=1\n")  # the file lost the secret
    lost = cli("secrets", "reveal", "--portal", "emnify", "--name", "emnify prod", "--sandbox")
    assert lost.exit_code == 1
    (again,) = printed_commands(lost.stderr, "azure register")
    assert f"--store {shlex.quote(f'env-file:{env_file}')}" in again
    fixed = run_back(cli, again + " --yes")
    assert fixed.exit_code == 0, fixed.stderr
    assert "EMNIFY_PROD_CLIENT_SECRET" in env_file.read_text() and "OTHER=1" in env_file.read_text()
    assert [a["displayName"] for a in tenant.apps()] == ["emnify prod"]


def test_store_none_hint_names_a_store_that_keeps_it(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    assert cli.register("--yes", "--store", "none", "--show-secret").exit_code == 0
    refused = cli("secrets", "reveal", "--portal", "emnify", "--sandbox")
    assert refused.exit_code == 2
    (create,) = printed_commands(refused.stderr, "azure register")
    made = run_back(cli, create + " --yes")
    assert made.exit_code == 0, made.stderr
    assert cli("secrets", "reveal", "--portal", "emnify", "--sandbox").exit_code == 0


def test_rotate_command_from_status_and_reminders_acts_on_that_registration(
    cli: Cli, tenant: Tenant, tmp_path: Path, keyring_backend: MemoryKeyring
) -> None:
    import json

    env_file = tmp_path / "eu secrets" / "emnify.env"
    env_file.parent.mkdir()
    assert cli.register("--yes").exit_code == 0  # the default registration must stay as it is
    made = cli.register(
        "--yes", "--name", "emnify eu", "--secret-days", "10", "--store", f"env-file:{env_file}"
    )
    assert made.exit_code == 0, made.stderr
    before = {a["uniqueName"]: [p["keyId"] for p in a["passwordCredentials"]] for a in tenant.apps()}
    status = cli("secrets", "status", "--sandbox", "-o", "json")
    (entry,) = [e for e in status.json()["secrets"] if e["name"] == "emnify eu"]
    rotate = entry["command"]
    assert (
        rotate
        == f"ssoctl secrets rotate --portal emnify --name 'emnify eu' --store {shlex.quote('env-file:' + str(env_file))} --sandbox"
    )
    cli.terminal = True  # the reminder names the same command
    reminded = cli("portals", "list", env={"CI": "", "SSOCTL_NO_REMINDERS": ""})
    assert f"`{rotate}`" in reminded.stderr
    cli.terminal = False
    pasted = run_back(cli, rotate + " --yes --overlap-days 0")
    assert pasted.exit_code == 0, pasted.stdout + pasted.stderr
    after = {a["uniqueName"]: [p["keyId"] for p in a["passwordCredentials"]] for a in tenant.apps()}
    assert after["ssoctl-emnify"] == before["ssoctl-emnify"]  # the other registration untouched
    (new_key,) = after["ssoctl-emnify-emnify-eu"]
    assert new_key not in before["ssoctl-emnify-emnify-eu"]
    state = json.loads((cli.home / "state.json").read_text())["registrations"]
    (eu,) = [r for r in state.values() if r["uniqueName"] == "ssoctl-emnify-emnify-eu"]
    assert eu["secret"]["keyId"] == new_key and eu["secret"]["store"] == f"env-file:{env_file}"
    revealed = cli("secrets", "reveal", "--portal", "emnify", "--name", "emnify eu", "--sandbox")
    assert f"'{revealed.stdout.strip()}'" in env_file.read_text()


def test_rotate_plan_and_next_steps_name_a_prune_that_acts_on_the_sandbox(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    assert cli.register("--yes").exit_code == 0
    run = cli("secrets", "rotate", "--portal", "emnify", "--sandbox", "--yes")
    prunes = printed_commands(run.stdout + run.stderr, "secrets prune")
    assert len(prunes) >= 2, run.stdout  # the plan line and the next step
    assert set(prunes) == {"ssoctl secrets prune --sandbox"}
    pasted = run_back(cli, prunes[0] + " --yes")
    assert pasted.exit_code == 0, pasted.stdout + pasted.stderr
    assert any("/applications" in r.get("path", "") for r in pasted.requests)  # the sandbox tenant


def test_status_orphan_line_names_a_prune_that_removes_them(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    assert cli.register("--yes").exit_code == 0
    app_ = tenant.app("ssoctl-emnify")
    status, _ = tenant.call(
        "POST",
        f"/applications/{app_['id']}/addPassword",
        {"passwordCredential": {"displayName": "ssoctl 2026-01-01 abc123"}},
    )
    assert status == 200
    shown = cli("secrets", "status", "--sandbox")
    (prune,) = printed_commands(shown.stdout, "secrets prune")
    assert prune == "ssoctl secrets prune --sandbox"
    pasted = run_back(cli, prune + " --yes")
    assert pasted.exit_code == 0, pasted.stdout + pasted.stderr
    names = {c["displayName"] for c in tenant.app("ssoctl-emnify")["passwordCredentials"]}
    assert "ssoctl 2026-01-01 abc123" not in names


def test_provision_token_hints_keep_sandbox(cli: Cli) -> None:
    cli.answer = ""
    for args in (["--token-stdin"], []):  # "empty or unset", then "none is stored"
        run = cli(
            "azure", "provision", "--portal", "federated-directory", "--sandbox", "--yes",
            "--fd-base-url", "https://fd.example.com/v2", *args,
        )  # fmt: skip
        assert run.exit_code == 2, run.stderr
        unwrapped = " ".join(run.stderr.split()).replace('printf %s "$FD_TOKEN" | ', "")
        (hint,) = printed_commands(unwrapped, "azure provision")
        assert hint == (
            "ssoctl azure provision --portal federated-directory --token-stdin "
            "--fd-base-url https://fd.example.com/v2 --sandbox"
        ), run.stderr  # the Tenant URL given, or a pasted hint would use the default

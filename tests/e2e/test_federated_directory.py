"""Federated Directory end to end: the real CLI and msgraph-sdk against the sandbox tenant, and the
fake Federated Directory SCIM API (which "Test Connection", cycles and on-demand runs really call).

Every test runs twice (tests/e2e/conftest.py): calm, and with throttling and replication lag.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ssoctl.sandbox.fd_scim import FakeFederatedDirectory, start_fake_federated_directory
from tests.e2e.conftest import Cli, Run, Tenant
from tests.support.memory_keyring import MemoryKeyring

FD = "federated-directory"


@pytest.fixture
def directory(home: Path) -> Iterator[FakeFederatedDirectory]:
    with start_fake_federated_directory(home) as server:
        yield server


def provision(cli: Cli, directory: FakeFederatedDirectory, token: str, *args: str) -> Run:
    cli.answer = token
    return cli(
        "azure", "provision", "--portal", FD, "--sandbox", "--token-stdin",
        "--fd-base-url", directory.url, "--yes", "-o", "json", *args,
    )  # fmt: skip


def graph_paths(run: Run, method: str, suffix: str) -> list[str]:
    return [
        r["path"] for r in run.served if r["method"] == method and r["path"].split("?")[0].endswith(suffix)
    ]


def sync_secrets(tenant: Tenant, sp_id: str) -> dict[str, Any]:
    status, body = tenant.call("GET", f"/servicePrincipals/{sp_id}/synchronization")
    assert status == 200, body
    return {s["key"]: s["value"] for s in body["secrets"]}


def test_provision_creates_validates_saves_and_starts(
    cli: Cli, directory: FakeFederatedDirectory, tenant: Tenant, home: Path, keyring_backend: MemoryKeyring
) -> None:
    token = directory.issue_key()
    run = provision(cli, directory, token)
    assert run.exit_code == 0, run.stdout + run.stderr
    doc = run.json()
    assert doc["enterpriseApp"]["created"] is True and doc["status"]["code"] == "Active"
    assert doc["scope"] == "assigned" and doc["tenantUrl"] == directory.url
    # Created once, validated before saved, saved before started.
    mutating = [(r["method"], r["path"].split("/")[-1]) for r in run.mutating]
    if cli.faults:  # the flow went through throttling and the new enterprise app's replication lag
        faults = {r["fault"] for r in run.requests}
        assert {"throttle", "replication"} <= faults and sum(cli.sleep.waits) > 0
    assert mutating == [
        ("POST", "instantiate"),
        ("POST", "jobs"),
        ("POST", "validateCredentials"),
        ("PUT", "secrets"),
        ("POST", "start"),
    ]
    sp_id = doc["enterpriseApp"]["id"]
    assert sync_secrets(tenant, sp_id) == {
        "BaseAddress": directory.url,
        "SecretToken": None,
        "SyncAll": "false",
    }
    sandbox_tenant = (home / "sandbox" / "tenant.json").read_text()
    assert hashlib.sha256(token.encode()).hexdigest() in sandbox_tenant  # the job holds this token
    _, jobs = tenant.call("GET", f"/servicePrincipals/{sp_id}/synchronization/jobs")
    assert [j["id"] for j in jobs["value"]] == [doc["jobId"]]
    # ssoctl checked the token itself first; Entra's Test Connection called Federated Directory too.
    assert [r["status"] for r in directory.requests][:2] == [200, 200]
    # Assigned scope: the note about assignments and "Default Access".
    assert any("Default Access" in n for n in doc["notes"])
    assert doc["missingMandatory"] == []
    assert {m["source"]: m["target"] for m in doc["attributeMappings"]}["userPrincipalName"] == "userName"
    # The token: in the keyring, nowhere else.
    assert token in keyring_backend.entries.values()
    assert token not in run.stdout + run.stderr
    for path in [*home.rglob("*"), *Path(os.environ["HOME"]).rglob("*")]:
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    record = json.loads((home / "state.json").read_text())["registrations"]
    (entry,) = [r for r in record.values() if r["portal"] == FD]
    assert entry["provisioning"]["tokenHash"] and entry["provisioning"]["syncAll"] == "false"


def test_rerun_with_the_same_token_only_reads(cli: Cli, directory: FakeFederatedDirectory) -> None:
    token = directory.issue_key()
    assert provision(cli, directory, token).exit_code == 0
    again = provision(cli, directory, token)
    assert again.exit_code == 0, again.stderr
    assert again.mutating == []
    doc = again.json()
    assert doc["applied"] is False and doc["token"]["changed"] is False
    assert all(c["action"] == "none" for c in doc["changes"])


def test_stored_token_is_used_without_stdin(cli: Cli, directory: FakeFederatedDirectory) -> None:
    token = directory.issue_key()
    assert provision(cli, directory, token).exit_code == 0
    cli.answer = ""
    run = cli(
        "azure",
        "provision",
        "--portal",
        FD,
        "--sandbox",
        "--fd-base-url",
        directory.url,
        "--yes",
        "-o",
        "json",
    )
    assert run.exit_code == 0, run.stderr
    assert run.mutating == []


def test_existing_enterprise_app_is_reused(
    cli: Cli, directory: FakeFederatedDirectory, tenant: Tenant
) -> None:
    status, templates = tenant.call(
        "GET", "/applicationTemplates?$filter=displayName%20eq%20'Federated%20Directory'"
    )
    status, made = tenant.call(
        "POST",
        f"/applicationTemplates/{templates['value'][0]['id']}/instantiate",
        {"displayName": "Federated Directory"},
    )
    assert status == 201
    run = provision(cli, directory, directory.issue_key())
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert doc["enterpriseApp"] == {
        "id": made["servicePrincipal"]["id"],
        "appId": made["servicePrincipal"]["appId"],
        "displayName": "Federated Directory",
        "created": False,
    }
    assert graph_paths(run, "POST", "instantiate") == []


def test_wrong_token_changes_nothing(
    cli: Cli, directory: FakeFederatedDirectory, home: Path, keyring_backend: MemoryKeyring
) -> None:
    cli.answer = "not-a-directory-key"
    run = cli(
        "azure",
        "provision",
        "--portal",
        FD,
        "--sandbox",
        "--token-stdin",
        "--fd-base-url",
        directory.url,
        "--yes",
    )
    assert run.exit_code == 1
    assert "refused the directory key access token" in run.stderr
    assert run.requests == [] or all(r["method"] == "GET" for r in run.requests)
    assert run.mutating == []
    assert keyring_backend.entries == {}
    assert not (home / "state.json").exists() or FD not in (home / "state.json").read_text()
    assert "not-a-directory-key" not in run.stdout + run.stderr


def test_new_token_replaces_the_old_and_restarts_a_quarantined_job(
    cli: Cli, directory: FakeFederatedDirectory, keyring_backend: MemoryKeyring
) -> None:
    old = directory.issue_key()
    assert provision(cli, directory, old).exit_code == 0
    directory.revoke(old)  # the key is deleted in Federated Directory: the next cycle is refused
    status = cli("azure", "status", "--portal", FD, "--sandbox", "-o", "json")
    assert status.exit_code == 8, status.stdout + status.stderr
    doc = status.json()
    assert doc["healthy"] is False and doc["code"] == "Quarantine"
    fix = (
        f"azure provision --portal federated-directory --token-stdin --fd-base-url {directory.url} --sandbox"
    )
    assert fix in " ".join(doc["fixes"])  # the Tenant URL it was set up with, not the default
    new = directory.issue_key()
    rotated = provision(cli, directory, new)
    assert rotated.exit_code == 0, rotated.stderr
    assert rotated.json()["token"]["changed"] is True
    methods = [(r["method"], r["path"].split("/")[-1]) for r in rotated.mutating]
    assert methods == [("POST", "validateCredentials"), ("PUT", "secrets"), ("POST", "start")]
    assert new in keyring_backend.entries.values() and old not in keyring_backend.entries.values()
    healthy = cli("azure", "status", "--portal", FD, "--sandbox")
    assert healthy.exit_code == 0, healthy.stdout + healthy.stderr
    assert "healthy" in healthy.stdout


def test_test_user_is_provisioned_on_demand(
    cli: Cli, directory: FakeFederatedDirectory, tenant: Tenant
) -> None:
    _, org = tenant.call("GET", "/organization")
    upn = f"megan.bowen@{org['value'][0]['verifiedDomains'][0]['name']}"
    run = provision(cli, directory, directory.issue_key(), "--test-user", upn, "--scope", "all")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert doc["testUser"]["success"] is True and doc["testUser"]["userPrincipalName"] == upn
    assert upn in [u["userName"] for u in directory.users()]
    assert not any("Default Access" in n for n in doc["notes"])
    missing = provision(cli, directory, directory.issue_key(), "--test-user", "nobody@example.com")
    assert missing.exit_code == 2 and "no such user" in missing.stdout


def test_register_explains_the_sign_in_side(cli: Cli, directory: FakeFederatedDirectory) -> None:
    before = cli("azure", "register", "--portal", FD)
    assert before.exit_code == 0, before.stderr
    assert "needs no app registration" in before.stdout and "does not exist yet" in before.stdout
    assert "Microsoft accounts" in before.stdout and before.mutating == []
    assert provision(cli, directory, directory.issue_key()).exit_code == 0
    after = cli("azure", "register", "--portal", FD, "-o", "json")
    doc = after.json()
    assert doc["appRegistration"] is None and doc["enterpriseApp"]["displayName"] == "Federated Directory"


def test_status_before_anything_is_set_up(cli: Cli) -> None:
    run = cli("azure", "status", "--portal", FD, "--sandbox")
    assert run.exit_code == 8
    assert "does not exist" in run.stdout and "azure provision" in run.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fd-base-url", "http://fd.example.com/v2"], "plain http"),
        (["--scope", "everyone"], "--scope"),
        (["--test-user", "adele"], "userPrincipalName"),
    ],
)
def test_bad_input_is_refused_before_any_request(cli: Cli, home: Path, args: list[str], message: str) -> None:
    cli.answer = "some-token"
    run = cli("azure", "provision", "--portal", FD, "--sandbox", "--token-stdin", "--yes", *args)
    assert run.exit_code == 2 and message in run.stderr
    assert run.requests == []


def test_no_token_without_a_terminal_is_a_usage_error(cli: Cli, directory: FakeFederatedDirectory) -> None:
    cli.answer = ""
    run = cli("azure", "provision", "--portal", FD, "--sandbox", "--fd-base-url", directory.url, "--yes")
    assert run.exit_code == 2 and "--token-stdin" in run.stderr
    assert run.mutating == []


def test_sandbox_reset_forgets_the_token(
    cli: Cli, directory: FakeFederatedDirectory, keyring_backend: MemoryKeyring, home: Path
) -> None:
    assert provision(cli, directory, directory.issue_key()).exit_code == 0
    assert keyring_backend.entries
    reset = cli("sandbox", "reset", "--yes")
    assert reset.exit_code == 0, reset.stderr
    assert keyring_backend.entries == {}
    assert FD not in (home / "state.json").read_text()


def test_token_typed_at_a_hidden_prompt(
    home: Path, directory: FakeFederatedDirectory, keyring_backend: MemoryKeyring
) -> None:
    from datetime import UTC, datetime

    from typer.testing import CliRunner

    from ssoctl.cli import app
    from ssoctl.deps import Deps
    from ssoctl.sandbox import read_request_log

    token = directory.issue_key()
    prompts: list[str] = []

    def ask_hidden(prompt: str) -> str:
        prompts.append(prompt)
        return token

    deps = Deps(
        env={**os.environ},
        clock=lambda: datetime.now(UTC),
        sleep=lambda _: None,
        stdin_is_terminal=lambda: True,
        ask_hidden=ask_hidden,
    )
    args = ["azure", "provision", "--portal", FD, "--sandbox", "--fd-base-url", directory.url]
    result = CliRunner().invoke(app, args, obj=deps, input="y\n")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert prompts == ["Federated Directory directory key access token (not shown): "]
    assert token not in result.stdout + result.stderr
    assert token in keyring_backend.entries.values()
    assert any(r["method"] == "POST" and r["path"].endswith("/start") for r in read_request_log(home))


def test_token_from_a_named_environment_variable(
    home: Path, directory: FakeFederatedDirectory, keyring_backend: MemoryKeyring
) -> None:
    """What an apply file's `token_env` hands over: run_provision reads the variable it names."""
    import io

    from ssoctl.commands.provision import ProvisionOptions, run_provision
    from ssoctl.deps import Deps
    from ssoctl.views.console import Consoles
    from ssoctl.views.provisioning import JsonProvisionUI

    token = directory.issue_key()
    deps = Deps(env={**os.environ, "FD_TOKEN": token}, sleep=lambda _: None, stdin_is_terminal=lambda: False)
    consoles = Consoles(io.StringIO(), io.StringIO())
    options = ProvisionOptions(token_env="FD_TOKEN", fd_base_url=directory.url, sandbox=True, yes=True)
    outcome = run_provision(options, deps, JsonProvisionUI(consoles))
    assert outcome.applied and outcome.status["code"] == "Active"
    assert token in keyring_backend.entries.values()
    empty = Deps(env={**os.environ, "FD_TOKEN": ""}, sleep=lambda _: None, stdin_is_terminal=lambda: False)
    with pytest.raises(Exception, match="FD_TOKEN"):
        run_provision(options, empty, JsonProvisionUI(consoles))


def test_apply_file_entry_plans_then_provisions_under_applys_lock(
    cli: Cli, directory: FakeFederatedDirectory, tenant: Tenant, tmp_path: Path
) -> None:
    """`portal = "federated-directory"` in an apply file is one `azure provision` (token from
    `token_env`): --plan changes nothing; apply provisions beside a registration, under the lock
    apply already holds; a re-run makes no mutating request."""
    token = directory.issue_key()
    path = tmp_path / "sso.toml"
    path.write_text(
        'store = "env-file:creds.env"\n\n[[registration]]\nportal = "emnify"\n\n'
        f'[[registration]]\nportal = "{FD}"\ntoken_env = "FD_TOKEN"\nscope = "all"\n'
        f'fd_base_url = "{directory.url}"\n'
    )
    env = {"FD_TOKEN": token}
    plan = cli("apply", "-f", str(path), "--sandbox", "--plan", "-o", "json", env=env)
    assert plan.exit_code == 8, plan.stdout + plan.stderr
    assert [(r["portal"], r["status"], r["line"]) for r in plan.json()["registrations"]] == [
        ("emnify", "changes", 3),
        (FD, "changes", 6),
    ]
    assert plan.mutating == [] and tenant.apps() == [] and not (tmp_path / "creds.env").exists()
    assert not (cli.home / "state.json").exists() or FD not in (cli.home / "state.json").read_text()

    human = cli("apply", "-f", str(path), "--sandbox", "--plan", env=env)
    assert human.exit_code == 8 and "Federated Directory provisioning" in human.stdout

    run = cli("apply", "-f", str(path), "--sandbox", "--yes", "-o", "json", env=env)
    assert run.exit_code == 0, run.stdout + run.stderr
    regs = run.json()["registrations"]
    assert [(r["portal"], r["status"]) for r in regs] == [("emnify", "ok"), (FD, "ok")]
    fd_doc = regs[1]
    assert fd_doc["applied"] is True and fd_doc["scope"] == "all" and fd_doc["jobStatus"]["code"] == "Active"
    assert ("POST", "start") in [(r["method"], r["path"].split("/")[-1]) for r in run.mutating]
    assert sync_secrets(tenant, fd_doc["enterpriseApp"]["id"])["SyncAll"] == "true"
    creds = (tmp_path / "creds.env").read_text()
    assert token in creds and token not in run.stdout + run.stderr  # in its store, nowhere else

    again = cli("apply", "-f", str(path), "--sandbox", "--yes", env=env)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert again.mutating == [] and "0 applied, 2 unchanged, 0 failed" in again.stdout


def test_sandbox_reset_without_an_os_keyring_does_not_warn(
    cli: Cli, directory: FakeFederatedDirectory, no_keyring: None, home: Path
) -> None:
    """The token went to the sandbox's credentials.env (no OS keyring): reset deletes it with the
    folder, so there is nothing to warn about."""
    assert provision(cli, directory, directory.issue_key()).exit_code == 0
    credentials = home / "sandbox" / "credentials.env"
    assert credentials.exists()
    reset = cli("sandbox", "reset", "--yes")
    assert reset.exit_code == 0, reset.stderr
    assert "could not delete" not in reset.stderr and "keyring" not in reset.stderr, reset.stderr
    assert not credentials.exists()
    assert FD not in (home / "state.json").read_text()


def test_printed_provision_commands_keep_a_non_default_fd_base_url(
    cli: Cli, directory: FakeFederatedDirectory, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    from tests.e2e.test_hints_run_back import run_back

    first = provision(cli, directory, directory.issue_key())
    assert first.exit_code == 0, first.stderr
    steps = [s for s in first.json()["nextSteps"] if "azure provision" in s]
    assert steps and all(f"--fd-base-url {directory.url}" in s for s in steps), steps
    guide = cli("azure", "register", "--portal", FD, "--sandbox", "-o", "json").json()["nextSteps"]
    assert f"--fd-base-url {directory.url}" in guide[-1]
    (rotate,) = [s for s in steps if "--token-stdin" in s]
    cli.answer = directory.issue_key()  # a new key, pasted into the printed command as it is
    pasted = run_back(cli, rotate[rotate.index("ssoctl ") :] + " --yes")
    assert pasted.exit_code == 0, pasted.stdout + pasted.stderr
    sp_id = first.json()["enterpriseApp"]["id"]
    assert sync_secrets(tenant, sp_id)["BaseAddress"] == directory.url  # not repointed

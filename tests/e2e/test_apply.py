"""`ssoctl apply -f FILE` end to end: the real CLI, msgraph-sdk and HTTP against the sandbox tenant
(each test twice: calm, and throttling with replication lag)."""

from __future__ import annotations

import re
import shlex
import shutil
import stat
import textwrap
from pathlib import Path

import pytest

from ssoctl.stores.env_file import parse
from tests.e2e.conftest import Cli, Tenant

PINGONE_URI = "https://sso.connect.pingidentity.com/sso/rp/callback/abc123"


def apply_file(tmp_path: Path, body: str, name: str = "sso.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def many(tmp_path: Path, count: int, extra: str = "") -> Path:
    body = 'store = "env-file:creds.env"\n' + extra + "\n"
    body += "".join(f'[[registration]]\nportal = "emnify"\nname = "App {i}"\n\n' for i in range(1, count + 1))
    return apply_file(tmp_path, body)


THREE = f"""
store = "env-file:creds.env"

[[registration]]
portal = "emnify"

[[registration]]
portal = "emnify"
name = "emnify Staging"
secret_days = 90

[[registration]]
portal = "pingone"
name = "PingOne EU"
redirect_uris = ["{PINGONE_URI}"]
group_claims = "security"
store = "env-file:pingone.env"
"""


def test_apply_creates_every_registration_and_a_rerun_changes_nothing(
    cli: Cli, tenant: Tenant, tmp_path: Path
) -> None:
    path = apply_file(tmp_path, THREE)
    run = cli("apply", "-f", str(path), "--sandbox", "--yes", "-o", "json")
    assert run.exit_code == 0, run.stdout + run.stderr
    doc = run.json()
    assert doc["failed"] == 0
    regs = doc["registrations"]
    assert [(r["portal"], r["name"], r["status"], r["line"]) for r in regs] == [
        ("emnify", "emnify", "ok", 3),
        ("emnify", "emnify Staging", "ok", 6),
        ("pingone", "PingOne EU", "ok", 11),
    ]
    for reg in regs:
        assert "error" not in reg
        assert reg["applied"] is True
        assert reg["secret"]["store"].startswith("env-file:")
        assert "secretText" not in reg["secret"]
        assert reg["nextSteps"]
    # every app is in the tenant as its portal needs it, and its secret in its store
    apps = {a["uniqueName"]: a for a in tenant.apps()}
    assert set(apps) == {"ssoctl-emnify", "ssoctl-emnify-emnify-staging", "ssoctl-pingone-pingone-eu"}
    assert apps["ssoctl-pingone-pingone-eu"]["groupMembershipClaims"] == "SecurityGroup"
    creds = parse((tmp_path / "creds.env").read_text())
    assert creds["EMNIFY_CLIENT_ID"] == apps["ssoctl-emnify"]["appId"]
    assert creds["EMNIFY_STAGING_CLIENT_ID"] == apps["ssoctl-emnify-emnify-staging"]["appId"]
    assert (
        parse((tmp_path / "pingone.env").read_text())["PINGONE_EU_CLIENT_ID"]
        == (apps["ssoctl-pingone-pingone-eu"]["appId"])
    )
    secret = creds["EMNIFY_CLIENT_SECRET"]
    assert secret not in run.stdout and secret not in run.stderr

    again = cli("apply", "-f", str(path), "--sandbox", "--plan", "-o", "json")
    assert again.exit_code == 0, again.stdout
    assert [r["status"] for r in again.json()["registrations"]] == ["unchanged"] * 3
    assert again.mutating == []

    rerun = cli("apply", "-f", str(path), "--sandbox", "--yes")
    assert rerun.exit_code == 0, rerun.stdout
    assert rerun.mutating == []
    assert "0 applied, 3 unchanged, 0 failed" in rerun.stdout
    assert parse((tmp_path / "creds.env").read_text())["EMNIFY_CLIENT_SECRET"] == secret


def test_plan_on_a_fresh_tenant_exits_8_and_changes_nothing(cli: Cli, tenant: Tenant, tmp_path: Path) -> None:
    path = apply_file(tmp_path, THREE)
    run = cli("apply", "-f", str(path), "--sandbox", "--plan")
    assert run.exit_code == 8, run.stdout + run.stderr
    assert run.mutating == []
    assert "Plan: 3 of 3 registrations to change" in run.stdout
    assert "--plan: nothing was changed" in run.stdout
    assert tenant.apps() == []
    assert not (tmp_path / "creds.env").exists()


def test_without_yes_and_without_a_terminal_nothing_changes(cli: Cli, tenant: Tenant, tmp_path: Path) -> None:
    run = cli("apply", "-f", str(apply_file(tmp_path, THREE)), "--sandbox")
    assert run.exit_code == 1
    assert "pass --yes" in run.stderr
    assert run.mutating == []
    assert tenant.apps() == []


def test_one_confirmation_for_the_whole_file(cli: Cli, tenant: Tenant, tmp_path: Path) -> None:
    cli.terminal, cli.answer = True, "n\n"
    declined = cli("apply", "-f", str(apply_file(tmp_path, THREE)), "--sandbox")
    assert declined.exit_code == 1
    assert declined.stderr.count("Apply the changes to 3 registrations?") == 1
    assert tenant.apps() == []
    cli.answer = "y\n"
    accepted = cli("apply", "-f", str(apply_file(tmp_path, THREE)), "--sandbox")
    assert accepted.exit_code == 0, accepted.stdout + accepted.stderr
    assert len(tenant.apps()) == 3


def test_one_failure_does_not_stop_the_others(cli: Cli, tenant: Tenant, tmp_path: Path) -> None:
    path = apply_file(
        tmp_path,
        """
        store = "env-file:creds.env"

        [[registration]]
        portal = "emnify"
        name = "First"

        [[registration]]
        portal = "emnify"
        name = "No Folder"
        store = "env-file:a-file/creds.env"

        [[registration]]
        portal = "emnify"
        name = "Too Long"
        secret_days = 700

        [[registration]]
        portal = "emnify"
        name = "Last"
        """,
    )
    (tmp_path / "a-file").write_text("")  # a missing folder is made; one under a file cannot be
    # the tenant's app-management policy refuses secrets over a year: only "Too Long" asks for one
    env = {"SSOCTL_SANDBOX_FAULTS": f"{cli.faults},max-password-days=365"}
    plan = cli("apply", "-f", str(path), "--sandbox", "--plan", env=env)
    assert plan.exit_code == 1  # a registration that cannot even be read
    run = cli("apply", "-f", str(path), "--sandbox", "--yes", "-o", "json", env=env)
    assert run.exit_code == 1, run.stdout
    doc = run.json()
    assert doc["failed"] == 2
    statuses = {r["name"]: r["status"] for r in doc["registrations"]}
    assert statuses == {"First": "ok", "No Folder": "failed", "Too Long": "failed", "Last": "ok"}
    errors = {r["name"]: r["error"] for r in doc["registrations"] if "error" in r}
    assert "a-file is a file" in errors["No Folder"]["message"]
    assert errors["Too Long"]["code"] == "CredentialInvalidLifetimeAsPerAppPolicy"
    names = {a["uniqueName"] for a in tenant.apps()}
    assert {"ssoctl-emnify-first", "ssoctl-emnify-last"} <= names
    assert "ssoctl-emnify-no-folder" not in names
    creds = parse((tmp_path / "creds.env").read_text())
    assert {"FIRST_CLIENT_SECRET", "LAST_CLIENT_SECRET"} <= set(creds)
    assert "TOO_LONG_CLIENT_SECRET" not in creds


def test_at_most_concurrency_requests_at_once(cli: Cli, tenant: Tenant, tmp_path: Path) -> None:
    path = many(tmp_path, 8)
    # every answer is 40 ms late, so requests of different registrations overlap if they can.
    # Latency only: with the every-Nth throttle fault and no real Retry-After sleep (the test's
    # sleep records), clients in lockstep can hand every 429 to the same one until its retries
    # run out, a pattern real throttling does not have.
    env = {"SSOCTL_SANDBOX_FAULTS": "latency=40"}
    run = cli("apply", "-f", str(path), "--sandbox", "--yes", "--concurrency", "4", env=env)
    assert run.exit_code == 0, run.stdout + run.stderr
    most = max(r["concurrent"] for r in run.requests)
    assert 2 <= most <= 4, most
    assert len(tenant.apps()) == 8
    serial = cli("apply", "-f", str(path), "--sandbox", "--plan", "--concurrency", "1", env=env)
    assert serial.exit_code == 0
    assert max(r["concurrent"] for r in serial.requests) == 1


def test_shards_split_the_work_between_jobs(cli: Cli, tenant: Tenant, tmp_path: Path) -> None:
    path = many(tmp_path, 5)
    first = cli("apply", "-f", str(path), "--sandbox", "--yes", "--shard", "1/2", "-o", "json")
    assert first.exit_code == 0, first.stdout
    assert [r["name"] for r in first.json()["registrations"]] == ["App 1", "App 3", "App 5"]
    assert first.json()["shard"] == "1/2"
    assert {a["displayName"] for a in tenant.apps()} == {"App 1", "App 3", "App 5"}
    second = cli("apply", "-f", str(path), "--sandbox", "--yes", "--shard", "2/2")
    assert second.exit_code == 0, second.stdout
    assert {a["displayName"] for a in tenant.apps()} == {f"App {i}" for i in range(1, 6)}
    whole = cli("apply", "-f", str(path), "--sandbox", "--plan")
    assert whole.exit_code == 0
    assert whole.mutating == []
    empty = cli("apply", "-f", str(path), "--sandbox", "--yes", "--shard", "7/9")
    assert empty.exit_code == 0
    assert "No registrations in shard 7/9" in empty.stdout


def test_the_human_summary_names_every_registration(cli: Cli, tmp_path: Path) -> None:
    run = cli("apply", "-f", str(apply_file(tmp_path, THREE)), "--sandbox", "--yes")
    assert run.exit_code == 0, run.stdout + run.stderr
    for name in ("emnify Staging", "PingOne EU"):
        assert name in run.stdout
    assert "Apply complete! 3 applied, 0 unchanged, 0 failed." in run.stdout
    assert "[3/3]" in run.stderr


def test_the_documented_try_out_works_from_a_fresh_clone(
    cli: Cli, tenant: Tenant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/apply.md: `ssoctl apply -f docs/examples/apply.toml --sandbox --plan`, run from the
    root of a clone, where the example's `secrets/` folder does not exist yet."""
    repo = Path(__file__).resolve().parents[2]
    (documented,) = re.findall(
        r"^(ssoctl apply -f docs/examples/apply\.toml [^#\n]*?)\s*#",
        (repo / "docs/apply.md").read_text(),
        re.M,
    )
    clone = tmp_path / "clone"
    (clone / "docs/examples").mkdir(parents=True)
    shutil.copy(repo / "docs/examples/apply.toml", clone / "docs/examples/apply.toml")
    monkeypatch.chdir(clone)
    argv = shlex.split(documented)[1:]
    plan = cli(*argv)
    assert plan.exit_code == 8, plan.stdout + plan.stderr  # changes pending, none refused
    assert "0 cannot be read" in plan.stdout and plan.mutating == []
    assert not (clone / "docs/examples/secrets").exists()  # --plan changes nothing, not even a folder
    made = cli(*[a for a in argv if a != "--plan"], "--yes")
    assert made.exit_code == 0, made.stdout + made.stderr
    secrets = clone / "docs/examples/secrets"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in secrets.iterdir()} == {
        "sso.env": 0o600,
        "pingone-eu.env": 0o600,
    }
    assert len(tenant.apps()) == 3
    # the remaining-steps hint acts on the sandbox too
    (hint,) = re.findall(r"`(ssoctl azure register [^`]+)`", made.stdout)
    assert hint == "ssoctl azure register --portal P [--name N] --plan --sandbox"


def test_an_env_file_folder_only_remembered_is_not_made(cli: Cli, tenant: Tenant, tmp_path: Path) -> None:
    """Only a folder the apply file names is made; `azure register --store` still refuses a missing one."""
    missing = tmp_path / "gone" / "x.env"
    run = cli("azure", "register", "--portal", "emnify", "--store", f"env-file:{missing}", "--yes")
    assert run.exit_code == 2 and "does not exist" in run.stderr
    assert not missing.parent.exists() and tenant.apps() == []

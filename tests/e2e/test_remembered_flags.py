"""`azure register` flags that shape the app are remembered in its record (state.json
`registerOptions`): status sees no drift right after register, and the repair it prints (a plain
re-register) keeps them instead of removing them. A record made before this keeps working."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import Cli, Tenant
from tests.e2e.test_hints_run_back import printed_commands, run_back
from tests.support.memory_keyring import MemoryKeyring

WIKI = "ssoctl-generic-oidc-wiki"
FLAGS = (
    "--redirect-uri", "https://wiki.example.com/cb",
    "--permission", "Microsoft Graph/User.Read",
    "--optional-claim", "idToken:upn",
)  # fmt: skip


def register_wiki(cli: Cli, *flags: str) -> int:
    run = cli("azure", "register", "--portal", "generic-oidc", "--name", "Wiki", *flags, "--yes")
    assert run.exit_code == 0, run.stderr
    return len(run.mutating)


def status_wiki(cli: Cli) -> tuple[int, str]:
    run = cli("azure", "status", "--portal", "generic-oidc", "--name", "Wiki", "--sandbox")
    return run.exit_code, run.stdout + run.stderr


def id_token_claims(tenant: Tenant) -> list[str]:
    return [c["name"] for c in (tenant.app(WIKI).get("optionalClaims") or {}).get("idToken") or []]


def test_generic_oidc_flags_are_remembered_for_status_and_a_plain_rerun(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    register_wiki(cli, *FLAGS)
    code, text = status_wiki(cli)
    assert code == 0, text  # no drift right after register
    assert register_wiki(cli) == 0  # a plain re-run changes nothing
    assert tenant.app(WIKI)["web"]["redirectUris"] == ["https://wiki.example.com/cb"]
    assert id_token_claims(tenant) == ["upn"]


def test_a_flag_given_again_overrides_and_is_remembered_anew(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    register_wiki(cli, *FLAGS)
    assert register_wiki(cli, "--redirect-uri", "https://wiki.example.com/new") > 0
    assert tenant.app(WIKI)["web"]["redirectUris"] == ["https://wiki.example.com/new"]
    assert id_token_claims(tenant) == ["upn"]  # the flags not given again are kept
    assert status_wiki(cli)[0] == 0
    assert register_wiki(cli) == 0


def test_the_repair_status_prints_restores_what_was_registered(
    cli: Cli, tenant: Tenant, home: Path, keyring_backend: MemoryKeyring
) -> None:
    register_wiki(cli, *FLAGS)
    status, body = tenant.call(
        "PATCH", f"/applications(uniqueName='{WIKI}')", {"web": {"redirectUris": []}}
    )  # changed by hand in the portal
    assert status in (200, 204), body
    code, text = status_wiki(cli)
    assert code == 8 and "none → https://wiki.example.com/cb" in text, text
    (repair,) = printed_commands(text, "azure register")
    assert run_back(cli, repair + " --yes").exit_code == 0
    assert tenant.app(WIKI)["web"]["redirectUris"] == ["https://wiki.example.com/cb"]
    assert status_wiki(cli)[0] == 0


def test_a_record_made_before_flags_were_remembered_works_as_before(
    cli: Cli, home: Path, keyring_backend: MemoryKeyring
) -> None:
    assert cli.register("--yes", "--group-claims", "All").exit_code == 0
    state_path = home / "state.json"
    doc = json.loads(state_path.read_text())
    for record in doc["registrations"].values():
        assert record.pop("registerOptions") == {"groupClaims": "All"}
    state_path.write_text(json.dumps(doc))
    status = cli("azure", "status", "--portal", "emnify", "--sandbox")
    assert status.exit_code == 0, status.stdout + status.stderr  # group claims read from the app
    assert cli.register("--yes").exit_code == 0


def test_apply_file_settings_are_remembered_for_status(
    cli: Cli, tmp_path: Path, keyring_backend: MemoryKeyring
) -> None:
    path = tmp_path / "sso.toml"
    path.write_text(
        '[[registration]]\nportal = "generic-oidc"\nname = "Wiki"\n'
        'redirect_uris = ["https://wiki.example.com/cb"]\noptional_claims = ["idToken:upn"]\n'
    )
    run = cli("apply", "-f", str(path), "--sandbox", "--yes")
    assert run.exit_code == 0, run.stdout + run.stderr
    code, text = status_wiki(cli)
    assert code == 0, text


def test_a_permission_resolved_through_graph_is_no_drift(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    register_wiki(cli, "--permission", "Microsoft Graph/Directory.Read.All")  # not known by heart
    code, text = status_wiki(cli)
    assert code == 0, text
    verify = cli("azure", "verify", "--portal", "generic-oidc", "--name", "Wiki", "--sandbox", "-o", "json")
    settings = [c for c in verify.json()["checks"] if c["check"] == "settings"]
    assert settings and settings[0]["status"] == "pass", settings
    assert register_wiki(cli) == 0

"""`ssoctl azure verify` end to end: a real token request at the sandbox's login server with the
stored secret, drift, consent and the OpenID Connect metadata; pass, fail and unreachable."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from ssoctl.sandbox import start_sandbox
from tests.e2e.conftest import Cli, Run, Tenant
from tests.e2e.test_pingone import REDIRECT
from tests.support.memory_keyring import MemoryKeyring


def register_pingone(cli: Cli, *args: str) -> Run:
    run = cli("azure", "register", "--portal", "pingone", "--redirect-uri", REDIRECT, "--yes", *args)
    assert run.exit_code == 0, run.stderr
    return run


def verify(cli: Cli, portal: str = "pingone", *args: str, env: dict[str, str] | None = None) -> Run:
    return cli("azure", "verify", "--portal", portal, *args, env=env)


def graph_writes(run: Run) -> list[dict[str, Any]]:
    return [r for r in run.mutating if r["path"].startswith("/v1.0/")]


def checks(run: Run) -> dict[str, dict[str, Any]]:
    return {c["check"]: c for c in run.json()["checks"]}


def stored_secret_key(keyring: MemoryKeyring) -> tuple[str, str]:
    (key,) = [k for k in keyring.entries if k[1].endswith("/client_secret")]
    return key


def test_a_fresh_pingone_registration_verifies(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    register_pingone(cli)
    run = verify(cli, "pingone", "--sandbox", "-o", "json")
    assert run.exit_code == 0, run.stdout + run.stderr
    doc = run.json()
    assert doc["verified"] is True and doc["portal"] == "pingone"
    assert {k: v["status"] for k, v in checks(run).items()} == {
        "token": "pass",
        "settings": "pass",
        "consent": "pass",
        "metadata": "pass",
    }
    # Verify only reads: no Graph write, and exactly one token request.
    assert graph_writes(run) == []
    assert [r["status"] for r in run.requests if r["path"].endswith("/oauth2/v2.0/token")] == [200]
    secret = keyring_backend.entries[stored_secret_key(keyring_backend)]
    assert secret not in run.stdout and secret not in run.stderr


def test_human_output_is_one_line_per_check(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    register_pingone(cli)
    run = verify(cli, "pingone", "--sandbox")
    assert run.exit_code == 0, run.stdout
    lines = [line for line in run.stdout.splitlines() if "pass" in line]
    assert [line.split()[2] for line in lines] == ["token", "settings", "consent", "metadata"]


def test_a_wrong_stored_secret_fails_with_7000215(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    register_pingone(cli)
    keyring_backend.entries[stored_secret_key(keyring_backend)] = "abc8Q~not-the-real-secret"
    cli.days_later = 1  # a day later the secret is no longer brand-new
    run = verify(cli, "pingone", "--sandbox", "-o", "json")
    assert run.exit_code == 8
    token = checks(run)["token"]
    assert token["status"] == "fail" and "AADSTS7000215" in token["detail"]
    assert token["hint"].endswith("ssoctl secrets rotate --portal pingone --sandbox")
    # An old secret is not retried: one request, no waiting.
    assert len([r for r in run.requests if r["path"].endswith("/token")]) == 1


def test_drift_and_missing_consent_fail(cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring) -> None:
    register_pingone(cli)
    app = tenant.app("ssoctl-pingone")
    assert tenant.call("PATCH", f"/applications/{app['id']}", {"groupMembershipClaims": None})[0] == 204
    _, sps = tenant.call("GET", f"/servicePrincipals?$filter=appId%20eq%20'{app['appId']}'")
    grants = tenant.call("GET", f"/oauth2PermissionGrants?$filter=clientId%20eq%20'{sps['value'][0]['id']}'")
    for grant in grants[1]["value"]:
        assert tenant.call("DELETE", f"/oauth2PermissionGrants/{grant['id']}")[0] == 204
    run = verify(cli, "pingone", "--sandbox", "-o", "json")
    assert run.exit_code == 8
    found = checks(run)
    assert found["token"]["status"] == "pass"
    assert found["settings"]["status"] == "fail" and "group" in found["settings"]["detail"].lower()
    assert found["consent"]["status"] == "fail"
    assert "ssoctl azure register --portal pingone --redirect-uri" in found["consent"]["hint"]


def test_emnify_without_enterprise_app_is_not_verified(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    assert cli.register("--yes").exit_code == 0
    run = verify(cli, "emnify", "--sandbox", "-o", "json")
    assert run.exit_code == 8
    found = checks(run)
    assert found["token"]["status"] == "not-verified" and "AADSTS7000229" in found["token"]["detail"]
    assert found["settings"]["status"] == "pass" and found["consent"]["status"] == "skip"


def test_a_brand_new_secret_is_retried_until_it_works(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    cli.faults = ",".join(filter(None, [cli.faults, "secret-lag=2"]))
    register_pingone(cli)
    waits_before = len(cli.sleep.waits)
    run = verify(cli, "pingone", "--sandbox", "-o", "json")
    assert run.exit_code == 0, run.stdout
    tokens = [(r["status"], r["fault"]) for r in run.requests if r["path"].endswith("/token")]
    assert tokens == [(401, "replication"), (401, "replication"), (200, None)]
    waits = cli.sleep.waits[waits_before:]
    assert any(waits[i : i + 2] == [2.0, 4.0] for i in range(len(waits)))  # the token back-off


def test_a_new_secret_still_refused_after_the_wait_fails(cli: Cli, keyring_backend: MemoryKeyring) -> None:
    cli.faults = ",".join(filter(None, [cli.faults, "secret-lag=50"]))
    register_pingone(cli)
    run = verify(cli, "pingone", "--sandbox", "-o", "json", env={"SSOCTL_VERIFY_WAIT": "10"})
    assert run.exit_code == 8
    assert checks(run)["token"]["status"] == "fail"
    assert "after 10 s of retrying" in checks(run)["token"]["detail"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cloud_env(server: Any, authority: str) -> dict[str, str]:
    """A "real cloud" run: Graph and sign-in from the environment, the login host overridden."""
    return {
        "SSOCTL_GRAPH_ENDPOINT": server.url,
        "SSOCTL_ACCESS_TOKEN": server.token,
        "AZURE_AUTHORITY_HOST": authority,
        "SSOCTL_SANDBOX": "",
    }


def test_azure_authority_host_is_where_the_token_is_asked(
    cli: Cli, home: Path, keyring_backend: MemoryKeyring
) -> None:
    register_pingone(cli)
    with start_sandbox(home) as server:
        run = verify(cli, "pingone", "-o", "json", env=_cloud_env(server, server.url))
    assert run.exit_code == 0, run.stdout + run.stderr
    assert checks(run)["token"]["detail"].endswith(f"{server.url}/{server.tenant_id}/oauth2/v2.0/token")


def test_an_unreachable_token_endpoint_is_not_verified(
    cli: Cli, home: Path, keyring_backend: MemoryKeyring
) -> None:
    register_pingone(cli)
    nowhere = f"http://127.0.0.1:{_closed_port()}"
    with start_sandbox(home) as server:
        run = verify(cli, "pingone", "-o", "json", env=_cloud_env(server, nowhere))
    assert run.exit_code == 8
    found = checks(run)
    assert found["token"]["status"] == "not-verified"
    assert "could not be reached" in found["token"]["detail"]
    assert found["metadata"]["status"] == "not-verified"
    assert run.json()["verified"] is False


def test_unknown_registration_is_a_usage_error(cli: Cli) -> None:
    run = verify(cli, "emnify", "--sandbox")
    assert run.exit_code == 2
    assert "ssoctl azure register --portal emnify" in run.stderr


def test_the_printed_rotate_command_fixes_what_verify_found(
    cli: Cli, keyring_backend: MemoryKeyring, tmp_path: Path
) -> None:
    env_file = tmp_path / "pingone one.env"  # a path that needs quoting
    register_pingone(cli, "--store", f"env-file:{env_file}", "--name", "PingOne EU")
    lines = env_file.read_text().splitlines()
    env_file.write_text(
        "\n".join(
            f"{k}=abc8Q~wrong" if k.endswith("CLIENT_SECRET") else f"{k}={v}"
            for k, _, v in (line.partition("=") for line in lines)
        )
        + "\n"
    )
    cli.days_later = 1
    failed = verify(cli, "pingone", "--name", "PingOne EU", "--sandbox", "-o", "json")
    assert failed.exit_code == 8
    hint = checks(failed)["token"]["hint"]
    command = hint.split(": ", 1)[1]
    assert "--name 'PingOne EU'" in command and f"--store 'env-file:{env_file}'" in command
    import shlex

    fixed = cli(*shlex.split(command)[1:], "--yes", "-o", "json")
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert fixed.json()["secret"]["store"] == f"env-file:{env_file}"
    assert verify(cli, "pingone", "--name", "PingOne EU", "--sandbox").exit_code == 0


def test_an_expired_stored_secret_fails_with_7000222(
    cli: Cli, tenant: Tenant, keyring_backend: MemoryKeyring
) -> None:
    register_pingone(cli)
    app = tenant.app("ssoctl-pingone")
    old = {
        "displayName": "ssoctl 2020-01-01 old",
        "startDateTime": "2020-01-01T00:00:00Z",
        "endDateTime": "2021-01-01T00:00:00Z",
    }
    status, cred = tenant.call("POST", f"/applications/{app['id']}/addPassword", {"passwordCredential": old})
    assert status == 200
    keyring_backend.entries[stored_secret_key(keyring_backend)] = cred[
        "secretText"
    ]  # the store holds an expired one
    run = verify(cli, "pingone", "--sandbox", "-o", "json")
    assert run.exit_code == 8
    token = checks(run)["token"]
    assert token["status"] == "fail" and "AADSTS7000222" in token["detail"] and "expired" in token["detail"]
    assert cred["secretText"] not in run.stdout + run.stderr

"""`--store pingone` / `--store okta` end to end: the real CLI and Graph client against the sandbox
tenant, and the provider side against fake PingOne / Okta servers on 127.0.0.1 (real HTTP)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ssoctl.sandbox import start_sandbox
from ssoctl.sandbox.portal_fakes import FakeOkta, FakePingOne
from tests.e2e.conftest import Cli, Run, Tenant
from tests.e2e.test_pingone import REDIRECT


@pytest.fixture
def pingone() -> Iterator[FakePingOne]:
    with FakePingOne() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def okta() -> Iterator[FakeOkta]:
    with FakeOkta() as fake:
        yield fake  # type: ignore[misc]


def worker(fake: FakePingOne, secret: str | None = None) -> dict[str, str]:
    return {"PINGONE_CLIENT_ID": fake.client_id, "PINGONE_CLIENT_SECRET": secret or fake.client_secret}


def to_pingone(cli: Cli, fake: FakePingOne, *args: str, env: dict[str, str] | None = None) -> Run:
    return cli.register(
        "--store", "pingone", "--pingone-env", fake.env_id,
        "--pingone-api-url", fake.api_url, "--pingone-auth-url", fake.auth_url,
        "--yes", *args, env=env if env is not None else worker(fake),
    )  # fmt: skip


def to_okta(cli: Cli, fake: FakeOkta, *args: str, token: str | None = None) -> Run:
    return cli(
        "azure", "register", "--portal", "okta", "--okta-org", fake.url, "--store", "okta", "--yes", *args,
        env={"OKTA_API_TOKEN": token or fake.token},
    )  # fmt: skip


def files_under(home: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in home.rglob("*") if p.is_file())


def test_pingone_holds_exactly_one_provider_with_the_issued_secret(
    cli: Cli, tenant: Tenant, pingone: FakePingOne, home: Path
) -> None:
    run = to_pingone(cli, pingone, "--show-secret", "-o", "json")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    (idp,) = pingone.idps.values()
    assert (idp["type"], idp["name"], idp["enabled"], idp["clientId"]) == (
        "MICROSOFT",
        "emnify",
        True,
        doc["appId"],
    )
    text = doc["secret"]["secretText"]
    assert pingone.holds(idp["id"], text)
    assert doc["secret"]["store"] == f"pingone:{pingone.env_id}/{idp['id']}"
    assert {c["resource"] for c in doc["changes"]} >= {"identityProvider"}
    assert text not in run.stderr and text not in files_under(home)  # only --show-secret printed it
    assert not any(text in str(c) for c in doc["changes"])

    writes = len(pingone.mutating)
    again = to_pingone(cli, pingone)
    assert again.exit_code == 0, again.stderr
    assert again.mutating == [] and len(pingone.mutating) == writes  # nothing written either side
    assert len(pingone.idps) == 1 and pingone.holds(idp["id"], text)
    assert "holds this app's client secret" in again.stdout


def test_pingone_refused_worker_secret_changes_nothing_anywhere(
    cli: Cli, tenant: Tenant, pingone: FakePingOne
) -> None:
    run = to_pingone(cli, pingone, env=worker(pingone, secret="wrong"))
    assert run.exit_code == 1
    assert "PINGONE_CLIENT_SECRET" in run.stderr and "invalid client credentials" in run.stderr.lower()
    assert run.mutating == [] and tenant.apps() == []
    assert pingone.idps == {} and pingone.mutating == []


def test_pingone_adopts_a_hand_made_provider_and_never_duplicates(
    cli: Cli, tenant: Tenant, pingone: FakePingOne
) -> None:
    made = pingone.add_by_hand("emnify", enabled=False)
    plan = to_pingone(cli, pingone, "--plan")
    assert "~ enabled" in plan.stdout.replace("  ", " ") or "enabled" in plan.stdout
    run = to_pingone(cli, pingone, "-o", "json")
    assert run.exit_code == 0, run.stderr
    (idp,) = pingone.idps.values()
    assert idp["id"] == made["id"] and idp["enabled"] is True and idp["clientId"] == run.json()["appId"]


def test_pingone_write_failure_takes_the_new_entra_secret_back(
    cli: Cli, tenant: Tenant, pingone: FakePingOne
) -> None:
    pingone.fail_next_write = 403  # a refusal (a 5xx is tried once more: it may have landed)
    run = to_pingone(cli, pingone)
    assert run.exit_code == 1 and "PingOne" in run.stderr
    assert tenant.app().get("passwordCredentials") == []  # the secret nobody holds is gone
    assert pingone.idps == {}


def test_pingone_plain_http_only_on_loopback(cli: Cli, tenant: Tenant, pingone: FakePingOne) -> None:
    run = cli.register(
        "--store", "pingone", "--pingone-env", pingone.env_id, "--pingone-api-url", "http://pingone.example/v1",
        "--yes", env=worker(pingone),
    )  # fmt: skip
    assert run.exit_code == 2 and "plain http" in run.stderr
    assert run.requests == [] or run.mutating == []
    assert tenant.apps() == []


def test_pingone_region_picks_the_hosts(cli: Cli, tenant: Tenant) -> None:
    from ssoctl.stores.portal_api import PingOneStore, ProviderOptions

    store = PingOneStore(ProviderOptions("x", pingone_env="e1", pingone_region="eu"), {})
    assert (store.api_url, store.auth_url) == ("https://api.pingone.eu/v1", "https://auth.pingone.eu")
    run = cli.register("--store", "pingone", "--pingone-env", "e1", "--pingone-region", "mars", "--yes")
    assert run.exit_code == 2 and "com, eu, asia, ca" in run.stderr


def test_okta_idp_is_microsoft_oidc_with_the_secret(
    cli: Cli, tenant: Tenant, okta: FakeOkta, home: Path
) -> None:
    run = to_okta(cli, okta, "--show-secret", "-o", "json")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    (idp,) = okta.idps.values()
    assert (idp["type"], idp["name"], idp["protocol"]["type"]) == ("MICROSOFT", "okta", "OIDC")
    assert idp["protocol"]["scopes"] == ["openid", "email", "profile"]
    assert idp["protocol"]["credentials"]["client"]["client_id"] == doc["appId"]
    assert okta.holds(idp["id"], doc["secret"]["secretText"])
    assert doc["secret"]["store"] == f"okta:{okta.url}/{idp['id']}"
    app = tenant.app("ssoctl-okta")
    assert app["web"]["redirectUris"] == [f"{okta.url}/oauth2/v1/authorize/callback"]
    assert app["signInAudience"] == "AzureADMultipleOrgs"
    assert doc["secret"]["secretText"] not in files_under(home)

    writes = len(okta.mutating)
    again = to_okta(cli, okta)
    assert again.exit_code == 0 and again.mutating == [] and len(okta.mutating) == writes
    assert len(okta.idps) == 1


def test_okta_refused_token_changes_nothing_and_hand_made_idp_is_adopted(
    cli: Cli, tenant: Tenant, okta: FakeOkta
) -> None:
    run = to_okta(cli, okta, token="00wrong")
    assert run.exit_code == 1 and "OKTA_API_TOKEN" in run.stderr and "E0000011" in run.stderr
    assert run.mutating == [] and tenant.apps() == [] and okta.idps == {}
    made = okta.add_by_hand("okta")
    ok = to_okta(cli, okta, "--tenant-only", "-o", "json")
    assert ok.exit_code == 0, ok.stderr
    (idp,) = okta.idps.values()
    assert (
        idp["id"] == made["id"]
        and idp["protocol"]["credentials"]["client"]["client_id"] == ok.json()["appId"]
    )
    assert tenant.app("ssoctl-okta")["signInAudience"] == "AzureADMyOrg"


def test_sandbox_pingone_needs_no_account(cli: Cli, tenant: Tenant, home: Path) -> None:
    env = {k: "" for k in ("PINGONE_CLIENT_ID", "PINGONE_CLIENT_SECRET") if k in os.environ}
    run = cli.register("--store", "pingone", "--yes", "-o", "json", env=env)
    assert run.exit_code == 0, run.stderr
    assert run.json()["secret"]["store"].startswith("pingone:")
    again = cli.register("--store", "pingone", "--yes", env=env)
    assert again.exit_code == 0 and again.mutating == []
    assert (home / "sandbox" / "pingone.json").stat().st_mode & 0o077 == 0


def test_reveal_says_the_secret_lives_in_the_portal(cli: Cli, tenant: Tenant, pingone: FakePingOne) -> None:
    assert to_pingone(cli, pingone).exit_code == 0
    run = cli("secrets", "reveal", "--portal", "emnify", "--sandbox")
    assert run.exit_code == 2 and "lives only in pingone:" in run.stderr
    assert run.stdout == ""


def entra_accepts(home: Path, app_id: str, secret: str) -> bool:
    """Whether the sandbox's token endpoint takes this secret for the app: a token (200), or, for an
    app without a service principal (Okta's, no admin consent), AADSTS7000229, which Entra (and
    the sandbox) answers only after the secret matched; a wrong secret is AADSTS7000215."""
    with start_sandbox(home) as server:
        form = {
            "grant_type": "client_credentials",
            "client_id": app_id,
            "client_secret": secret,
            "scope": "https://graph.microsoft.com/.default",
        }
        url = f"{server.url}/{server.tenant_id}/oauth2/v2.0/token"
        request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode())
        try:
            with urllib.request.urlopen(request, timeout=10):
                return True
        except urllib.error.HTTPError as error:
            return 7000229 in json.loads(error.read()).get("error_codes", [])


class SeeingPingOne(FakePingOne):
    """The fake, plus (in test memory only) the last clientSecret written: to ask Entra about it."""

    last_secret = ""

    def _write(self, request: Any, idp_id: str | None) -> Any:
        answer = super()._write(request, idp_id)
        if answer.status in (200, 201):
            self.last_secret = request.json()["clientSecret"]
        return answer


def test_rotate_writes_the_provider_first_then_retires_the_old_secret(
    cli: Cli, tenant: Tenant, home: Path
) -> None:
    from tests.e2e.test_rotate import key_ids, token_status

    with SeeingPingOne() as fake:
        assert isinstance(fake, SeeingPingOne)
        first = cli(
            "azure", "register", "--portal", "pingone", "--redirect-uri", REDIRECT, "--store", "pingone",
            "--pingone-env", fake.env_id, "--pingone-api-url", fake.api_url, "--pingone-auth-url", fake.auth_url,
            "--yes", "-o", "json", env=worker(fake),
        )  # fmt: skip
        assert first.exit_code == 0, first.stderr
        app_id, old = first.json()["appId"], fake.last_secret
        run = cli(
            "secrets", "rotate", "--portal", "pingone", "--sandbox", "--store", "pingone",
            "--pingone-env", fake.env_id, "--pingone-api-url", fake.api_url, "--pingone-auth-url", fake.auth_url,
            "--overlap-days", "0", "--yes", "-o", "json", env=worker(fake),
        )  # fmt: skip
        assert run.exit_code == 0, run.stdout + run.stderr
        doc = run.json()
        (idp,) = fake.idps.values()  # still exactly one provider
        assert doc["verified"] is True  # Entra issued a token for the secret the provider now holds
        assert doc["secret"]["store"] == f"pingone:{fake.env_id}/{idp['id']}"
        assert key_ids(tenant, "ssoctl-pingone") == [doc["secret"]["keyId"]]  # the old one is gone
        assert fake.last_secret != old and fake.holds(idp["id"], fake.last_secret)
        assert entra_accepts(home, app_id, fake.last_secret)  # the provider's secret works
        assert token_status(home, app_id, old) == 401
        assert "Nothing to paste" in doc["nextSteps"][0]
        assert fake.last_secret not in run.stdout + run.stderr


def test_rotate_with_a_refused_provider_write_changes_nothing(cli: Cli, tenant: Tenant, home: Path) -> None:
    from tests.e2e.test_rotate import key_ids

    with SeeingPingOne() as fake:
        assert isinstance(fake, SeeingPingOne)
        assert to_pingone(cli, fake).exit_code == 0
        before_keys, before_secret = key_ids(tenant, "ssoctl-emnify"), fake.last_secret
        fake.fail_next_write = 403  # a refusal (a 5xx is tried once more: it may have landed)
        run = cli(
            "secrets", "rotate", "--portal", "emnify", "--sandbox", "--store", "pingone",
            "--pingone-env", fake.env_id, "--pingone-api-url", fake.api_url, "--pingone-auth-url", fake.auth_url,
            "--overlap-days", "0", "--yes", env=worker(fake),
        )  # fmt: skip
        assert run.exit_code == 1 and "PingOne" in run.stderr
        assert key_ids(tenant, "ssoctl-emnify") == before_keys  # new one removed, old one kept
        (idp,) = fake.idps.values()
        assert fake.holds(idp["id"], before_secret)


def test_rotate_into_okta(cli: Cli, tenant: Tenant, okta: FakeOkta) -> None:
    from tests.e2e.test_rotate import key_ids

    assert to_okta(cli, okta).exit_code == 0
    run = cli(
        "secrets", "rotate", "--portal", "okta", "--sandbox", "--store", "okta", "--okta-org", okta.url,
        "--overlap-days", "0", "--yes", "-o", "json", env={"OKTA_API_TOKEN": okta.token},
    )  # fmt: skip
    assert run.exit_code == 0, run.stdout + run.stderr
    doc = run.json()
    (idp,) = okta.idps.values()
    assert key_ids(tenant, "ssoctl-okta") == [
        doc["secret"]["keyId"]
    ]  # the old one retired after Okta took it
    assert doc["secret"]["store"] == f"okta:{okta.url}/{idp['id']}"


def test_apply_file_writes_pingone_too(
    cli: Cli, tenant: Tenant, pingone: FakePingOne, tmp_path: Path
) -> None:
    path = tmp_path / "sso.toml"
    path.write_text(
        f'store = "pingone"\npingone_env = "{pingone.env_id}"\npingone_api_url = "{pingone.api_url}"\n'
        f'pingone_auth_url = "{pingone.auth_url}"\n\n[[registration]]\nportal = "emnify"\nname = "emnify EU"\n'
    )
    run = cli("apply", "-f", str(path), "--sandbox", "--yes", "-o", "json", env=worker(pingone))
    assert run.exit_code == 0, run.stdout + run.stderr
    (idp,) = pingone.idps.values()
    assert idp["name"] == "emnify EU" and idp["enabled"] is True
    again = cli("apply", "-f", str(path), "--sandbox", "--yes", env=worker(pingone))
    assert again.exit_code == 0 and again.mutating == [] and len(pingone.idps) == 1


def unregister(cli: Cli, fake: FakePingOne, *args: str) -> Run:
    return cli(
        "azure", "unregister", "--portal", "emnify", "--sandbox", "--pingone-api-url", fake.api_url,
        "--pingone-auth-url", fake.auth_url, "--yes", *args, env=worker(fake),
    )  # fmt: skip


def test_unregister_keeps_the_provider_unless_told(cli: Cli, tenant: Tenant, pingone: FakePingOne) -> None:
    assert to_pingone(cli, pingone).exit_code == 0
    run = unregister(cli, pingone)
    assert run.exit_code == 0, run.stderr
    assert "--remove-provider" in run.stdout and len(pingone.idps) == 1 and tenant.apps() == []


def test_unregister_remove_provider_deletes_it_after_the_app(
    cli: Cli, tenant: Tenant, pingone: FakePingOne
) -> None:
    assert to_pingone(cli, pingone).exit_code == 0
    run = unregister(cli, pingone, "--remove-provider", "-o", "json")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert pingone.idps == {} and tenant.apps() == []
    assert any(c["resource"] == "identityProvider" and c["action"] == "delete" for c in run.json()["changes"])
    again = unregister(cli, pingone, "--remove-provider")
    assert again.exit_code == 0 and again.mutating == []


def test_unregister_remove_provider_in_okta(cli: Cli, tenant: Tenant, okta: FakeOkta) -> None:
    assert to_okta(cli, okta).exit_code == 0
    run = cli(
        "azure", "unregister", "--portal", "okta", "--sandbox", "--remove-provider", "--yes",
        env={"OKTA_API_TOKEN": okta.token},
    )  # fmt: skip
    assert run.exit_code == 0, run.stdout + run.stderr
    assert okta.idps == {} and tenant.apps() == []


def test_rotate_keeps_a_secret_the_provider_took_when_reading_it_back_is_rate_limited(
    cli: Cli, tenant: Tenant, home: Path
) -> None:
    """Found by the portal-store fault matrix: a 429 on the read after PingOne took the new secret
    made rotate undo it on Entra, leaving the provider with a secret Entra no longer had (sign-in
    broken) while ssoctl, and every later register, called the old secret held."""
    from ssoctl.sandbox.portal_fakes import PortalFaults
    from tests.e2e.test_rotate import key_ids

    with SeeingPingOne() as fake:
        assert isinstance(fake, SeeingPingOne)
        first = to_pingone(cli, fake, "-o", "json")
        assert first.exit_code == 0, first.stderr
        app_id = first.json()["appId"]
        # rotate's portal requests: token, list (preflight), list (save), PUT, list (read back)
        fake.set_faults(PortalFaults(fail_at=5, fail_mode="429"))
        run = cli(
            "secrets", "rotate", "--portal", "emnify", "--sandbox", "--store", "pingone",
            "--pingone-env", fake.env_id, "--pingone-api-url", fake.api_url, "--pingone-auth-url", fake.auth_url,
            "--overlap-days", "0", "--yes", "-o", "json", env=worker(fake),
        )  # fmt: skip
        assert run.exit_code == 0, run.stdout + run.stderr
        assert ("GET", f"/v1/environments/{fake.env_id}/identityProviders", 429) in fake.requests
        assert key_ids(tenant, "ssoctl-emnify") == [run.json()["secret"]["keyId"]]
        assert entra_accepts(home, app_id, fake.last_secret)  # the provider's secret works


def test_a_provider_write_answered_503_after_landing_is_sent_once_more_not_undone(
    cli: Cli, tenant: Tenant, home: Path
) -> None:
    """The portal may have taken a write it answered 5xx (or never answered): one more write, an
    update of whatever is there now, instead of undoing a secret the provider may already hold."""
    from ssoctl.sandbox.portal_fakes import PortalFaults
    from tests.e2e.test_rotate import key_ids

    # register's portal requests: token, list (preflight), list (save), POST
    with SeeingPingOne(faults=PortalFaults(fail_at=4, fail_mode="503-after")) as fake:
        assert isinstance(fake, SeeingPingOne)
        run = to_pingone(cli, fake, "-o", "json")
        assert run.exit_code == 0, run.stderr
        (idp,) = fake.idps.values()  # the POST landed; the retry found it and updated it
        assert [m for m, _, _ in fake.mutating] == ["POST", "PUT"]
        assert key_ids(tenant, "ssoctl-emnify") == [run.json()["secret"]["keyId"]]
        assert fake.holds(idp["id"], fake.last_secret)
        assert entra_accepts(home, run.json()["appId"], fake.last_secret)


def test_a_rate_limited_pingone_token_request_is_not_called_a_credentials_problem(
    cli: Cli, tenant: Tenant
) -> None:
    from ssoctl.sandbox.portal_fakes import PortalFaults

    with FakePingOne(faults=PortalFaults(fail_at=1, fail_mode="429")) as fake:
        assert isinstance(fake, FakePingOne)
        run = to_pingone(cli, fake)
        assert run.exit_code == 1 and "rate-limited" in run.stderr and "HTTP 429" in run.stderr
        assert "PINGONE_CLIENT_SECRET" not in run.stderr and "None" not in run.stderr
        assert run.mutating == [] and tenant.apps() == []


def test_an_unproven_rotation_keeps_the_secret_the_provider_already_holds(
    cli: Cli, tenant: Tenant, home: Path
) -> None:
    """Entra refusing the new secret (replication, here for longer than rotate waits) used to undo it
    on the app although PingOne already held it and could not be given the old one back: PingOne
    was left with a secret Entra did not know, while state.json and every later register called the
    previous secret held. Now the new secret stays, recorded as held, and the run says it is unproven."""
    import json as json_module

    from tests.e2e.test_rotate import key_ids

    with SeeingPingOne() as fake:
        assert isinstance(fake, SeeingPingOne)
        assert to_pingone(cli, fake).exit_code == 0
        previous = key_ids(tenant, "ssoctl-emnify")
        cli.faults = "secret-lag=100"  # a new secret refused at the token endpoint for its next 100 tries
        run = cli(
            "secrets", "rotate", "--portal", "emnify", "--sandbox", "--store", "pingone",
            "--pingone-env", fake.env_id, "--pingone-api-url", fake.api_url, "--pingone-auth-url", fake.auth_url,
            "--overlap-days", "0", "--yes", env=worker(fake),
        )  # fmt: skip
        assert run.exit_code == 1 and "unproven" in run.stderr and "PingOne already holds it" in run.stderr
        (record,) = json_module.loads((home / "state.json").read_text())["registrations"].values()
        held = record["secret"]["keyId"]
        assert held not in previous and set(key_ids(tenant, "ssoctl-emnify")) == {held, *previous}
        (idp,) = fake.idps.values()
        assert fake.holds(idp["id"], fake.last_secret)
        (hint,) = [
            c["hint"] for c in tenant.app("ssoctl-emnify")["passwordCredentials"] if c["keyId"] == held
        ]
        assert fake.last_secret.startswith(hint)  # the provider's secret is the held one (Entra still lags)
        cli.faults = ""
        again = to_pingone(cli, fake)
        assert again.exit_code == 0 and again.mutating == []

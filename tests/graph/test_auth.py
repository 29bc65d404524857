"""Choosing the sign-in, the static token, claims decoding, and failures that must become exit 4."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ssoctl.config import CLOUDS
from ssoctl.errors import EXIT_AUTH, AuthError, UsageError
from ssoctl.graph import auth
from ssoctl.graph.auth import (
    SIGN_IN_HINT,
    GuardedCredential,
    StaticToken,
    choose_sign_in,
    token_claims,
)
from ssoctl.ids import is_guid
from tests.graph.conftest import TENANT, make_jwt

GLOBAL = CLOUDS["global"]


@pytest.fixture
def no_az(tmp_path: Path) -> str:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    return str(empty)


@pytest.fixture
def with_az(tmp_path: Path) -> str:
    bin_dir = tmp_path / "az-bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.write_text("#!/bin/sh\nexit 1\n")
    az.chmod(0o755)
    return str(bin_dir)


Built = list[tuple[str, tuple[Any, ...], dict[str, Any]]]


class Recorder:
    """Stands in for an azure-identity credential class and records how it was built."""

    def __init__(self, name: str, built: Built) -> None:
        self.name = name
        self.built = built

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.built.append((self.name, args, kwargs))
        return object()


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Built:
    import azure.identity

    built: Built = []
    for name in ("ClientSecretCredential", "CertificateCredential", "WorkloadIdentityCredential"):
        monkeypatch.setattr(azure.identity, name, Recorder(name, built))
    return built


# ---- order of choice --------------------------------------------------------------------


def test_access_token_wins(with_az: str) -> None:
    env = {
        "SSOCTL_ACCESS_TOKEN": " tok ",
        "AZURE_CLIENT_ID": "c",
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_SECRET": "s",
        "PATH": with_az,
    }
    sign_in = choose_sign_in(env, cloud=GLOBAL, tenant=None)
    assert sign_in.description == "SSOCTL_ACCESS_TOKEN"
    assert sign_in.credential.get_token("scope").token == "tok"


def test_client_secret(recorded: list[Any], with_az: str) -> None:
    env = {
        "AZURE_CLIENT_ID": "cid",
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_SECRET": "s3",
        "PATH": with_az,
    }
    sign_in = choose_sign_in(env, cloud=GLOBAL, tenant=None)
    assert sign_in.description == "environment (client secret)"
    assert isinstance(sign_in.credential, GuardedCredential)
    ((name, args, kwargs),) = recorded
    assert name == "ClientSecretCredential"
    assert args == (TENANT, "cid", "s3")
    assert kwargs == {"authority": "https://login.microsoftonline.com"}


def test_certificate_in_national_cloud(recorded: list[Any], no_az: str) -> None:
    env = {
        "AZURE_CLIENT_ID": "cid",
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_CERTIFICATE_PATH": "/tmp/cert.pem",
        "PATH": no_az,
    }
    sign_in = choose_sign_in(env, cloud=CLOUDS["usgov"], tenant=None)
    assert sign_in.description == "environment (certificate)"
    ((name, args, kwargs),) = recorded
    assert name == "CertificateCredential"
    assert args == (TENANT, "cid", "/tmp/cert.pem")
    assert kwargs["authority"] == "https://login.microsoftonline.us"
    assert "disable_instance_discovery" not in kwargs


def test_workload_identity_with_tenant_option_and_private_authority(recorded: list[Any], no_az: str) -> None:
    env = {
        "AZURE_CLIENT_ID": "cid",
        "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token",
        "AZURE_AUTHORITY_HOST": "https://login.test.example:8443/",
        "PATH": no_az,
    }
    sign_in = choose_sign_in(env, cloud=GLOBAL, tenant="contoso.com")
    assert sign_in.description == "environment (workload identity)"
    ((name, _, kwargs),) = recorded
    assert name == "WorkloadIdentityCredential"
    assert kwargs == {
        "tenant_id": "contoso.com",
        "client_id": "cid",
        "token_file_path": "/var/run/token",
        "authority": "https://login.test.example:8443",
        "disable_instance_discovery": True,
    }


def test_real_environment_credential_builds(no_az: str) -> None:
    """Unpatched: azure-identity accepts what choose_sign_in passes (no network at build time)."""
    env = {
        "AZURE_CLIENT_ID": "cid",
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_SECRET": "s",
        "AZURE_AUTHORITY_HOST": "login.test.example",
        "PATH": no_az,
    }
    sign_in = choose_sign_in(env, cloud=GLOBAL, tenant=None)
    assert type(sign_in.credential.inner).__name__ == "ClientSecretCredential"


def test_azure_cli_when_on_path(with_az: str) -> None:
    sign_in = choose_sign_in({"PATH": with_az}, cloud=GLOBAL, tenant=TENANT)
    assert sign_in.description == "Azure CLI"
    assert type(sign_in.credential.inner).__name__ == "AzureCliCredential"
    assert sign_in.credential.inner.tenant_id == TENANT


def test_incomplete_environment_falls_through_to_az(with_az: str) -> None:
    sign_in = choose_sign_in(
        {"AZURE_CLIENT_ID": "cid", "AZURE_CLIENT_SECRET": "s", "PATH": with_az},
        cloud=GLOBAL,
        tenant=None,
    )
    assert sign_in.description == "Azure CLI"


def test_nothing_configured(no_az: str) -> None:
    with pytest.raises(AuthError) as err:
        choose_sign_in({"PATH": no_az}, cloud=GLOBAL, tenant=None)
    assert err.value.exit_code == EXIT_AUTH
    assert err.value.hint == SIGN_IN_HINT
    for way in ("SSOCTL_ACCESS_TOKEN", "AZURE_CLIENT_SECRET", "az login", "--sandbox"):
        assert way in err.value.hint


def test_incomplete_environment_is_named(no_az: str) -> None:
    with pytest.raises(AuthError) as err:
        choose_sign_in({"AZURE_CLIENT_ID": "cid", "PATH": no_az}, cloud=GLOBAL, tenant=None)
    assert "AZURE_CLIENT_ID set" in err.value.message
    assert "AZURE_TENANT_ID" in err.value.message


def test_bad_tenant_is_usage_error(with_az: str) -> None:
    with pytest.raises(UsageError):
        choose_sign_in({"PATH": with_az}, cloud=GLOBAL, tenant="not a tenant!")


# ---- failures at token time -------------------------------------------------------------


def test_credential_unavailable_becomes_auth_error() -> None:
    from azure.identity import CredentialUnavailableError

    class NotLoggedIn:
        def get_token(self, *scopes: str, **kw: Any) -> Any:
            raise CredentialUnavailableError("Please run 'az login' to set up an account")

    with pytest.raises(AuthError) as err:
        GuardedCredential(NotLoggedIn(), "Azure CLI").get_token("s")
    assert err.value.exit_code == EXIT_AUTH
    assert err.value.message == "sign-in with Azure CLI failed: Please run 'az login' to set up an account"
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_azure_cli_not_logged_in_end_to_end(with_az: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real AzureCliCredential with an `az` that fails: exit 4, no traceback."""
    sign_in = choose_sign_in({"PATH": with_az}, cloud=GLOBAL, tenant=None)
    # azure-identity runs `az` found through os.environ's PATH
    monkeypatch.setenv("PATH", with_az + os.pathsep + os.environ["PATH"])
    with pytest.raises(AuthError) as err:
        sign_in.credential.get_token("https://graph.microsoft.com/.default")
    assert err.value.exit_code == EXIT_AUTH


def test_guarded_credential_caches_tokens() -> None:
    from azure.core.credentials import AccessToken

    calls: list[dict[str, Any]] = []

    class Counting:
        def get_token(self, *scopes: str, **kw: Any) -> Any:
            calls.append(kw)
            return AccessToken("t", int(time.time()) + 3600)

    guarded = GuardedCredential(Counting(), "x")
    guarded.get_token("s", enable_cae=True)
    guarded.get_token("s", enable_cae=True)
    assert len(calls) == 1
    guarded.get_token("s", claims="challenge")  # a CAE challenge always goes to the source
    assert len(calls) == 2


def test_guarded_credential_refreshes_near_expiry() -> None:
    from azure.core.credentials import AccessToken

    calls = []

    class Short:
        def get_token(self, *scopes: str, **kw: Any) -> Any:
            calls.append(1)
            return AccessToken("t", int(time.time()) + 60)

    guarded = GuardedCredential(Short(), "x")
    guarded.get_token("s")
    guarded.get_token("s")
    assert len(calls) == 2


# ---- StaticToken and claims -------------------------------------------------------------


def test_static_token_is_azure_access_token() -> None:
    from azure.core.credentials import AccessToken

    token = make_jwt({"tid": TENANT, "exp": 4_000_000_000})
    got = StaticToken(token).get_token("https://graph.microsoft.com/.default", enable_cae=True)
    assert isinstance(got, AccessToken)
    assert (got.token, got.expires_on) == (token, 4_000_000_000)
    assert token not in repr(StaticToken(token))


def test_static_token_without_exp() -> None:
    got = StaticToken("opaque").get_token("s")
    assert got.expires_on > time.time() + 3000
    assert StaticToken("opaque", expires_on=4_100_000_000).get_token("s").expires_on == 4_100_000_000


def test_expired_static_token() -> None:
    with pytest.raises(AuthError) as err:
        StaticToken(make_jwt({"exp": 1000})).get_token("s")
    assert "expired" in err.value.message


def test_token_claims() -> None:
    assert token_claims(make_jwt({"tid": TENANT, "n": 1})) == {"tid": TENANT, "n": 1}
    for junk in ("", "opaque", "a.!!!.c", "a.bnVsbA.c", "a." + "W10" + ".c"):  # null, []
        assert token_claims(junk) == {}


def test_is_guid() -> None:
    assert is_guid(TENANT)
    assert not is_guid("contoso.com")
    assert not is_guid(None)
    assert not is_guid(TENANT + "0")


def test_auth_module_is_cheap_to_import() -> None:
    code = (
        "import sys, ssoctl.graph.auth, ssoctl.graph.retry, ssoctl.graph.api\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('azure', 'msgraph', 'msgraph_core', 'kiota_http', 'keyring', 'msal', 'httpx')]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert out.stdout.strip() == "[]"
    assert auth.__name__ == "ssoctl.graph.auth"

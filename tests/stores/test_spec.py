"""`--store` parsing and `open_store`, including the sandbox fallback when no keyring is usable."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ssoctl.credentials import CredentialRef, Credentials, Secret
from ssoctl.errors import EXIT_USAGE, StoreError, UsageError
from ssoctl.stores import (
    EnvFileStore,
    KeyringStore,
    StoreSpec,
    open_store,
    parse_store,
    sandbox_credentials_path,
)
from tests.support.memory_keyring import MemoryKeyring

REF = CredentialRef(tenant_id="tid-1", unique_name="ssoctl-emnify", env_prefix="EMNIFY")
CREDS = Credentials(client_id="cid-1", tenant_id="tid-1", client_secret=Secret("s3~cr.et-_x"))


def test_parse_keyring_and_none() -> None:
    assert parse_store("keyring") == StoreSpec("keyring")
    assert parse_store(" Keyring ") == StoreSpec("keyring")
    assert parse_store("none") == StoreSpec("none")
    assert str(parse_store("keyring")) == "keyring"


def test_parse_env_file_expands_home_and_makes_absolute(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = Path(os.environ["HOME"])
    assert parse_store("env-file:~/sso.env") == StoreSpec("env-file", home / "sso.env")
    monkeypatch.chdir(tmp_path)
    spec = parse_store("env-file:sub/../emnify.env")
    assert spec.path == tmp_path / "emnify.env"
    assert str(spec) == f"env-file:{tmp_path / 'emnify.env'}"


@pytest.mark.parametrize("text", ["", "vault", "env-file", "env-file:", "keyring:x", "none:"])
def test_parse_rejects_unknown_forms_naming_the_valid_ones(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_store(text)
    assert info.value.exit_code == EXIT_USAGE
    assert "env-file:PATH" in f"{info.value.message} {info.value.hint}"


def test_parse_portal_stores_as_typed_and_as_recorded() -> None:
    assert parse_store("pingone") == StoreSpec("pingone")
    assert parse_store("PingOne:env-1/idp-2") == StoreSpec("pingone", place="env-1")
    assert parse_store("okta") == StoreSpec("okta")
    assert parse_store("okta:https://acme.okta.com/0oa123") == StoreSpec(
        "okta", place="https://acme.okta.com"
    )


def test_open_none_and_env_file(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert open_store(StoreSpec("none"), home=home, sandbox=False, env={}) == (None, None)
    store, notice = open_store(StoreSpec("env-file", tmp_path / "a.env"), home=home, sandbox=True, env={})
    assert isinstance(store, EnvFileStore) and notice is None
    assert store.location == f"env-file:{tmp_path / 'a.env'}"


def test_open_keyring_outside_sandbox_never_falls_back(no_keyring: None, tmp_path: Path) -> None:
    store, notice = open_store(StoreSpec("keyring"), home=tmp_path, sandbox=False, env={})
    assert isinstance(store, KeyringStore) and notice is None
    with pytest.raises(StoreError) as info:
        store.preflight(REF)
    assert "--store env-file:PATH" in (info.value.hint or "")


def test_open_keyring_in_sandbox_uses_a_working_keyring(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    store, notice = open_store(StoreSpec("keyring"), home=tmp_path, sandbox=True, env={})
    assert isinstance(store, KeyringStore) and notice is None
    assert memory_keyring.entries == {}  # the probe entry is gone again


def test_open_keyring_in_sandbox_falls_back_to_a_private_env_file(no_keyring: None, tmp_path: Path) -> None:
    home = tmp_path / "ssoctl-home"
    store, notice = open_store(StoreSpec("keyring"), home=home, sandbox=True, env={})
    path = sandbox_credentials_path(home)
    assert path == home / "sandbox" / "credentials.env"
    assert isinstance(store, EnvFileStore) and store.path == path
    assert notice == f"no OS keyring available; sandbox credentials go to {path} (0600)"
    store.preflight(REF)
    store.save(REF, CREDS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.load(REF) == CREDS


def test_locked_keyring_in_sandbox_is_reported_not_bypassed(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    memory_keyring.locked = True
    store, notice = open_store(StoreSpec("keyring"), home=tmp_path, sandbox=True, env={})
    assert isinstance(store, KeyringStore) and notice is None
    with pytest.raises(StoreError, match="locked"):
        store.preflight(REF)


def test_refused_plaintext_keyring_in_sandbox_falls_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import keyring.core

    class PlaintextKeyring(MemoryKeyring):
        pass

    monkeypatch.setattr(keyring.core, "_keyring_backend", PlaintextKeyring())
    store, notice = open_store(StoreSpec("keyring"), home=tmp_path, sandbox=True, env={})
    assert isinstance(store, EnvFileStore) and notice is not None


def test_importing_stores_does_not_import_keyring() -> None:
    code = "import sys, ssoctl.stores; print('keyring' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"

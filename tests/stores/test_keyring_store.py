"""KeyringStore against the in-memory backend: entry names, rollback, refusals, error translation."""

from __future__ import annotations

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, null
from keyring.errors import InitError

from ssoctl.credentials import CredentialRef, Credentials, Secret
from ssoctl.errors import EXIT_FAILED, StoreError
from ssoctl.stores.keyring_store import PROBE_USERNAME, SERVICE, KeyringStore
from tests.support.memory_keyring import MemoryKeyring

REF = CredentialRef(tenant_id="tid-1", unique_name="ssoctl-emnify", env_prefix="EMNIFY")
CREDS = Credentials(client_id="cid-1", tenant_id="tid-1", client_secret=Secret("Ab8Q~x.y-z_0"))
NAMES = {f"tid-1/ssoctl-emnify/{f}" for f in ("client_id", "tenant_id", "client_secret")}


def test_round_trip_with_documented_entry_names(memory_keyring: MemoryKeyring) -> None:
    store = KeyringStore()
    assert store.location == "keyring"
    store.preflight(REF)
    assert memory_keyring.entries == {}  # the probe is deleted again
    store.save(REF, CREDS)
    assert SERVICE == "ssoctl"
    assert memory_keyring.usernames() == NAMES
    assert memory_keyring.entries[("ssoctl", "tid-1/ssoctl-emnify/client_secret")] == "Ab8Q~x.y-z_0"
    assert memory_keyring.entries[("ssoctl", "tid-1/ssoctl-emnify/client_id")] == "cid-1"
    assert store.load(REF) == CREDS
    store.delete(REF)
    assert memory_keyring.entries == {}
    assert store.load(REF) is None
    store.delete(REF)  # missing entries are not an error


def test_save_replaces_older_values(memory_keyring: MemoryKeyring) -> None:
    store = KeyringStore()
    store.save(REF, CREDS)
    newer = Credentials("cid-2", "tid-1", Secret("n3w"))
    store.save(REF, newer)
    assert store.load(REF) == newer
    assert len(memory_keyring.entries) == 3


def test_failed_save_removes_what_it_wrote(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.writes_left = 2  # client_id and tenant_id go in, the secret fails
    with pytest.raises(StoreError) as info:
        KeyringStore().save(REF, CREDS)
    assert info.value.exit_code == EXIT_FAILED
    assert "simulated write failure" in info.value.message
    assert memory_keyring.entries == {}


def test_failed_save_restores_the_previous_values(memory_keyring: MemoryKeyring) -> None:
    store = KeyringStore()
    store.save(REF, CREDS)
    memory_keyring.writes_left = 1
    with pytest.raises(StoreError):
        store.save(REF, Credentials("cid-2", "tid-1", Secret("n3w")))
    assert store.load(REF) == CREDS


def test_a_lone_secret_is_not_a_held_secret(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.entries[(SERVICE, "tid-1/ssoctl-emnify/client_secret")] = "s"
    assert KeyringStore().load(REF) is None


def test_locked_keyring(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.locked = True
    for call in (
        lambda s: s.preflight(REF),
        lambda s: s.save(REF, CREDS),
        lambda s: s.load(REF),
        lambda s: s.delete(REF),
    ):
        with pytest.raises(StoreError) as info:
            call(KeyringStore())
        assert "locked" in info.value.message
        assert "unlock" in (info.value.hint or "")
        assert "\n" not in info.value.message


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("The Secret Service daemon is neither running nor activatable through D-Bus"),
        InitError("Failed to create the collection: no\nsuch\nobject."),
        ConnectionRefusedError(111, "Connection refused"),
    ],
)
def test_backend_failures_become_one_line_store_errors(
    memory_keyring: MemoryKeyring, error: Exception
) -> None:
    memory_keyring.error = error
    with pytest.raises(StoreError) as info:
        KeyringStore().preflight(REF)
    assert "\n" not in info.value.message
    assert "--store env-file:PATH" in (info.value.hint or "")


def test_dbus_errors_become_store_errors(memory_keyring: MemoryKeyring) -> None:
    exceptions = pytest.importorskip("secretstorage.exceptions")
    memory_keyring.error = exceptions.PromptDismissedException("Prompt dismissed.")
    with pytest.raises(StoreError, match="D-Bus"):
        KeyringStore().save(REF, CREDS)


def test_unexpected_errors_are_not_hidden(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.error = ZeroDivisionError("a bug")
    with pytest.raises(ZeroDivisionError):
        KeyringStore().load(REF)


def test_no_keyring(no_keyring: None) -> None:
    with pytest.raises(StoreError) as info:
        KeyringStore().preflight(REF)
    assert info.value.message.startswith("no OS keyring is available")
    assert "--store env-file:PATH" in (info.value.hint or "")
    assert "Secret Service" in (info.value.hint or "")


def _install(monkeypatch: pytest.MonkeyPatch, backend: KeyringBackend) -> None:
    import keyring.core

    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt.file.PlaintextKeyring (which this project does not install)."""


def test_plaintext_backends_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = PlaintextKeyring()
    _install(monkeypatch, backend)
    for call in (lambda s: s.preflight(REF), lambda s: s.save(REF, CREDS)):
        with pytest.raises(StoreError) as info:
            call(KeyringStore())
        assert "plain file" in info.value.message
        assert "keyrings.alt" in (info.value.hint or "")
    assert backend.entries == {}  # refused before anything was written


def test_null_backend_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _install(monkeypatch, null.Keyring())
    with pytest.raises(StoreError, match="discards"):
        KeyringStore().preflight(REF)


def test_a_backend_that_loses_writes_fails_preflight(memory_keyring: MemoryKeyring) -> None:
    class Forgetful(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            return None

    import keyring

    keyring.set_keyring(Forgetful())
    with pytest.raises(StoreError, match="did not return the test entry"):
        KeyringStore().preflight(REF)


def test_chainer_uses_its_first_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    first = MemoryKeyring()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [first, PlaintextKeyring()])
    _install(monkeypatch, chainer.ChainerBackend())
    KeyringStore().preflight(REF)
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [PlaintextKeyring(), first])
    with pytest.raises(StoreError, match="plain file"):
        KeyringStore().preflight(REF)
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    with pytest.raises(StoreError, match="no OS keyring"):
        KeyringStore().preflight(REF)


def test_probe_entry_name(memory_keyring: MemoryKeyring) -> None:
    seen: list[str] = []
    original = memory_keyring.set_password

    def spy(service: str, username: str, password: str) -> None:
        seen.append(f"{service}/{username}")
        original(service, username, password)

    memory_keyring.set_password = spy  # type: ignore[method-assign]
    KeyringStore().preflight(REF)
    assert seen == [f"ssoctl/{PROBE_USERNAME}"] == ["ssoctl/preflight-probe"]


def test_bad_backend_name_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    _install(monkeypatch, None)  # type: ignore[arg-type]
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no.such.module.Keyring")
    with pytest.raises(StoreError, match="could not be loaded"):
        KeyringStore().preflight(REF)

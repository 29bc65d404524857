"""KeyringStore against a REAL Secret Service on D-Bus (gnome-keyring in CI).

Runs inside a D-Bus session with an unlocked Secret Service, as .ci/run arranges:

    dbus-run-session -- sh -c 'printf %s pass | gnome-keyring-daemon --unlock \
        --components=secrets >/dev/null; python -m pytest'

Without a reachable Secret Service these tests skip, unless SSOCTL_REQUIRE_SECRET_SERVICE=1
(set by .ci/run), when they fail instead. The no-D-Bus case needs no Secret Service and always runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest

from ssoctl.credentials import CredentialRef, Credentials, Secret
from ssoctl.errors import StoreError
from ssoctl.stores.keyring_store import SERVICE, KeyringStore, username

pytestmark = pytest.mark.secret_service

REQUIRED = os.environ.get("SSOCTL_REQUIRE_SECRET_SERVICE") == "1"
SECRET_SERVICE = "keyring.backends.SecretService.Keyring"
SRC = str(Path(__file__).resolve().parents[2] / "src")

# Runs one KeyringStore.preflight in a fresh process; prints the StoreError as two lines.
PREFLIGHT_SCRIPT = """
import sys
from ssoctl.credentials import CredentialRef
from ssoctl.errors import StoreError
from ssoctl.stores.keyring_store import KeyringStore
try:
    KeyringStore().preflight(CredentialRef("tid", "ssoctl-test", "TEST"))
except StoreError as exc:
    print(exc.message)
    print(exc.hint)
    sys.exit(exc.exit_code)
print("ok")
"""


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"SSOCTL_REQUIRE_SECRET_SERVICE=1 but {reason}")
    pytest.skip(reason)


def _secret_service_problem() -> str | None:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return "no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)"
    try:
        from keyring.backends import SecretService

        SecretService.Keyring.priority  # noqa: B018 - raises RuntimeError when unreachable
    except Exception as exc:
        return f"no Secret Service reachable: {exc}"
    return None


@pytest.fixture
def real_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """keyring's own backend detection, as a user gets it; skips (or fails) without one."""
    problem = _secret_service_problem()
    if problem:
        _unavailable(problem)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # detect afresh
    yield


@pytest.fixture
def ref(real_keyring: None) -> Iterator[CredentialRef]:
    """A ref no other run uses; its entries are removed afterwards whatever happens."""
    ref = CredentialRef(f"test-{uuid.uuid4()}", "ssoctl-emnify", "EMNIFY")
    yield ref
    KeyringStore().delete(ref)


def _preflight_in_subprocess(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [SRC, env.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-c", PREFLIGHT_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_default_backend_is_secret_service(real_keyring: None) -> None:
    backend = keyring.get_keyring()
    chained = getattr(backend, "backends", [backend])
    names = [f"{type(b).__module__}.{type(b).__name__}" for b in chained]
    assert names[:1] == [SECRET_SERVICE], names


def test_round_trip(ref: CredentialRef) -> None:
    store = KeyringStore()
    store.preflight(ref)
    assert store.load(ref) is None
    creds = Credentials("cid-1", ref.tenant_id, Secret("Ab8Q~x.y-z_0 'quoted' $HOME"))
    store.save(ref, creds)
    assert store.load(ref) == creds
    newer = Credentials("cid-2", ref.tenant_id, Secret("n3w~secret"))
    store.save(ref, newer)
    assert store.load(ref) == newer
    store.delete(ref)
    assert store.load(ref) is None
    assert keyring.get_password(SERVICE, username(ref, "client_id")) is None
    store.delete(ref)  # nothing left: still fine


def test_secret_tool_reads_the_documented_entry(ref: CredentialRef) -> None:
    if shutil.which("secret-tool") is None:
        _unavailable("secret-tool (libsecret-tools) is not installed")
    secret = "Ab8Q~x.y-z_0tail"
    KeyringStore().save(ref, Credentials("cid-1", ref.tenant_id, Secret(secret)))
    for field, expected in (("client_secret", secret), ("client_id", "cid-1")):
        out = subprocess.run(
            ["secret-tool", "lookup", "service", "ssoctl", "username", username(ref, field)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert out.stdout == expected
    assert username(ref, "client_secret") == f"{ref.tenant_id}/ssoctl-emnify/client_secret"


def test_no_dbus_gives_a_one_line_store_error(tmp_path: Path) -> None:
    """Secret Service forced, D-Bus unreachable: an explained failure, not a traceback."""
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": SECRET_SERVICE,
        "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path / 'no-such-bus'}",
    }
    proc = _preflight_in_subprocess(env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    message, hint = proc.stdout.splitlines()
    assert message.startswith("OS keyring is not reachable")
    assert "--store env-file:PATH" in hint
    assert "Traceback" not in proc.stderr


# -- a locked collection ----------------------------------------------------------------------

_SECRETS = "org.freedesktop.secrets"
_ROOT = "/org/freedesktop/secrets"


@pytest.fixture
def locked_collection(real_keyring: None) -> Iterator[str]:
    """A new gnome-keyring collection, locked; the default collection stays as it was."""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        pytest.skip("would show an unlock prompt on this desktop")
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import DBusErrorResponse, unwrap_msg

    service = DBusAddress(_ROOT, bus_name=_SECRETS, interface="org.freedesktop.Secret.Service")
    internal = DBusAddress(
        _ROOT,
        bus_name=_SECRETS,
        interface="org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
    )
    with open_dbus_connection(bus="SESSION") as conn:
        _, session = unwrap_msg(
            conn.send_and_get_reply(new_method_call(service, "OpenSession", "sv", ("plain", ("s", ""))))
        )
        label = {"org.freedesktop.Secret.Collection.Label": ("s", f"ssoctl-test-{uuid.uuid4()}")}
        master = (session, b"", uuid.uuid4().hex.encode(), "text/plain")
        try:
            (path,) = unwrap_msg(
                conn.send_and_get_reply(
                    new_method_call(internal, "CreateWithMasterPassword", "a{sv}(oayays)", (label, master))
                )
            )
        except DBusErrorResponse as exc:
            _unavailable(f"the Secret Service is not gnome-keyring (cannot make a collection): {exc}")
        try:
            unwrap_msg(conn.send_and_get_reply(new_method_call(service, "Lock", "ao", ([path],))))
            yield str(path)
        finally:
            collection = DBusAddress(path, bus_name=_SECRETS, interface="org.freedesktop.Secret.Collection")
            unwrap_msg(conn.send_and_get_reply(new_method_call(collection, "Delete")))


def test_locked_collection_gives_a_store_error(locked_collection: str) -> None:
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": SECRET_SERVICE,
        "KEYRING_PROPERTY_PREFERRED_COLLECTION": locked_collection,
    }
    proc = _preflight_in_subprocess(env)  # a subprocess: an unlock prompt can never hang pytest
    assert proc.returncode == 1, proc.stdout + proc.stderr
    message, hint = proc.stdout.splitlines()
    assert "is locked" in message
    assert "unlock" in hint


def test_locked_collection_in_process(locked_collection: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.backends import SecretService

    backend = SecretService.Keyring()
    backend.preferred_collection = locked_collection
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    with pytest.raises(StoreError, match="is locked"):
        KeyringStore().preflight(CredentialRef("tid", "ssoctl-test", "TEST"))

"""The OS keyring store (Secret Service, macOS Keychain, Windows Credential Locker), via `keyring`.

Entries use the service name `ssoctl` and one username per value:

    {tenant_id}/{unique_name}/client_id
    {tenant_id}/{unique_name}/tenant_id
    {tenant_id}/{unique_name}/client_secret

so `secret-tool lookup service ssoctl username <tenant>/<unique_name>/client_secret` reads the
secret back on Linux. `keyring` is imported inside the methods: it costs ~200 ms and probes D-Bus.

A keyring that would keep the secret in plain text (keyrings.alt's PlaintextKeyring and kin) or
drop it (the null backend) is refused: ssoctl never silently downgrades where a secret goes.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ssoctl.credentials import CredentialRef, Credentials, Secret
from ssoctl.errors import StoreError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE = "ssoctl"
PROBE_USERNAME = "preflight-probe"
FIELDS = ("client_id", "tenant_id", "client_secret")

# StoreError codes: no keyring at all / one ssoctl refuses / a locked one.
UNAVAILABLE = "store_unavailable"
INSECURE = "store_insecure"
LOCKED = "store_locked"

NO_KEYRING_HINT = (
    "use --store env-file:PATH (a dotenv file written 0600), or install and unlock a "
    "Secret Service (e.g. gnome-keyring) in this D-Bus session"
)
LOCKED_HINT = (
    "unlock the keyring (log in to the desktop session, or `gnome-keyring-daemon --unlock`), "
    "or use --store env-file:PATH"
)
PLAINTEXT_HINT = (
    "uninstall keyrings.alt or set PYTHON_KEYRING_BACKEND to a real keyring "
    "(e.g. keyring.backends.SecretService.Keyring); or choose the file yourself with "
    "--store env-file:PATH (written 0600)"
)


def username(ref: CredentialRef, field: str) -> str:
    """The keyring username of one value: `{tenant_id}/{unique_name}/{field}`."""
    return f"{ref.tenant_id}/{ref.unique_name}/{field}"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if len(text) > 300:
        text = text[:297] + "..."
    return text or type(exc).__name__


def _backend_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _dbus_errors() -> tuple[type[BaseException], ...]:
    """D-Bus exception types of the libraries a keyring backend may have loaded (never imports)."""
    found: list[type[BaseException]] = []
    for module, name in (
        ("secretstorage.exceptions", "SecretStorageException"),
        ("jeepney.wrappers", "DBusErrorResponse"),
        ("jeepney", "DBusErrorResponse"),
        ("dbus.exceptions", "DBusException"),
    ):
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)


def _store_error(exc: BaseException, doing: str, backend: str | None) -> StoreError | None:
    """A one-line StoreError for a failure the keyring or D-Bus reported; None for anything else."""
    from keyring import errors

    where = f"OS keyring ({backend})" if backend else "OS keyring"
    detail = _one_line(exc)
    if isinstance(exc, errors.KeyringLocked):
        return StoreError(f"{where} is locked: {detail}", hint=LOCKED_HINT, code=LOCKED)
    if isinstance(exc, errors.NoKeyringError):
        return _no_keyring()
    if isinstance(exc, errors.KeyringError):
        return StoreError(f"{where} could not {doing}: {detail}", hint=NO_KEYRING_HINT)
    if isinstance(exc, NotImplementedError):  # what keyring backends raise for "cannot do that"
        return StoreError(f"{where} could not {doing}: not supported", hint=NO_KEYRING_HINT)
    if isinstance(exc, RuntimeError) and not isinstance(exc, RecursionError):
        # SecretService (or another backend) without D-Bus
        return StoreError(
            f"OS keyring is not reachable: {detail}",
            hint=NO_KEYRING_HINT,
            code=UNAVAILABLE,
        )
    if isinstance(exc, _dbus_errors()):
        return StoreError(f"{where} could not {doing} (D-Bus): {detail}", hint=NO_KEYRING_HINT)
    if isinstance(exc, OSError):
        return StoreError(f"{where} could not {doing}: {detail}", hint=NO_KEYRING_HINT)
    return None


def _no_keyring() -> StoreError:
    return StoreError(
        "no OS keyring is available (no Secret Service, Keychain or Credential Locker found)",
        hint=NO_KEYRING_HINT,
        code=UNAVAILABLE,
    )


@contextmanager
def _translated(doing: str, backend: str | None) -> Iterator[None]:
    """Turn keyring and D-Bus failures inside the block into one-line StoreErrors."""
    try:
        yield
    except Exception as exc:
        error = _store_error(exc, doing, backend)
        if error is None:
            raise
        raise error from exc


def _refusal(backend: KeyringBackend) -> StoreError | None:
    """Why this backend must not hold a secret, or None when it is a real keyring."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, chainer.ChainerBackend):
        chained = list(backend.backends)
        if not chained:
            return _no_keyring()
        return _refusal(chained[0])  # the chainer writes to its first backend
    if isinstance(backend, fail.Keyring):
        return _no_keyring()
    name = _backend_name(backend)
    if isinstance(backend, null.Keyring):
        return StoreError(
            f"the keyring backend {name} discards everything written to it",
            hint=NO_KEYRING_HINT,
            code=UNAVAILABLE,
        )
    if "plaintext" in type(backend).__name__.lower():  # keyrings.alt's file and pyfs backends
        return StoreError(
            f"the keyring backend {name} keeps secrets in a plain file (base64 at best); "
            "ssoctl will not silently downgrade a client secret to that",
            hint=PLAINTEXT_HINT,
            code=INSECURE,
        )
    return None


class KeyringStore:
    """Client ID, tenant ID and secret as three entries of service `ssoctl` in the OS keyring."""

    @property
    def location(self) -> str:
        return "keyring"

    def _backend(self) -> KeyringBackend:
        """The active keyring backend; StoreError when it cannot be loaded or must not be used."""
        import keyring

        try:
            backend = keyring.get_keyring()
        except OSError as exc:  # e.g. a D-Bus socket that is not there
            bus = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
            where = f"cannot connect to the D-Bus session bus {bus}: " if bus else ""
            raise StoreError(
                f"OS keyring is not reachable: {where}{exc.strerror or _one_line(exc)}",
                hint=NO_KEYRING_HINT,
                code=UNAVAILABLE,
            ) from exc
        except (ImportError, AttributeError, ValueError) as exc:  # bad PYTHON_KEYRING_BACKEND
            raise StoreError(
                f"the configured keyring backend could not be loaded: {_one_line(exc)}",
                hint="check PYTHON_KEYRING_BACKEND and keyringrc.cfg",
            ) from exc
        except Exception as exc:
            error = _store_error(exc, "start", None)
            if error is None:
                raise
            raise error from exc
        refusal = _refusal(backend)
        if refusal is not None:
            raise refusal
        return backend

    def check(self) -> None:
        """Raise StoreError unless a real, unlocked OS keyring takes a write now (probe entry)."""
        backend = self._backend()
        name = _backend_name(backend)
        token = secrets.token_urlsafe(16)
        with _translated("write a test entry", name):
            backend.set_password(SERVICE, PROBE_USERNAME, token)
            read = backend.get_password(SERVICE, PROBE_USERNAME)
            backend.delete_password(SERVICE, PROBE_USERNAME)
        if read != token:
            raise StoreError(
                f"OS keyring ({name}) did not return the test entry it was given",
                hint=NO_KEYRING_HINT,
            )

    def preflight(self, ref: CredentialRef) -> None:
        self.check()

    def save(self, ref: CredentialRef, creds: Credentials) -> None:
        backend = self._backend()
        name = _backend_name(backend)
        values = {
            "client_id": creds.client_id,
            "tenant_id": creds.tenant_id,
            "client_secret": creds.client_secret.reveal(),
        }
        with _translated("read", name):
            before = {f: backend.get_password(SERVICE, username(ref, f)) for f in FIELDS}
        written: list[str] = []
        try:
            with _translated("save the credentials", name):
                for field in FIELDS:  # the secret last: a partial write never holds a lone secret
                    backend.set_password(SERVICE, username(ref, field), values[field])
                    written.append(field)
        except StoreError:
            self._roll_back(backend, ref, written, before)
            raise

    @staticmethod
    def _roll_back(
        backend: KeyringBackend,
        ref: CredentialRef,
        written: list[str],
        before: dict[str, str | None],
    ) -> None:
        """Best effort: put back what a failed `save` replaced, remove what it added."""
        for field in written:
            old = before.get(field)
            try:
                if old is None:
                    backend.delete_password(SERVICE, username(ref, field))
                else:
                    backend.set_password(SERVICE, username(ref, field), old)
            except Exception:
                pass  # the original failure is the one to report

    def load(self, ref: CredentialRef) -> Credentials | None:
        backend = self._backend()
        with _translated("read", _backend_name(backend)):
            secret = backend.get_password(SERVICE, username(ref, "client_secret"))
            if secret is None:
                return None
            client_id = backend.get_password(SERVICE, username(ref, "client_id"))
            tenant_id = backend.get_password(SERVICE, username(ref, "tenant_id"))
        if not client_id or not tenant_id:
            return None  # an incomplete set is not a usable secret: register writes all three anew
        return Credentials(client_id=client_id, tenant_id=tenant_id, client_secret=Secret(secret))

    def delete(self, ref: CredentialRef) -> None:
        from keyring.errors import PasswordDeleteError

        backend = self._backend()
        with _translated("delete", _backend_name(backend)):
            for field in FIELDS:
                try:
                    backend.delete_password(SERVICE, username(ref, field))
                except PasswordDeleteError:
                    continue  # not there: nothing to delete

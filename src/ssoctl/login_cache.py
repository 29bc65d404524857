"""Where `ssoctl login` keeps the sign-in: an MSAL token cache encrypted by the OS, plus a record.

- `SSOCTL_HOME/login.json` (0600, no token in it): how to sign in again silently — client ID,
  authority, tenant, the account, the cloud, which cache, or `"method": "azure-cli"`.
- `SSOCTL_HOME/msal-token-cache.bin`: MSAL's token cache through msal-extensions, encrypted with
  the OS secret store (Windows DPAPI, macOS Keychain, Linux libsecret). Only with
  `--plaintext-cache` (and a warning) is it a plain 0600 file, `msal-token-cache.json`, instead.

`find_access_token` reads a still-valid access token straight from the cache without building an
MSAL application, so a signed-in command makes no request to the login server at all until the
token is within five minutes of expiry.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ssoctl.errors import AuthError, StoreError
from ssoctl.files import write_private

RECORD_FILE = "login.json"
ENCRYPTED_CACHE = "msal-token-cache.bin"
PLAINTEXT_CACHE = "msal-token-cache.json"
EXPIRY_MARGIN = 300  # seconds: refresh a token this long before it expires
METHOD_MSAL = "msal"
METHOD_AZURE_CLI = "azure-cli"


@dataclass(frozen=True)
class LoginRecord:
    """What `ssoctl login` chose; enough to get a token again without asking the person."""

    method: str  # msal | azure-cli
    cloud: str
    tenant: str = ""
    client_id: str = ""
    authority: str = ""  # https://login.microsoftonline.com/<tenant>
    discovery_off: bool = False  # instance discovery off (a host that is not Microsoft's)
    home_account_id: str = ""
    username: str = ""
    plaintext: bool = False


def record_path(home: Path) -> Path:
    return home / RECORD_FILE


RECORD_VERSION = 1  # login.json's format; a higher one was written by a newer ssoctl
KNOWN_METHODS = (METHOD_MSAL, METHOD_AZURE_CLI)
_RELOGIN = "run `ssoctl logout`, then `ssoctl login` again"


def _damaged(path: Path, what: str, hint: str = _RELOGIN) -> AuthError:
    """The sign-in's files cannot be used: named, with what to do (exit 4, never "a bug")."""
    return AuthError(f"{path} {what}", hint=hint, code="token_cache")


def load_record(home: Path, *, strict: bool = False) -> LoginRecord | None:
    """login.json, or None when there is none. A damaged, foreign or newer one is None too
    (`logout` cleans up after it), unless `strict`: signing in with it says what is wrong."""
    path = record_path(home)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        if strict:
            raise _damaged(path, f"cannot be read ({type(exc).__name__}): it is damaged") from None
        return None
    known = LoginRecord.__dataclass_fields__
    version = data.get("version", RECORD_VERSION) if isinstance(data, dict) else None
    if isinstance(version, int) and version > RECORD_VERSION:
        if strict:
            raise _damaged(
                path,
                f"was written by a newer ssoctl (format {version}; this one reads {RECORD_VERSION})",
                hint="upgrade ssoctl, or " + _RELOGIN + " with this one",
            )
        return None
    try:
        if not isinstance(data, dict) or data.get("method") not in KNOWN_METHODS:
            raise TypeError("not a login record")
        return LoginRecord(**{k: v for k, v in data.items() if k in known})
    except TypeError:
        if strict:
            raise _damaged(path, "is not an ssoctl sign-in record (foreign or damaged)") from None
        return None


def save_record(home: Path, record: LoginRecord) -> None:
    data = {"version": RECORD_VERSION, **asdict(record)}
    write_private(record_path(home), (json.dumps(data, indent=1) + "\n").encode())


def _persistence(home: Path, *, plaintext: bool) -> Any:
    """msal-extensions persistence: encrypted by the OS, or (opted in) a 0600 plain file."""
    import msal_extensions

    home.mkdir(parents=True, exist_ok=True)
    if plaintext:
        path = home / PLAINTEXT_CACHE
        if not path.exists():
            write_private(path, b"")
        os.chmod(path, 0o600)
        return msal_extensions.FilePersistence(str(path))
    try:
        return msal_extensions.build_encrypted_persistence(str(home / ENCRYPTED_CACHE))
    except Exception as exc:  # ImportError (no PyGObject/libsecret), RuntimeError, OSError, ...
        raise StoreError(
            f"the OS secret store cannot encrypt the token cache ({type(exc).__name__}: {str(exc)[:160]})",
            hint=(
                "on Linux install libsecret and PyGObject (and run a Secret Service such as gnome-keyring), "
                "or pass --plaintext-cache to keep the cache in a 0600 file instead"
            ),
            code="token_cache",
        ) from None


def open_cache(home: Path, *, plaintext: bool) -> Any:
    """MSAL's token cache, persisted (and locked across processes) by msal-extensions."""
    import msal_extensions

    return msal_extensions.PersistedTokenCache(_persistence(home, plaintext=plaintext))


_CACHE_SECTIONS = ("AccessToken", "RefreshToken", "IdToken", "Account", "AppMetadata")


def cache_path(home: Path, record: LoginRecord) -> Path:
    return home / (PLAINTEXT_CACHE if record.plaintext else ENCRYPTED_CACHE)


def check_cache(home: Path, record: LoginRecord) -> None:
    """Before the login cache is used: it exists, only its owner can read it (the plain file),
    and it holds MSAL's JSON. A damaged one is named with what to do, instead of MSAL's
    exception deep inside the first Graph request."""
    path = cache_path(home, record)
    if not path.exists():
        raise _damaged(path, "is missing: login.json names a sign-in whose token cache is gone")
    if record.plaintext:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise _damaged(
                path,
                f"can be read by other users (mode {mode:04o}); it holds your sign-in's refresh token",
                hint=f"chmod 600 {path}; if someone else may have read it, {_RELOGIN}",
            )
    from msal_extensions.persistence import PersistenceNotFound

    try:
        text = _persistence(home, plaintext=record.plaintext).load()
    except PersistenceNotFound:
        raise _damaged(path, "is missing: login.json names a sign-in whose token cache is gone") from None
    except StoreError:
        raise
    except Exception as exc:  # undecryptable, unreadable, not text
        raise _damaged(path, f"cannot be read or decrypted ({type(exc).__name__})") from None
    if not (text or "").strip():
        raise _damaged(path, "is empty: the sign-in's tokens are gone")
    try:
        data = json.loads(text)
    except ValueError:
        raise _damaged(path, "is damaged (not the JSON MSAL writes; cut short or overwritten)") from None
    sections = [data.get(name, {}) for name in _CACHE_SECTIONS] if isinstance(data, dict) else None
    if sections is None or not all(
        isinstance(section, dict) and all(isinstance(entry, dict) for entry in section.values())
        for section in sections
    ):
        raise _damaged(path, "is not an MSAL token cache (foreign or damaged JSON)")


def find_access_token(cache: Any, record: LoginRecord, scopes: Sequence[str]) -> tuple[str, int] | None:
    """A cached access token for the account that covers `scopes` and lives > 5 more minutes."""
    from msal import TokenCache

    wanted = {s.lower() for s in scopes}
    now = time.time()
    for entry in cache.search(
        TokenCache.CredentialType.ACCESS_TOKEN, query={"home_account_id": record.home_account_id}
    ):
        if entry.get("client_id") != record.client_id:
            continue
        target = {t.lower() for t in str(entry.get("target", "")).split()}
        expires = int(entry.get("expires_on") or 0)
        if wanted <= target and expires - EXPIRY_MARGIN > now:
            return str(entry["secret"]), expires
    return None


def clear(home: Path) -> list[str]:
    """Forget the sign-in: empty the cache (also inside the OS store) and delete the files.

    Returns what was removed, for the message."""
    removed: list[str] = []
    record = load_record(home)
    for name, plaintext in ((ENCRYPTED_CACHE, False), (PLAINTEXT_CACHE, True)):
        path = home / name
        if path.exists():
            if not plaintext or (record and record.plaintext):
                with contextlib.suppress(StoreError):
                    _persistence(home, plaintext=plaintext).save("{}")
            path.unlink(missing_ok=True)
            removed.append(name)
        lock = home / f"{name}.lockfile"
        lock.unlink(missing_ok=True)
    if record_path(home).exists():
        record_path(home).unlink()
        removed.append(RECORD_FILE)
    return removed

"""Test-wide guards: every test runs in a temporary HOME/SSOCTL_HOME and may reach only loopback.

An audit hook watches file opens and socket connections for the whole session; while a test
runs, touching the real home directory or a non-loopback address is recorded and fails the test,
even when the code under test swallows the exception.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REAL_HOME = Path(os.path.expanduser("~")).resolve()
REPO = Path(__file__).resolve().parent.parent


def _allowed_under_home(*candidates: str | Path) -> tuple[str, ...]:
    """Folders inside the real home a test may still open (the interpreter, the repository, pytest's
    temp folder). One that holds the home itself (HOME=/tmp/x with the temp folder /tmp) would allow
    all of it, so it is left out: then only pytest's own base temp folder is allowed."""
    allowed = []
    for candidate in candidates:
        path = Path(candidate).resolve()
        if not REAL_HOME.is_relative_to(path):
            allowed.append(str(path) + os.sep)
    return tuple(allowed)


_ALLOWED_UNDER_HOME = _allowed_under_home(
    sys.prefix, sys.base_prefix, sys.exec_prefix, REPO, tempfile.gettempdir()
)
_violations: list[str] = []
_guard_on = False


class GuardViolation(RuntimeError):
    """Raised (and recorded) when a test reaches outside its sandbox."""


def _is_loopback(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    host = host.strip("[]").lower()
    if host in ("localhost", "localhost.localdomain", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _deny(what: str) -> None:
    _violations.append(what)
    raise GuardViolation(what)


def _audit(event: str, args: tuple[object, ...]) -> None:
    if not _guard_on:
        return
    if event == "socket.connect":
        sock, address = args[0], args[1]
        family = getattr(sock, "family", None)
        inet = family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple)
        if inet and not _is_loopback(address[0]):  # type: ignore[index]
            _deny(f"network access to {address!r}")
    elif event == "socket.getaddrinfo":
        if not _is_loopback(args[0]):
            _deny(f"name lookup of {args[0]!r}")
    elif event == "open":
        path = args[0]
        if isinstance(path, int):
            return
        try:
            resolved = str(Path(os.fsdecode(path)).resolve())  # type: ignore[arg-type]
        except (OSError, ValueError, TypeError):
            return
        inside_home = resolved.startswith(str(REAL_HOME) + os.sep)
        if inside_home and not (resolved + os.sep).startswith(_ALLOWED_UNDER_HOME):
            _deny(f"access to the real home directory: {resolved}")


sys.addaudithook(_audit)

_SCRUBBED_PREFIXES = ("SSOCTL_", "AZURE_", "PINGONE_", "OKTA_", "MSAL_")


@pytest.fixture(scope="session", autouse=True)
def _allow_pytest_temp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """pytest's base temp folder (every tmp_path) stays allowed even when HOME holds it, and every
    other temp file (tempfile.mkstemp, a library's scratch file) goes there too: with HOME=/tmp a
    file straight in /tmp would be in the real home."""
    global _ALLOWED_UNDER_HOME
    base = tmp_path_factory.getbasetemp()
    scratch = base / "tempfile"
    scratch.mkdir(exist_ok=True)
    tempfile.tempdir = str(scratch)
    os.environ["TMPDIR"] = str(scratch)
    _ALLOWED_UNDER_HOME = (*_ALLOWED_UNDER_HOME, *_allowed_under_home(base))


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Fresh HOME and SSOCTL_HOME per test, no credentials from the developer's shell, loopback only."""
    global _guard_on
    for name in list(os.environ):
        if name.startswith(_SCRUBBED_PREFIXES) and name != "SSOCTL_REQUIRE_SECRET_SERVICE":
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("SSOCTL_HOME", str(tmp_path / "ssoctl"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,::1")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost,::1")
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setenv("SSOCTL_NO_REMINDERS", "1")
    monkeypatch.delenv("CI", raising=False)
    _violations.clear()
    _guard_on = True
    try:
        yield tmp_path
    finally:
        _guard_on = False
    if _violations:
        found = "; ".join(dict.fromkeys(_violations))
        _violations.clear()
        pytest.fail(f"test left its sandbox: {found}")

"""An in-memory keyring backend for tests, with switches that make it locked or failing.

Install it with `keyring.set_keyring(MemoryKeyring())`, or use the `memory_keyring` fixture from
`tests/support/fixtures.py`, which also restores whatever backend was active before. Its priority
is below keyring's own fail backend, so keyring's auto-detection never picks it by itself.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError, PasswordSetError


class MemoryKeyring(KeyringBackend):
    """A dict of (service, username) -> password.

    Switches (plain attributes, set them in a test):
    - `locked`: every call raises KeyringLocked, as a locked Secret Service collection does;
    - `error`: every call raises this exception (e.g. RuntimeError, a D-Bus error);
    - `writes_left`: after this many successful `set_password` calls, the next one raises
      PasswordSetError, once (to test what a half-finished save leaves behind and its rollback).
    """

    priority = -10  # lower than keyring.backends.fail (0): never auto-detected

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.locked = False
        self.error: BaseException | None = None
        self.writes_left: int | None = None

    def _gate(self) -> None:
        if self.error is not None:
            raise self.error
        if self.locked:
            raise KeyringLocked("Failed to unlock the collection!")

    def get_password(self, service: str, username: str) -> str | None:
        self._gate()
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._gate()
        if self.writes_left is not None:
            if self.writes_left <= 0:
                self.writes_left = None
                raise PasswordSetError("simulated write failure")
            self.writes_left -= 1
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._gate()
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise PasswordDeleteError("No such password!") from None

    def usernames(self, service: str = "ssoctl") -> set[str]:
        """The usernames stored under `service`: what a test asserts on."""
        return {user for (svc, user) in self.entries if svc == service}

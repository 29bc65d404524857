"""Credential values that travel from Graph to a store, and the wrapper that keeps secrets unprinted.

`Secret` never shows its value in `repr`, `str`, f-strings or tracebacks; code that really needs
the value calls `reveal()`, which makes every place a secret leaves the process easy to find.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class Secret:
    """A secret string whose text shows only through `reveal()`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> str | tuple[object, ...]:  # pickling would be a way out; refuse it
        raise TypeError("Secret values cannot be pickled")


@dataclass(frozen=True)
class CredentialRef:
    """Where one registration's credentials live, independent of the store kind.

    `unique_name` is the app's immutable Graph key (e.g. `ssoctl-emnify`); `env_prefix` names the
    dotenv keys (`EMNIFY` -> `EMNIFY_CLIENT_ID`, ...).
    """

    tenant_id: str
    unique_name: str
    env_prefix: str


@dataclass(frozen=True)
class Credentials:
    """What a portal needs to trust the app registration: client ID, tenant ID and the secret."""

    client_id: str
    tenant_id: str
    client_secret: Secret


@dataclass(frozen=True)
class IssuedSecret:
    """A client secret just issued by `addPassword`: the only moment its text is known."""

    key_id: str
    display_name: str
    end: datetime
    hint: str
    text: Secret

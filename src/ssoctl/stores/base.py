"""The credential-store Protocol: keyring, env-file, and later portal APIs (PingOne, Okta).

A store is checked (`preflight`) before anything in the tenant changes, so a secret is never
created with nowhere to put it. `location` is what the JSON `secret.store` field shows.
"""

from __future__ import annotations

from typing import Protocol

from ssoctl.credentials import CredentialRef, Credentials


class Store(Protocol):
    """Somewhere the client ID, tenant ID and secret of one registration can live."""

    @property
    def location(self) -> str:
        """How the user names this store: `keyring`, `env-file:/abs/path`, ..."""
        ...

    def preflight(self, ref: CredentialRef) -> None:
        """Raise StoreError (or UsageError for a bad path) unless `save` would succeed now."""
        ...

    def save(self, ref: CredentialRef, creds: Credentials) -> None:
        """Write all three values, replacing older ones for the same ref. Raise StoreError."""
        ...

    def load(self, ref: CredentialRef) -> Credentials | None:
        """The stored values, or None when this store holds nothing for `ref`."""
        ...

    def delete(self, ref: CredentialRef) -> None:
        """Remove the values for `ref`; missing values are not an error."""
        ...

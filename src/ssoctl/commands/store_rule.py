"""Which store a command uses: a registration keeps the store that holds its secret.

Without `--store`, every command (register, rotate, reveal, status, unregister) uses the store
state.json records for that registration's secret; only a registration ssoctl holds no secret for
starts in the keyring. Before this rule, a plain re-run after `--store env-file:X` quietly made a
new secret and moved it to the keyring, and the portal's copy in X went stale.
"""

from __future__ import annotations

from ssoctl.state import Registration
from ssoctl.stores import StoreSpec, parse_store

from .hints import DEFAULT_STORE


def remembered_location(record: Registration | None) -> str:
    """Where this registration's secret is kept now (`keyring` when ssoctl keeps none yet)."""
    if record is not None and record.secret is not None:
        return record.secret.store
    return DEFAULT_STORE


def choose_store(requested: str | None, record: Registration | None) -> StoreSpec:
    """`--store` when given, else the store the record names, else the keyring."""
    return parse_store(requested if requested is not None else remembered_location(record))

"""Credential stores: where a registration's client ID, tenant ID and secret go (`--store`).

`parse_store` turns the option text into a `StoreSpec`; `open_store` builds the store for it.
Importing this package is cheap: the keyring library is imported only when a keyring is used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ssoctl.errors import StoreError, UsageError
from ssoctl.stores.base import Store
from ssoctl.stores.env_file import EnvFileStore
from ssoctl.stores.keyring_store import INSECURE, UNAVAILABLE, KeyringStore

__all__ = [
    "EnvFileStore",
    "KeyringStore",
    "Store",
    "StoreSpec",
    "open_store",
    "parse_store",
    "sandbox_credentials_path",
]

StoreKind = Literal["keyring", "env-file", "none"]

VALID_FORMS = "keyring, env-file:PATH, none"
PLANNED = ("pingone", "okta")


@dataclass(frozen=True)
class StoreSpec:
    """A parsed `--store` value: the kind, and the absolute path for `env-file`."""

    kind: StoreKind
    path: Path | None = None

    def __str__(self) -> str:
        return f"env-file:{self.path}" if self.kind == "env-file" else self.kind


def parse_store(text: str) -> StoreSpec:
    """Parse `keyring`, `env-file:PATH` (~ expanded, made absolute) or `none`; else UsageError."""
    value = text.strip()
    kind, sep, rest = value.partition(":")
    kind = kind.strip().lower()
    if kind == "env-file":
        if not sep or not rest.strip():
            raise UsageError(
                f"--store {text!r} needs a path",
                hint="write it as env-file:PATH, e.g. --store env-file:./emnify.env",
            )
        path = Path(os.path.abspath(os.path.expanduser(rest.strip())))
        return StoreSpec("env-file", path)
    if not sep and kind in ("keyring", "none"):
        return StoreSpec("keyring" if kind == "keyring" else "none")
    if not sep and kind in PLANNED:
        raise UsageError(
            f"--store {kind} is not available yet",
            hint=f"the {kind} API store is planned; for now use one of: {VALID_FORMS}",
        )
    raise UsageError(f"unknown --store {text!r}", hint=f"use one of: {VALID_FORMS}")


def sandbox_credentials_path(home: Path) -> Path:
    """Where sandbox credentials go when no OS keyring is usable."""
    return home / "sandbox" / "credentials.env"


def open_store(
    spec: StoreSpec, *, home: Path, sandbox: bool, env: Mapping[str, str]
) -> tuple[Store | None, str | None]:
    """Build the store for `spec`, and an optional notice line for the user.

    Only in sandbox mode, a default `keyring` store with no usable OS keyring (none found, or one
    ssoctl refuses, such as a plain-text backend) falls back to an env-file (0600) under `home`.
    A locked keyring is no reason to fall back: it exists, and its preflight says how to unlock
    it. Outside the sandbox, the keyring's `preflight` raises instead.
    `none` gives (None, None): the CLI allows it only with --show-secret. `env` is for the planned
    portal API stores (their tokens come from the environment).
    """
    if spec.kind == "none":
        return None, None
    if spec.kind == "env-file":
        assert spec.path is not None
        return EnvFileStore(spec.path), None
    store = KeyringStore()
    if not sandbox:
        return store, None
    try:
        store.check()
    except StoreError as exc:
        if exc.code not in (UNAVAILABLE, INSECURE):
            return store, None  # e.g. locked: preflight reports it
        path = sandbox_credentials_path(home)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return (
            EnvFileStore(path),
            f"no OS keyring available; sandbox credentials go to {path} (0600)",
        )
    return store, None

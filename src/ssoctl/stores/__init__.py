"""Credential stores: where a registration's client ID, tenant ID and secret go (`--store`).

`parse_store` turns the option text into a `StoreSpec`; `open_store` builds the store for it.
Importing this package is cheap: the keyring library is imported only when a keyring is used.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ssoctl.errors import StoreError, UsageError
from ssoctl.stores.base import Store
from ssoctl.stores.env_file import EnvFileStore
from ssoctl.stores.keyring_store import INSECURE, UNAVAILABLE, KeyringStore
from ssoctl.stores.portal_api import OktaStore, PingOneStore, ProviderOptions

__all__ = [
    "EnvFileStore",
    "KeyringStore",
    "Store",
    "StoreSpec",
    "open_store",
    "parse_store",
    "sandbox_credentials_path",
]

StoreKind = Literal["keyring", "env-file", "none", "pingone", "okta"]

VALID_FORMS = "keyring, env-file:PATH, none, pingone, okta"
PORTAL_KINDS = ("pingone", "okta")


@dataclass(frozen=True)
class StoreSpec:
    """A parsed `--store` value: the kind, and the absolute path for `env-file`."""

    kind: StoreKind
    path: Path | None = None
    place: str = ""  # pingone: the environment ID; okta: the org URL (from a recorded location)
    provider: ProviderOptions | None = field(default=None, compare=False)  # the portal-store flags
    # env-file named in an apply file: its missing folder is made (0700) rather than refused
    make_folder: bool = field(default=False, compare=False)

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
    if kind in PORTAL_KINDS:
        # `pingone` / `okta` as typed, or `pingone:<envId>/<idpId>` / `okta:<org>/<idpId>` as recorded.
        place = rest.strip().rsplit("/", 1)[0] if sep and "/" in rest else rest.strip()
        return StoreSpec("pingone" if kind == "pingone" else "okta", place=place)
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
    if spec.kind in PORTAL_KINDS:
        return _open_portal_store(spec, home=home, sandbox=sandbox, env=env)
    if spec.kind == "env-file":
        assert spec.path is not None
        return EnvFileStore(spec.path, make_folder=spec.make_folder), None
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


def _open_portal_store(
    spec: StoreSpec, *, home: Path, sandbox: bool, env: Mapping[str, str]
) -> tuple[Store, str | None]:
    """PingOne or Okta; in the sandbox without a URL of its own, a fake one started here."""
    options = spec.provider or ProviderOptions()
    if spec.kind == "pingone":
        if spec.place and not options.pingone_env:
            options = dataclasses.replace(options, pingone_env=spec.place)
        if sandbox and not options.pingone_api_url:  # a URL given (a test's fake) is used as is
            from ssoctl.stores.sandbox_portals import sandbox_pingone

            return sandbox_pingone(options, home, env)
        return PingOneStore(options, env), None
    if spec.place and not options.okta_org:
        options = dataclasses.replace(options, okta_org=spec.place)
    if sandbox and not _loopback(options.okta_org):
        from ssoctl.stores.sandbox_portals import sandbox_okta

        return sandbox_okta(options, home, env)
    return OktaStore(options, env), None


def _loopback(url: str | None) -> bool:
    from urllib.parse import urlsplit

    from ssoctl.config import is_loopback_host

    return bool(url) and is_loopback_host(urlsplit(url or "").hostname or "")

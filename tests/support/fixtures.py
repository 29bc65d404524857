"""Pytest fixtures shared across test folders: load with `pytest_plugins = ["tests.support.fixtures"]`
in tests/conftest.py (or import the fixtures into a conftest).

- `memory_keyring`: installs a fresh `MemoryKeyring` as keyring's active backend for one test and
  restores the previous backend afterwards. `ssoctl.stores.KeyringStore` then works without any
  OS keyring; flip `.locked`, `.error` or `.writes_left` to simulate failures.
- `no_keyring`: makes keyring's active backend its `fail.Keyring`, as on a headless Linux machine.
"""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.core
import pytest
from keyring.backends import fail

from tests.support.memory_keyring import MemoryKeyring


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    keyring.set_keyring(backend)
    yield backend


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    keyring.set_keyring(fail.Keyring())
    yield

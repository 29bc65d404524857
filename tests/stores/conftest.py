"""Fixtures for the store tests (shared ones live in tests/support/fixtures.py)."""

from tests.support.fixtures import memory_keyring, no_keyring

__all__ = ["memory_keyring", "no_keyring"]

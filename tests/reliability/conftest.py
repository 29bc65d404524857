"""Fixtures for the reliability tests: an in-memory keyring as the OS keyring."""

from __future__ import annotations

from tests.support.fixtures import memory_keyring

__all__ = ["memory_keyring"]

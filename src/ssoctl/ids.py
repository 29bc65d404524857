"""Identifier checks shared by every module: one GUID rule, so "is this an ID?" has one answer."""

from __future__ import annotations

import re

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def is_guid(value: str | None) -> bool:
    """True for a GUID such as a tenant ID, appId or object ID (any case, no braces)."""
    return bool(value) and _GUID.fullmatch(value or "") is not None

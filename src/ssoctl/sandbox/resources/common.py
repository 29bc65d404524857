"""Helpers shared by resource modules: projections, timestamps, permission sets."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from ssoctl.sandbox import graph_errors as ge

JSON = dict[str, Any]

# Permission names per the Graph permissions reference for each API page.
APPLICATION_READ = (
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
APPLICATION_WRITE = ("Application.ReadWrite.All",)
ORGANIZATION_READ = (
    "User.Read",
    "User.Read.All",
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)


def graph_time(moment: datetime, *, fraction: bool = True) -> str:
    """Graph's timestamp format: `2019-09-17T19:10:35.2742618Z` (7 fractional digits)."""
    moment = moment.astimezone(timezone.utc)
    if not fraction:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})$"
)


def parse_graph_time(text: str) -> datetime:
    """An Edm.DateTimeOffset literal (up to 7 fractional digits) as an aware UTC datetime."""
    match = _DATETIME.match(text.strip())
    if not match:
        raise ValueError(f"not a DateTimeOffset: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    offset = timedelta(0)
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    moment = datetime(
        int(year),
        int(month),
        int(day),
        int(hour),
        int(minute),
        int(second or 0),
        int(((fraction or "") + "000000")[:6]),
        tzinfo=timezone(offset),
    )
    return moment.astimezone(timezone.utc)


def project(entity: JSON, select: Sequence[str] | None, known: Iterable[str]) -> JSON:
    """Only the `$select`ed properties (unknown names are Graph's 400), else the whole entity."""
    if not select:
        return dict(entity)
    names = set(known)
    for name in select:
        if name not in names:
            raise ge.unsupported_query_property(name)
    return {name: entity.get(name) for name in select}


def context_url(base_url: str, entity_set: str, select: Sequence[str] | None, *, entity: bool) -> str:
    """`@odata.context` as Graph writes it, e.g. `.../$metadata#applications(id,appId)/$entity`."""
    projection = f"({','.join(select)})" if select else ""
    return f"{base_url}/$metadata#{entity_set}{projection}" + ("/$entity" if entity else "")

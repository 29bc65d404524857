"""Routing: (method, path template) -> handler, with Graph's answers for everything else.

A template is a `/`-separated path under /v1.0 where `{name}` matches one segment: an object id
(`/applications/{app}`) or a key predicate (`/applications(uniqueName='x')` is split into the
segments `applications`, `Key('uniqueName', 'x')` by odata.split_path, so both forms hit the same
route). A resource is one `router.add(...)` per endpoint (resources/); the 400/405 answers for
unknown paths come for free.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox.auth import Permission, Principal
from ssoctl.sandbox.faults import Faults
from ssoctl.sandbox.odata import Key, Query, Segment

JSON = dict[str, Any]
MUTATING_METHODS = ("POST", "PATCH", "PUT", "DELETE")


@dataclass(frozen=True)
class Request:
    """One HTTP request as the handlers see it (headers lower-cased)."""

    method: str
    target: str
    query_string: str
    headers: Mapping[str, str]
    body: bytes
    segments: Sequence[Segment]
    query: Query

    @property
    def mutating(self) -> bool:
        """True for requests that ask to change the tenant, whatever the outcome."""
        return self.method in MUTATING_METHODS

    def prefers(self, preference: str) -> bool:
        prefer = self.headers.get("prefer", "")
        return preference in (p.strip().split("=")[0].lower() for p in prefer.split(","))


@dataclass
class Response:
    status: int
    body: JSON | None = None
    headers: dict[str, str] = field(default_factory=dict)
    lagged: bool = False  # a read that left out what has not replicated (logged `fault: replication`)


@dataclass
class Context:
    """What a handler gets: the request, its path parameters and the locked tenant document."""

    request: Request
    params: dict[str, Segment]
    state: JSON
    principal: Principal
    faults: Faults
    base_url: str
    now: datetime

    def json_body(self, *, required: bool = True) -> Any:
        """The request body parsed as JSON; Graph's 400 when it is not JSON."""
        raw = self.request.body
        if not raw.strip():
            if required:
                raise ge.unreadable_json()
            return None
        content_type = self.request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise ge.unreadable_json()  # "Please ensure Content-Type header is set ..."
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ge.unreadable_json() from None


Handler = Callable[[Context], Response]
Authorize = Callable[[Context], None]
"""A check beyond the token's permissions (directory roles, ownership): raises Graph's 403."""


@dataclass(frozen=True)
class Route:
    method: str
    parts: tuple[str, ...]
    handler: Handler
    permissions: frozenset[Permission]
    authorize: Authorize | None = None

    def match(self, segments: Sequence[Segment]) -> tuple[int, dict[str, Segment] | None]:
        """How many leading segments fit, and the parameters when the whole path fits."""
        params: dict[str, Segment] = {}
        for index, part in enumerate(self.parts):
            if index >= len(segments):
                return index, None
            segment = segments[index]
            if part.startswith("{") and part.endswith("}"):
                params[part[1:-1]] = segment
            elif isinstance(segment, Key) or segment.lower() != part.lower():
                return index, None
        if len(segments) != len(self.parts):
            return len(self.parts), None
        return len(self.parts), params


def _shown(segment: Segment) -> str:
    return f"{segment.name}='{segment.value}'" if isinstance(segment, Key) else segment


class Router:
    """Routes for one API version; `resolve` answers like Graph for paths it does not serve."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(
        self,
        method: str,
        template: str,
        handler: Handler,
        *,
        permissions: Sequence[Permission],
        authorize: Authorize | None = None,
    ) -> None:
        parts = tuple(p for p in template.split("/") if p)
        self._routes.append(Route(method.upper(), parts, handler, frozenset(permissions), authorize))

    def resolve(self, method: str, segments: Sequence[Segment]) -> tuple[Route, dict[str, Segment]]:
        deepest = 0
        path_exists = False
        for route in self._routes:
            depth, params = route.match(segments)
            if params is not None:
                if route.method == method:
                    return route, params
                path_exists = True
            deepest = max(deepest, depth)
        if path_exists:
            raise ge.method_not_allowed()
        if not segments:
            raise ge.unknown_segment("")
        return_index = min(deepest, len(segments) - 1)
        raise ge.unknown_segment(_shown(segments[return_index]))

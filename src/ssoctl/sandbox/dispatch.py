"""One request through the sandbox: faults, version, auth, routing, replication lag, handler, log.

Kept apart from the HTTP plumbing (server.py) so the order of checks, which decides which error a
client sees first, reads top to bottom in one function.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox import login, replication
from ssoctl.sandbox.auth import authenticate, require
from ssoctl.sandbox.faults import HANG_SECONDS, Faults, InFlight, PositionFault, ThrottleCounter
from ssoctl.sandbox.odata import Segment, parse_query, split_path
from ssoctl.sandbox.resources import build_router
from ssoctl.sandbox.router import MUTATING_METHODS, Context, Request, Response
from ssoctl.sandbox.state import TenantStore

API_VERSION = "v1.0"
# `/v1.0/myorganization/applications` is `/v1.0/applications`: Graph keeps the AAD Graph-era
# alias for the signed-in user's tenant on every directory path.
MY_ORGANIZATION = "myorganization"


@dataclass(frozen=True)
class Outcome:
    """A response plus what the request log needs to know about it."""

    status: int
    body: dict[str, Any] | None
    headers: dict[str, str]
    mutating: bool
    raw: bytes | None = None  # a body that is not JSON (the login server's HTML form_post page)
    dropped: bool = False  # close the connection without an answer (a reset fault)
    hold: float = 0.0  # ... after holding it open this many seconds (or until the server stops)


def _planted_fault(mode: str, *, label: str = "") -> ge.GraphFault:
    """The answer a position fault gives (Faults.fail_mode, without "-after"); the request log
    marks it `fail-<mode>` (`fail-503-after` when the sandbox acted first)."""
    if mode in ("hang", "timeout"):
        mode = "reset"
    if mode == "429":
        fault = ge.throttled(1)
    elif mode == "reset":
        fault = ge.GraphFault(502, "ConnectionReset", "The connection was reset.")
    else:
        code = "ServiceUnavailable" if mode == "503" else "UnknownError"
        fault = ge.GraphFault(int(mode), code, "The service encountered an error. Please try again later.")
    fault.injected = f"fail-{label or mode}"
    return fault


def _resource_path(segments: list[Segment]) -> list[Segment]:
    """The path under the version, with the `myorganization` alias dropped."""
    resource = segments[1:]
    if resource and isinstance(resource[0], str) and resource[0].lower() == MY_ORGANIZATION:
        return resource[1:]
    return resource


class Dispatcher:
    """The sandbox tenant behind one server: its store, routes, faults and throttle counter."""

    def __init__(self, store: TenantStore, faults: Faults) -> None:
        self.store = store
        self.faults = faults
        self.router = build_router()
        self.throttle = ThrottleCounter(faults.throttle_every)
        self.in_flight = InFlight()
        self.position = PositionFault(faults.fail_at, faults.fail_mode)

    def handle(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        base_url: str,
        request_id: str,
        client_request_id: str,
    ) -> Outcome:
        concurrent = self.in_flight.enter()
        try:
            return self._answer(
                method,
                target,
                headers,
                body,
                base_url=base_url,
                request_id=request_id,
                client_request_id=client_request_id,
                concurrent=concurrent,
            )
        finally:
            self.in_flight.leave()

    def _answer(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        base_url: str,
        request_id: str,
        client_request_id: str,
        concurrent: int,
    ) -> Outcome:
        if self.faults.latency_ms:  # before the tenant's lock, so slow requests wait side by side
            time.sleep(self.faults.latency_ms / 1000)
        now = datetime.now(UTC)
        route = login.login_route(target.partition("?")[0])
        if route is not None:
            return self._login(
                method, target, route, headers, body, base_url, now, request_id, client_request_id
            )
        mutating = method in MUTATING_METHODS
        injected: str | None = None
        planted = self.position.next()
        try:
            if planted in ("429", "500", "503", "reset"):
                raise _planted_fault(planted)
            response = self._handle(method, target, headers, body, base_url=base_url, now=now)
            injected = "replication" if response.lagged else None
            if planted is not None:  # "-after": Graph acted, and the answer is lost or an error
                raise _planted_fault(planted.removesuffix("-after"), label=planted)
        except ge.GraphFault as fault:
            injected = fault.injected
            response = Response(fault.status, None, fault.headers)
            response.body = fault.body(
                date=now.strftime("%Y-%m-%dT%H:%M:%S"),
                request_id=request_id,
                client_request_id=client_request_id,
            )
        except Exception:  # a sandbox bug: answer like Graph's 500, keep the traceback visible
            traceback.print_exc(file=sys.stderr)
            bug = ge.GraphFault(500, "UnknownError", "The sandbox failed to handle the request.")
            response = Response(
                500,
                bug.body(
                    date=now.strftime("%Y-%m-%dT%H:%M:%S"),
                    request_id=request_id,
                    client_request_id=client_request_id,
                ),
            )
        self.store.append_log(
            {
                "method": method,
                "path": target,
                "status": response.status,
                "mutating": mutating,
                "fault": injected,
                "time": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "concurrent": concurrent,
            }
        )
        dropped = planted is not None and planted.startswith(("reset", "hang", "timeout"))
        hold = {"hang-after": HANG_SECONDS, "timeout-after": self.faults.hold_seconds}.get(planted or "", 0.0)
        return Outcome(response.status, response.body, response.headers, mutating, dropped=dropped, hold=hold)

    def _login(
        self,
        method: str,
        target: str,
        route: tuple[str, str],
        headers: Mapping[str, str],
        body: bytes,
        base_url: str,
        now: datetime,
        request_id: str,
        client_request_id: str,
    ) -> Outcome:
        """A login-server request (login.py): no Graph token, no throttling; logged without its
        query, since a careless client may put a secret there."""
        request = login.LoginRequest(
            method=method,
            tenant=route[0],
            what=route[1],
            headers=headers,
            form=login.parse_form(headers, body) if method == "POST" else login.parse_query(target),
            base_url=base_url,
            now=now,
            trace_id=request_id,
            correlation_id=client_request_id,
        )
        with self.store.transaction() as state:
            answer = login.handle(request, state, self.faults)
        self.store.append_log(
            {
                "method": method,
                "path": target.partition("?")[0],
                "status": answer.status,
                "mutating": False,
                "fault": answer.fault,
                "time": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            }
        )
        return Outcome(answer.status, answer.body, answer.headers, False, answer.raw)

    def _handle(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        base_url: str,
        now: datetime,
    ) -> Response:
        if self.throttle.hit():
            raise ge.throttled(self.faults.retry_after)
        path, _, query_string = target.partition("?")
        segments = split_path(path)
        if not segments or segments[0] != API_VERSION:
            shown = segments[0] if segments and isinstance(segments[0], str) else ""
            raise ge.invalid_version(shown)
        resource = _resource_path(segments)
        query = parse_query(query_string)
        request = Request(method, target, query_string, headers, body, resource, query)
        # A refusal caused by replication lag leaves the with-block normally, so the hit it used
        # up is saved, and is raised after it.
        refusal: ge.GraphFault
        with self.store.transaction(read_only=method in ("GET", "HEAD")) as state:
            principal = authenticate(headers, state["tenantId"], now=now.timestamp())
            route, params = self.router.resolve(method, resource)
            require(principal, route.permissions)
            lagged = replication.lagging_path(state, resource, method)
            if lagged is not None:
                refusal = replication.refuse(ge.resource_not_found(lagged))
            else:
                ctx = Context(
                    request, params, state, principal, self.faults, f"{base_url}/{API_VERSION}", now
                )
                try:
                    if route.authorize is not None:
                        route.authorize(ctx)
                    return route.handler(ctx)
                except ge.GraphFault as fault:
                    if not fault.keeps_state:
                        raise
                    refusal = fault
        raise refusal

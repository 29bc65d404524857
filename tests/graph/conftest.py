"""Fixtures for driving the real SdkGraph (msgraph-sdk over HTTP) against loopback servers."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.graph.scripted import ScriptedGraph

TENANT = "11111111-2222-3333-4444-555555555555"


def make_jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT-shaped token: enough for code that reads claims without verifying."""

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.sig"


class RecordingCredential:
    """A TokenCredential that hands out one token and records every request for it."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or make_jwt({"tid": TENANT, "exp": 4_000_000_000})
        self.calls: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.calls.append((scopes, kwargs))
        return AccessToken(self.token, 4_000_000_000)


class Sleeps(list[float]):
    """A recording stand-in for time.sleep: tests never really wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def scripted() -> Iterator[ScriptedGraph]:
    """A scripted Graph; a request the test did not script fails the test."""
    server = ScriptedGraph()
    try:
        yield server
    finally:
        server.close()
    if server.unexpected:
        pytest.fail(f"unscripted request(s) to the scripted Graph: {', '.join(server.unexpected)}")


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def credential() -> RecordingCredential:
    return RecordingCredential()


@pytest.fixture
def make_graph(sleeps: Sleeps, credential: RecordingCredential) -> Iterator[Callable[..., Any]]:
    """Build SdkGraph instances that are closed after the test."""
    from ssoctl.graph.client import SdkGraph

    made: list[SdkGraph] = []

    def make(base_url: str, **kwargs: Any) -> SdkGraph:
        kwargs.setdefault("sleep", sleeps)
        cred = kwargs.pop("credential", credential)
        graph = SdkGraph(base_url, cred, **kwargs)
        made.append(graph)
        return graph

    yield make
    for graph in made:
        graph.close()

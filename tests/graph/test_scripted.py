"""The scripted Graph must not hide a request nobody scripted behind a 500 the client retries."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.graph.scripted import Reply, ScriptedGraph


def test_an_unscripted_request_is_recorded_as_unexpected() -> None:
    server = ScriptedGraph()
    try:
        server.script("GET", "/organization", Reply(200, {"value": []}))
        with urllib.request.urlopen(f"{server.url}/v1.0/organization", timeout=5) as resp:
            assert resp.status == 200
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{server.url}/v1.0/applications?$top=1", timeout=5)
    finally:
        server.close()
    # the `scripted` fixture fails the test with exactly this list
    assert server.unexpected == ["GET /v1.0/applications?$top=1"]

"""The sandbox guards themselves must bite, or every other test's isolation is a guess."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tests import conftest


def test_home_is_temporary(isolated_env: Path) -> None:
    assert Path(os.environ["HOME"]).is_relative_to(isolated_env)
    assert Path(os.environ["SSOCTL_HOME"]).is_relative_to(isolated_env)


def test_non_loopback_connection_is_refused() -> None:
    with socket.socket() as sock, pytest.raises(conftest.GuardViolation):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed
    conftest._violations.clear()


def test_real_home_is_refused() -> None:
    with pytest.raises(conftest.GuardViolation):
        open(conftest.REAL_HOME / ".ssoctl-guard-probe", "w")  # noqa: SIM115
    conftest._violations.clear()


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass

"""The one place real I/O is chosen: environment, clock, sleep, terminal, Graph client factory.

Commands receive a `Deps`; tests build one with fakes (a recording sleep, a fixed clock) and pass
it as `CliRunner().invoke(app, args, obj=deps)`. Heavy libraries are imported only inside the
factories, so building a Deps costs nothing at start-up.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ssoctl.config import env_flag, ssoctl_home
from ssoctl.graph.api import GraphApi


class GraphFactory(Protocol):
    def __call__(
        self, base_url: str, credential: Any, *, sleep: Callable[[float], None], tenant_hint: str | None
    ) -> GraphApi: ...


def sdk_graph(
    base_url: str, credential: Any, *, sleep: Callable[[float], None], tenant_hint: str | None
) -> GraphApi:
    """Production Graph access: msgraph-sdk, imported only now."""
    from ssoctl.graph.client import SdkGraph

    return SdkGraph(base_url, credential, sleep=sleep, tenant_hint=tenant_hint)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


@dataclass
class Deps:
    """Everything a command needs from the outside world."""

    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    clock: Callable[[], datetime] = _utcnow
    sleep: Callable[[float], None] = time.sleep
    graph_factory: GraphFactory = sdk_graph
    stdin_is_terminal: Callable[[], bool] = _stdin_is_terminal

    @property
    def home(self) -> Path:
        return ssoctl_home(self.env)

    @property
    def in_ci(self) -> bool:
        return env_flag(self.env, "CI")

    def can_prompt(self) -> bool:
        """Prompts only for a person at a terminal; CI and pipes get a message instead of a hang."""
        return self.stdin_is_terminal() and not self.in_ci

    def sandbox_requested(self, flag: bool) -> bool:
        return flag or env_flag(self.env, "SSOCTL_SANDBOX")

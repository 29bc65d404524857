"""The one place real I/O is chosen: environment, clock, sleep, terminal, its input and output streams,
Graph client factory, sign-in and credential stores.

Commands receive a `Deps`; tests build one with fakes (a recording sleep, a fixed clock, a store
opener that hands out an in-memory store, a sign-in that returns a test credential) and pass it as
`CliRunner().invoke(app, args, obj=deps)` instead of patching module globals. Heavy libraries are
imported only inside the factories, so building a Deps costs nothing at start-up.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from ssoctl.config import env_flag, ssoctl_home, strict_env_flag
from ssoctl.graph.api import GraphApi

if TYPE_CHECKING:
    from ssoctl.config import Cloud
    from ssoctl.graph.auth import SignIn
    from ssoctl.stores import StoreSpec
    from ssoctl.stores.base import Store
    from ssoctl.views.console import Consoles


class GraphFactory(Protocol):
    def __call__(
        self,
        base_url: str,
        credential: Any,
        *,
        sleep: Callable[[float], None],
        tenant_hint: str | None,
        timeout: float,
    ) -> GraphApi: ...


def sdk_graph(
    base_url: str,
    credential: Any,
    *,
    sleep: Callable[[float], None],
    tenant_hint: str | None,
    timeout: float,
) -> GraphApi:
    """Production Graph access: msgraph-sdk, imported only now. `timeout`: seconds per request."""
    from ssoctl.graph.client import SdkGraph

    return SdkGraph(base_url, credential, sleep=sleep, tenant_hint=tenant_hint, timeout=timeout)


class StoreOpener(Protocol):
    def __call__(
        self, spec: StoreSpec, *, home: Path, sandbox: bool, env: Mapping[str, str]
    ) -> tuple[Store | None, str | None]: ...


def open_real_store(
    spec: StoreSpec, *, home: Path, sandbox: bool, env: Mapping[str, str]
) -> tuple[Store | None, str | None]:
    """Production stores: the OS keyring, env files (stores.open_store)."""
    from ssoctl.stores import open_store

    return open_store(spec, home=home, sandbox=sandbox, env=env)


class SignInChooser(Protocol):
    def __call__(self, env: Mapping[str, str], *, cloud: Cloud, tenant: str | None) -> SignIn: ...


def real_sign_in(env: Mapping[str, str], *, cloud: Cloud, tenant: str | None) -> SignIn:
    """Production sign-in: the environment's order (graph.auth.choose_sign_in)."""
    from ssoctl.graph.auth import choose_sign_in

    return choose_sign_in(env, cloud=cloud, tenant=tenant)


def _stdout() -> TextIO:
    return sys.stdout  # looked up at use: CliRunner swaps sys.stdout per invocation


def _stderr() -> TextIO:
    return sys.stderr


def _read_stdin() -> str:
    return sys.stdin.read()  # looked up at use, like the output streams


def _ask_hidden(prompt: str) -> str:
    """A prompt that does not echo what is typed (a token), on the terminal."""
    import getpass

    return getpass.getpass(prompt, stream=sys.stderr)


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

    env: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False)  # holds secrets
    clock: Callable[[], datetime] = _utcnow
    sleep: Callable[[float], None] = time.sleep
    graph_factory: GraphFactory = sdk_graph
    stdin_is_terminal: Callable[[], bool] = _stdin_is_terminal
    open_store: StoreOpener = open_real_store
    sign_in: SignInChooser = real_sign_in
    stdout: Callable[[], TextIO] = _stdout
    stderr: Callable[[], TextIO] = _stderr
    read_stdin: Callable[[], str] = _read_stdin  # `--token-stdin`
    ask_hidden: Callable[[str], str] = _ask_hidden  # a token typed at a terminal, not echoed

    def consoles(self) -> Consoles:
        """The command's output streams as Rich consoles (Rich is imported only now)."""
        from ssoctl.views.console import Consoles

        return Consoles(
            self.stdout(),
            self.stderr(),
            no_color="NO_COLOR" in self.env and self.env["NO_COLOR"] != "",
            quiet_progress=self.in_ci,
        )

    @property
    def home(self) -> Path:
        return ssoctl_home(self.env)

    @property
    def in_ci(self) -> bool:
        return env_flag(self.env, "CI")

    def can_prompt(self) -> bool:
        """Prompts only for a person at a terminal; CI and pipes get a message instead of a hang."""
        return self.why_no_prompt() is None

    def why_no_prompt(self) -> str | None:
        """Why ssoctl cannot ask here, in words for the refusal (None: it can ask).

        `CI` wins over the terminal check: at a terminal with `CI` set, saying "no terminal" would
        send the user looking for the wrong cause.
        """
        if self.in_ci:
            return f"CI is set (CI={self.env.get('CI', '')}), so ssoctl does not ask"
        if not self.stdin_is_terminal():
            return "there is no terminal to confirm at"
        return None

    def sandbox_requested(self, flag: bool) -> bool:
        return strict_env_flag(self.env, "SSOCTL_SANDBOX") or flag

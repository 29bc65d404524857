"""The terminal as a new user meets it: the real `ssoctl` process on a pseudo-terminal.

Prompts, spinners, colour and the CI refusal depend on what stdin/stderr are, so these tests
run ssoctl in a child process whose three streams are a pty (80 columns), against the sandbox.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SGR = re.compile(r"\x1b\[([0-9;]*)m")
ANSI_ANY = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def has_colour(raw: str) -> bool:
    """Any foreground/background colour code (NO_COLOR still allows bold and dim)."""
    codes = {int(c) for params in SGR.findall(raw) for c in params.split(";") if c}
    return any(30 <= c <= 49 or 90 <= c <= 107 for c in codes)


@dataclass
class Session:
    proc: subprocess.Popen[bytes]
    master: int
    seen: str = ""

    def read_until(self, pattern: str, timeout: float = 60) -> str:
        """Read the terminal until `pattern` (a regex over the text without escapes) appears."""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.plain):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{pattern!r} never appeared; the terminal showed:\n{self.plain}")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready and not self._read():
                raise AssertionError(f"ssoctl ended before {pattern!r}; the terminal showed:\n{self.plain}")
        return self.plain

    def _read(self) -> bool:
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.seen += chunk.decode(errors="replace")
        return bool(chunk)

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def finish(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                self._read()
        while self._drain():
            pass
        os.close(self.master)
        return self.proc.wait(timeout=5)

    def _drain(self) -> bool:
        ready, _, _ = select.select([self.master], [], [], 0.1)
        return bool(ready) and self._read()

    @property
    def plain(self) -> str:
        return ANSI_ANY.sub("", self.seen).replace("\r", "")


def start(args: list[str], env: dict[str, str], columns: int = 80) -> Session:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ssoctl", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(slave)
    return Session(proc, master)


@pytest.fixture
def term_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "COLUMNS", "LINES")}
    env.update(TERM="xterm-256color", SSOCTL_HOME=str(tmp_path / "home"), HOME=str(tmp_path))
    return env


def register_args(tmp_path: Path, *extra: str) -> list[str]:
    store = f"env-file:{tmp_path}/emnify.env"
    return ["azure", "register", "--portal", "emnify", "--sandbox", "--store", store, *extra]


def test_the_prompt_shows_its_choices_and_no_declines(tmp_path: Path, term_env: dict[str, str]) -> None:
    session = start(register_args(tmp_path), term_env)
    session.read_until(r"Apply these changes\? \[y/N\] ")
    session.type("n\n")
    assert session.finish() == 1
    assert "cancelled: nothing was changed" in session.plain
    assert not (tmp_path / "emnify.env").exists()


def test_yes_at_the_prompt_applies_and_shows_a_spinner_per_slow_step(
    tmp_path: Path, term_env: dict[str, str]
) -> None:
    session = start(register_args(tmp_path), term_env)
    session.read_until(r"\[y/N\] ")
    session.type("y\n")
    assert session.finish() == 0, session.plain
    text = session.plain
    for step in ("Signing in to Microsoft Graph…", "Reading emnify in tenant", "Applying the changes…"):
        assert step in text
    assert "Apply complete!" in text and "\x1b[?25l" in session.seen  # Rich hides the cursor while spinning
    assert has_colour(session.seen), "a terminal without NO_COLOR gets colour"


def test_ci_at_a_terminal_says_ci_is_set_and_shows_no_spinner(
    tmp_path: Path, term_env: dict[str, str]
) -> None:
    session = start(register_args(tmp_path), {**term_env, "CI": "true"})
    assert session.finish() == 1
    text = session.plain
    assert "CI is set" in text and "no terminal" not in text
    assert "pass --yes" in text
    assert "Signing in" not in text and "\x1b[?25l" not in session.seen


def test_no_color_at_a_terminal_has_no_colour(tmp_path: Path, term_env: dict[str, str]) -> None:
    session = start(register_args(tmp_path, "--plan"), {**term_env, "NO_COLOR": "1"})
    assert session.finish() == 0, session.plain
    assert "+ application" in session.plain
    assert not has_colour(session.seen), repr(session.seen[:400])


def test_portals_show_never_breaks_a_url_across_lines(term_env: dict[str, str]) -> None:
    session = start(["portals", "show", "emnify"], term_env, columns=50)
    assert session.finish() == 0
    lines = session.plain.splitlines()
    assert any("https://prod-e5.okta.com/oauth2/v1/authorize/callback" in line for line in lines)
    guide = [line for line in lines if line.startswith("Guide:")]
    assert guide and "https://docs.emnify.com/" in guide[0]
    # The narrow terminal still wraps prose under its column (a hanging indent).
    assert any(line.startswith(" " * 10) and line.strip() for line in lines)


@pytest.mark.parametrize("ci", [False, True], ids=["terminal", "ci"])
def test_read_only_commands_spin_at_a_terminal_only(term_env: dict[str, str], ci: bool) -> None:
    env = {**term_env, "CI": "true"} if ci else term_env
    session = start(["whoami", "--sandbox"], env)
    assert session.finish() == 0, session.plain
    spun = "Signing in and checking roles and permissions…" in session.plain
    assert spun is not ci and "Everything ssoctl may need is in place." in session.plain

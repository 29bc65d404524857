"""Rich consoles on the streams `Deps` chooses (by default the current stdout/stderr, so
CliRunner's capture works); tests can hand a Deps their own buffers instead.

Decoration degrades the way users expect: colour only at a terminal and never with `NO_COLOR`;
spinners only on a terminal's stderr and never with `CI` set; prompts show their choices.
"""

from __future__ import annotations

import contextlib
import sys
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console
from rich.text import Text
from rich.theme import Theme

THEME = Theme({"create": "green", "update": "yellow", "delete": "red", "none": "dim", "hint": "cyan"})


def console_on(stream: TextIO, *, no_color: bool = False) -> Console:
    return Console(file=stream, theme=THEME, highlight=False, soft_wrap=True, no_color=no_color or None)


def stdout_console() -> Console:
    return console_on(sys.stdout)


def stderr_console() -> Console:
    return console_on(sys.stderr)


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@dataclass
class Consoles:
    """A command's two outputs: data on `out` (a JSON document or the human result), everything
    else — notices, prompts, spinners, reminders — on `err`.

    `no_color` is `NO_COLOR` from the command's environment; `quiet_progress` is `CI`.
    """

    out_stream: TextIO
    err_stream: TextIO
    no_color: bool = False
    quiet_progress: bool = False

    def out(self) -> Console:
        return console_on(self.out_stream, no_color=self.no_color)

    def err(self) -> Console:
        return console_on(self.err_stream, no_color=self.no_color)

    def write(self, text: str) -> None:
        """Plain text on stdout, exactly as given (a secret for a pipe, a JSON document)."""
        self.out_stream.write(text)

    def note(self, text: str) -> None:
        """Plain text on stderr, one line."""
        self.err_stream.write(text + "\n")

    def ask_yes(self, question: str) -> bool:
        """Ask on stderr (stdout may be a JSON document); only y/yes applies. EOF raises EOFError.

        The prompt is plain text, not markup: Rich would read `[y/N]` as a style tag and drop it.
        """
        answer = self.err().input(Text(f"{question} [y/N] "))
        return answer.strip().lower() in ("y", "yes")

    @contextlib.contextmanager
    def progress(self, text: str) -> Iterator[None]:
        """A spinner on stderr while a slow step runs — only at a terminal and never in CI, so
        logs and pipes get no control characters. `text` is plain (no markup)."""
        if self.quiet_progress or not is_terminal(self.err_stream):
            yield
            return
        with self.err().status(Text(text), spinner="dots"):
            yield


def print_rows(console: Console, rows: Sequence[tuple[Text, Text]]) -> None:
    """Print (head, detail) rows. At a terminal a long detail wraps at spaces under its own column
    (a hanging indent) — a URL or path is never broken, so it copies whole; logs and pipes get one
    line per row, never cut."""
    for head, detail in rows:
        room = console.width - head.cell_len
        if not console.is_terminal or room < 20 or detail.cell_len <= room:
            console.print(head + detail)
            continue
        parts = textwrap.wrap(detail.plain, room, break_long_words=False, break_on_hyphens=False)
        for n, part in enumerate(parts):
            console.print((head if n == 0 else Text(" " * head.cell_len)) + Text(part))

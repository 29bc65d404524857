"""Rich consoles on the streams `Deps` chooses (by default the current stdout/stderr, so
CliRunner's capture works); tests can hand a Deps their own buffers instead."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console
from rich.theme import Theme

THEME = Theme({"create": "green", "update": "yellow", "delete": "red", "none": "dim", "hint": "cyan"})


def console_on(stream: TextIO) -> Console:
    return Console(file=stream, theme=THEME, highlight=False, soft_wrap=True)


def stdout_console() -> Console:
    return console_on(sys.stdout)


def stderr_console() -> Console:
    return console_on(sys.stderr)


@dataclass
class Consoles:
    """A command's two outputs: data on `out` (a JSON document or the human result), everything
    else — notices, prompts, reminders — on `err`."""

    out_stream: TextIO
    err_stream: TextIO

    def out(self) -> Console:
        return console_on(self.out_stream)

    def err(self) -> Console:
        return console_on(self.err_stream)

    def write(self, text: str) -> None:
        """Plain text on stdout, exactly as given (a secret for a pipe, a JSON document)."""
        self.out_stream.write(text)

    def note(self, text: str) -> None:
        """Plain text on stderr, one line."""
        self.err_stream.write(text + "\n")

    def ask_yes(self, question: str) -> bool:
        """Ask on stderr (stdout may be a JSON document); only y/yes applies. EOF raises EOFError."""
        answer = self.err().input(f"{question} [y/N] ")
        return answer.strip().lower() in ("y", "yes")

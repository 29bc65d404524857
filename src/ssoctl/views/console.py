"""Rich consoles bound to the current stdout/stderr (so CliRunner's capture works)."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.theme import Theme

THEME = Theme({"create": "green", "update": "yellow", "delete": "red", "none": "dim", "hint": "cyan"})


def stdout_console() -> Console:
    return Console(file=sys.stdout, theme=THEME, highlight=False, soft_wrap=True)


def stderr_console() -> Console:
    return Console(file=sys.stderr, theme=THEME, highlight=False, soft_wrap=True)


def ask_yes(question: str) -> bool:
    """Ask on stderr (stdout may be a JSON document); only y/yes applies. EOF raises EOFError."""
    answer = stderr_console().input(f"{question} [y/N] ")
    return answer.strip().lower() in ("y", "yes")

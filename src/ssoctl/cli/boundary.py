"""The one error boundary: known errors → `error: …` + hint and their exit code; bugs → exit 3.

With `--output json` the error is the JSON document on stdout. Tracebacks are never shown with
locals (tokens could sit in them); set SSOCTL_DEBUG=1 to see the plain traceback of a bug.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from enum import Enum

import typer

from ssoctl.errors import EXIT_BUG, EXIT_FAILED, DeclinedError, GraphError, SsoctlError


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


def _print_error(exc: SsoctlError, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        from ssoctl.views.json_view import dump, error_document

        dump(error_document(exc))
        return
    from rich.markup import escape

    from ssoctl.views.console import stderr_console

    err = stderr_console()
    text = str(exc) if isinstance(exc, GraphError) else exc.message
    err.print(f"[bold red]error:[/] {escape(text)}")
    if exc.hint:
        err.print(f"[hint]hint:[/] {escape(exc.hint)}")


# Which command body ran in this invocation, and how it printed: the root callback reads it when
# the command line closes, to print expiry reminders after a command (never after --help, which
# runs no body). None: no body ran, or the command shows expiries itself.
ran_body: ContextVar[OutputFormat | None] = ContextVar("ran_body", default=None)

# The raw arguments of this invocation, for errors found before a command parses its options
# (the root callback's SSOCTL_VERBOSE check): did it ask for `-o json`?
command_line: ContextVar[tuple[str, ...]] = ContextVar("command_line", default=())


# Options and variables whose value is a secret: a bug's traceback may quote it (in an exception
# message such as http.client's InvalidURL), so SSOCTL_DEBUG shows it as `<--notify>`.
SECRET_OPTIONS = ("--notify",)
SECRET_VARIABLES = ("SSOCTL_NOTIFY_URL", "SSOCTL_ACCESS_TOKEN", "AZURE_CLIENT_SECRET")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@'\"]*@")


def redacted_traceback(exc: BaseException) -> str:
    """The plain traceback of a bug, with the secrets ssoctl knows about replaced, and any
    `user:password@` in a URL blanked."""
    text = "".join(traceback.format_exception(exc))
    argv = list(command_line.get()) or sys.argv[1:]
    secrets: dict[str, str] = {}
    for i, arg in enumerate(argv):
        for option in SECRET_OPTIONS:
            if arg == option and i + 1 < len(argv):
                secrets[argv[i + 1]] = f"<{option}>"
            elif arg.startswith(option + "="):
                secrets[arg.split("=", 1)[1]] = f"<{option}>"
    for name in SECRET_VARIABLES:
        if os.environ.get(name):
            secrets[os.environ[name]] = f"<${name}>"
    for value, shown in sorted(secrets.items(), key=lambda item: -len(item[0])):
        if len(value.strip()) >= 4:  # a too-short value would blank ordinary words
            text = text.replace(value, shown).replace(value.strip(), shown)
    return _USERINFO.sub(r"\1***@", text)


def run_guarded(output: OutputFormat, body: Callable[[], int], *, reminders: bool = True) -> None:
    """Run a command body and turn its outcome into an exit code (typer.Exit).

    `reminders=False` for a command that already shows every expiry (`secrets status`)."""
    ran_body.set(output if reminders else None)
    try:
        code = body()
    except SsoctlError as exc:
        _print_error(exc, output)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        if output is OutputFormat.json:  # a script reading stdout still gets one document
            from ssoctl.views.json_view import dump, error_document

            stopped = SsoctlError(
                "interrupted (Ctrl-C or SIGINT) before the command finished",
                hint="run the same command again: it changes only what is still missing",
                code="interrupted",
            )
            dump(error_document(stopped))
        raise typer.Exit(130) from None
    except (EOFError, typer.Abort):  # Ctrl-D (or Ctrl-C in a Typer prompt) at a confirmation
        _print_error(DeclinedError("cancelled: nothing was changed"), output)
        raise typer.Exit(EXIT_FAILED) from None
    except typer.Exit:
        raise
    except Exception as exc:  # the boundary: anything else is a bug in ssoctl
        bug = SsoctlError(
            f"unexpected {type(exc).__name__} inside ssoctl (a bug)",
            hint="please report it; rerun with SSOCTL_DEBUG=1 to see the traceback",
            code="bug",
        )
        if os.environ.get("SSOCTL_DEBUG") == "1":
            sys.stderr.write(redacted_traceback(exc))
        _print_error(bug, output)
        raise typer.Exit(EXIT_BUG) from None
    raise typer.Exit(code)


def wants_json(argv: list[str]) -> bool:
    """Did the command line ask for `--output json`? (Read raw: parsing is what failed.)"""
    for i, arg in enumerate(argv):
        if arg in ("-o", "--output") and i + 1 < len(argv) and argv[i + 1] == "json":
            return True
        if arg in ("--output=json", "-ojson"):
            return True
    return False


def report_parse_error(exc: typer.TyperException, argv: list[str], root: object = None) -> None:
    """Errors the option parser finds (unknown option, bad value, missing --portal) get the same
    shape as ssoctl's own: one `error:` line naming the fix, or the JSON error document."""
    from ssoctl.cli.parse_errors import command_at, describe, output_before_command

    ctx = getattr(exc, "ctx", None)
    where, command = command_at(root, argv)
    if ctx is not None:
        where, command = ctx.command_path, ctx.command
    error = describe(exc, where, command)
    if type(exc).__name__ == "NoSuchOption" and " " not in where:  # `ssoctl -o json secrets status`
        error = output_before_command(root, argv) or error
    _print_error(error, OutputFormat.json if wants_json(argv) else OutputFormat.table)

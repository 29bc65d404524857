"""Rich `--help` without `typer.rich_utils`.

Typer's Rich help module imports rich.markdown (markdown-it) and rich.traceback (rich.pretty,
attrs) up front: ~100 ms on every `--help` and every completion TAB, for features ssoctl does not
use. This renderer draws the same layout (usage, help text, Options and Commands panels) with
the light parts of Rich, keeping `ssoctl --help` near the cost of importing typer and rich.
`App` is a Typer whose groups and commands use it.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup
from typer.models import CommandFunctionType


def _console() -> Any:
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, soft_wrap=False)


def _help_text(text: str | None) -> list[str]:
    return [p for p in inspect.cleandoc(text or "").split("\n\n") if p.strip()]


def _option_row(param: Any, ctx: Any) -> tuple[str, str, str, str]:
    """(long names, short names, metavar, help with [default]/[required]) for one parameter."""
    from rich.markup import escape

    names = [*param.opts, *getattr(param, "secondary_opts", [])]
    if isinstance(param, TyperArgument):
        return (param.name.upper(), "", "", param.help or "")
    longs = ",".join(n for n in names if n.startswith("--"))
    shorts = ",".join(n for n in names if not n.startswith("--"))
    flag = getattr(param, "is_flag", False)
    metavar = param.metavar if param.metavar is not None else ("" if flag else param.type.name.upper())
    extras = []
    default = param.default
    if param.show_default and not flag and default not in (None, "", (), []) and not callable(default):
        shown = getattr(default, "value", default)
        extras.append(f"[dim]\\[default: {escape(str(shown))}][/]")
    if param.required:
        extras.append("[red]\\[required][/]")
    help_text = " ".join([param.help or "", *extras]).strip()
    return longs, shorts, metavar, help_text


def render_help(command: Any, ctx: Any) -> None:
    from rich import box
    from rich.padding import Padding
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    out = _console()
    usage = " ".join(command.collect_usage_pieces(ctx))
    out.print(
        Padding(
            Text.from_markup(f"[bold]Usage:[/] {ctx.command_path} {usage}", overflow="fold"), (1, 1, 0, 1)
        )
    )
    for paragraph in _help_text(command.help):
        out.print(Padding(Text.from_markup(paragraph), (1, 1, 0, 1)))
    out.print()
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    arguments = [p for p in params if isinstance(p, TyperArgument)]
    for title, group in (("Arguments", arguments), ("Options", [p for p in params if p not in arguments])):
        if not group:
            continue
        table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1), expand=True)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column(style="bold green", no_wrap=True)
        table.add_column(style="bold yellow", no_wrap=True)
        table.add_column(ratio=1)
        for param in group:
            longs, shorts, metavar, help_text = _option_row(param, ctx)
            table.add_row(longs, shorts, metavar, Text.from_markup(help_text))
        out.print(Panel(table, title=title, title_align="left", border_style="dim", box=box.ROUNDED))
    if isinstance(command, TyperGroup):
        rows = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1), expand=True)
        rows.add_column(style="bold cyan", no_wrap=True)
        rows.add_column(ratio=1)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                rows.add_row(name, Text.from_markup(_help_text(sub.help)[0] if sub.help else ""))
        out.print(Panel(rows, title="Commands", title_align="left", border_style="dim", box=box.ROUNDED))


def _flags_default_false(command: Any, ctx: Any) -> None:
    """Give unset boolean flags (help, completion) the default False instead of None.

    Typer skips coercion for values that are already bools, but coerces None through a Pydantic
    TypeAdapter: for `ssoctl azure register --help` that alone imported Pydantic's validation
    machinery (~120 ms) just to turn the parent's unset `--help` into False.
    """
    for param in command.get_params(ctx):
        if getattr(param, "is_flag", False) and param.default is None:
            param.default = False


class _FastHelp:
    """Mixed into Typer's command classes: our help renderer, and no Pydantic for unset flags."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _flags_default_false(self, ctx)
        return super().parse_args(ctx, args)  # type: ignore[misc,no-any-return]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        render_help(self, ctx)


class HelpCommand(_FastHelp, TyperCommand):
    pass


class HelpGroup(_FastHelp, TyperGroup):
    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run non-standalone so parse errors reach `boundary.report_parse_error` (JSON when asked)."""
        from ssoctl.cli.boundary import command_line, report_parse_error

        argv = list(sys.argv[1:] if args is None else args)
        command_line.set(tuple(argv))
        run = functools.partial(
            super().main,
            argv,
            prog_name,
            complete_var,
            standalone_mode=False,
            windows_expand_args=windows_expand_args,
            **extra,
        )
        if not standalone_mode:
            return run()
        try:
            code = run()
        except typer.TyperException as exc:
            # No arguments: the help was already printed (as Typer does, without an error line).
            if type(exc).__name__ != "NoArgsIsHelpError":
                report_parse_error(exc, argv, self)
            sys.exit(exc.exit_code)
        except typer.Abort:
            sys.stderr.write("Aborted.\n")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _plain_help(text: str) -> str:
    """A completion item's description: markup removed, on one line.

    Typer renders these through `typer.rich_utils` (the ~100 ms import this module avoids) at 80
    columns, so zsh and fish menus got descriptions broken over lines on every TAB.
    """
    from rich.markup import render

    return " ".join(render(text).plain.split())


def _light_completion() -> None:
    import typer._completion_classes as completion_classes

    completion_classes._sanitize_help_text = _plain_help


_light_completion()


class App(typer.Typer):
    """A Typer whose groups and commands render help with `render_help`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("rich_markup_mode", "rich")
        kwargs.setdefault("pretty_exceptions_enable", False)
        kwargs.setdefault("no_args_is_help", True)
        kwargs.setdefault("context_settings", {"help_option_names": ["-h", "--help"]})
        super().__init__(cls=HelpGroup, **kwargs)

    def command(
        self, *args: Any, cls: Any = None, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        return super().command(*args, cls=cls or HelpCommand, **kwargs)

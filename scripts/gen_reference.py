"""Write docs/reference.md: every ssoctl command and option, taken from the CLI's own help.

    python scripts/gen_reference.py          # rewrite docs/reference.md
    python scripts/gen_reference.py --check  # exit 1 if docs/reference.md is stale (tests run this)

It walks the Click command tree Typer builds from `ssoctl.cli.app` and renders each command's help
text, usage line and parameters (names, value placeholder, default, required) as Markdown, so the
reference cannot drift from `--help`: a new command or option shows up here on the next run, and
the test fails until it does.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.markup import render

REPO = Path(__file__).resolve().parent.parent
TARGET = REPO / "docs" / "reference.md"

HEADER = """# Command reference

Every command and option of ssoctl, generated from the CLI's own help by
`python scripts/gen_reference.py` (a test fails when this page is stale). `ssoctl COMMAND --help`
shows the same at a terminal. For what the output and exit codes mean, see
[Commands and output](usage.md).
"""


def plain(text: str | None) -> str:
    """Help text is Rich markup (`\\[env: X]`, `[bold]…[/]`): the words only."""
    return render(inspect.cleandoc(text or "")).plain


def commands(command: Any, ctx: Any, path: list[str]) -> Iterator[tuple[list[str], Any, Any]]:
    """Every command below `command`, depth first, in the order `--help` lists them."""
    yield path, command, ctx
    if isinstance(command, typer.core.TyperGroup):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            sub_ctx = typer.Context(sub, info_name=name, parent=ctx)
            yield from commands(sub, sub_ctx, [*path, name])


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _option_row(param: Any) -> str:
    names = ", ".join(f"`{n}`" for n in [*param.opts, *getattr(param, "secondary_opts", [])])
    flag = getattr(param, "is_flag", False)
    metavar = "" if flag else (param.metavar or param.name.upper())
    default = param.default
    notes = []
    if param.required:
        notes.append("required")
    elif param.show_default and not flag and default not in (None, "", (), []) and not callable(default):
        notes.append(f"default: `{getattr(default, 'value', default)}`")
    help_text = plain(param.help)
    if notes:
        help_text = f"{help_text} ({'; '.join(notes)})" if help_text else "; ".join(notes)
    value = f"`{metavar}`" if metavar else ""
    return f"| {names} | {value} | {_cell(help_text)} |"


def section(path: list[str], command: Any, ctx: Any) -> list[str]:
    title = " ".join(["ssoctl", *path])
    lines = [f"## `{title}`", ""]
    help_text = plain(command.help)
    if help_text:
        paragraphs = help_text.split("\n\n")
        lines += [paragraphs[0], ""]
        rest = [p for p in paragraphs[1:] if p.strip()]
        # Examples and notes keep their line breaks, as a code block.
        if rest:
            lines += ["```text", *"\n\n".join(rest).splitlines(), "```", ""]
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines += ["```text", f"{title} {usage}".rstrip(), "```", ""]
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    arguments = [p for p in params if p.param_type_name == "argument"]
    options = [p for p in params if p.param_type_name != "argument"]
    if arguments:
        lines += ["| argument | help |", "| --- | --- |"]
        lines += [f"| `{p.metavar or p.name.upper()}` | {_cell(plain(p.help))} |" for p in arguments]
        lines.append("")
    if options:
        lines += ["| option | value | help |", "| --- | --- | --- |"]
        lines += [_option_row(p) for p in options]
        lines.append("")
    if isinstance(command, typer.core.TyperGroup):
        subs = [(n, command.get_command(ctx, n)) for n in command.list_commands(ctx)]
        lines += ["| command | what it does |", "| --- | --- |"]
        for name, sub in subs:
            if sub is not None and not sub.hidden:
                anchor = " ".join([title, name])
                first = plain(sub.help).split("\n\n")[0].replace("\n", " ")
                lines.append(f"| [`{anchor}`](#{_anchor(anchor)}) | {_cell(first)} |")
        lines.append("")
    return lines


def _anchor(title: str) -> str:
    """MkDocs' heading id for `## \\`ssoctl azure register\\``: lower case, words joined by '-'."""
    return "-".join(title.lower().split())


def generate() -> str:
    from ssoctl.cli import app

    root = typer.main.get_command(app)
    ctx = typer.Context(root, info_name="ssoctl")
    lines = [HEADER]
    for path, command, command_ctx in commands(root, ctx, []):
        lines += section(path, command, command_ctx)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/reference.md is stale")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print("docs/reference.md is stale: run `python scripts/gen_reference.py`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

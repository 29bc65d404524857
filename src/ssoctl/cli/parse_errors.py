"""The option parser's errors in ssoctl's own words: what was wrong and the fix.

Click and Pydantic (under Typer) word their errors for programmers ("Input should be a valid
integer, unable to parse string as an integer", "Missing option '--portal' / '-p'"). Here each kind
becomes one `error:` line that names the option and the value given, and a hint that shows a
working example taken from the option itself (its metavar, default or help).
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from ssoctl.errors import UsageError

# Typer lists every close match ("Did you mean 'register', 'unregister'?"): the first is the closest.
_NO_SUCH_COMMAND = re.compile(
    r"No such command '(?P<name>[^']*)'\.(?: Did you mean '(?P<guess>[^']*)'(?:, '[^']*')*\?)?"
)
_EXTRA_ARGS = re.compile(r"Got unexpected extra argument(?:\(s\)|s)? \((?P<args>.*)\)")
# The root's own options, which a user may well type after the command.
ROOT_OPTIONS = frozenset({"--verbose", "-v", "--version"})
_NEEDS_VALUE = re.compile(r"Option '(?P<name>[^']+)' requires (?:an argument|\d+ arguments)")


def _names(param: Any) -> tuple[str, str]:
    """(how the user writes it, the placeholder of its value): ('--secret-days', 'DAYS')."""
    if getattr(param, "param_type_name", "") == "argument":
        metavar = param.metavar or (param.name or "").upper()
        return metavar, metavar
    opts = sorted(getattr(param, "opts", []), key=len, reverse=True)
    return (opts[0] if opts else f"--{param.name}"), (param.metavar or "VALUE")


def _choices(metavar: str) -> list[str]:
    """`table|json` → ['table', 'json']; a plain placeholder (`DAYS`) has no choices."""
    return metavar.split("|") if "|" in metavar else []


def _example(param: Any, flag: str, metavar: str) -> str:
    """A value that works: the first choice, else the default, else the placeholder."""
    choices = _choices(metavar)
    default = getattr(param, "default", None)
    shown = getattr(default, "value", default)
    value = choices[0] if choices else (str(shown) if shown not in (None, "", False, (), []) else metavar)
    return value if getattr(param, "param_type_name", "") == "argument" else f"{flag} {value}"


def _given(exc: Any) -> object:
    """The raw value the user typed, when the converter kept it (Pydantic's `input`)."""
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        found = errors()
        if found and "input" in found[0]:
            return found[0]["input"]
    return None


def _expected(exc: Any, metavar: str) -> str:
    cause = exc.__cause__
    kinds = {e.get("type", "") for e in cause.errors()} if callable(getattr(cause, "errors", None)) else set()
    if choices := _choices(metavar):
        return "one of " + ", ".join(choices)
    if any(k.startswith("int") for k in kinds):
        return "a whole number"
    if any(k.startswith(("float", "decimal")) for k in kinds):
        return "a number"
    if any(k.startswith("bool") for k in kinds):
        return "true or false"
    return f"a valid {metavar}"


def _help(where: str) -> str:
    return f"see `{where} --help`"


def _option_named(command: Any, name: str) -> Any:
    for param in getattr(command, "params", []):
        if name in getattr(param, "opts", []) or name in getattr(param, "secondary_opts", []):
            return param
    return None


def _reads_token(command: Any) -> bool:
    """Does the command take a secret token from stdin (`--token-stdin`), never from argv?"""
    return _option_named(command, "--token-stdin") is not None


def _token_on_command_line(where: str, how: str) -> UsageError:
    """A token typed on the command line: refused without repeating it, with the way to pipe it."""
    return UsageError(
        f"{where} takes the token only from stdin or a hidden prompt, not {how} "
        "(a command line shows in `ps` and shell history)",
        hint=f'pipe it in: printf %s "$FD_TOKEN" | {where} --portal federated-directory --token-stdin',
    )


def describe(exc: Any, where: str, command: Any) -> UsageError:
    """The UsageError (exit 2) for one of the parser's exceptions.

    `where` is the command path (`ssoctl azure register`), `command` the Click command it names
    (None when not known); both come from the exception's context or from the command line.
    """
    kind = type(exc).__name__
    param = getattr(exc, "param", None)
    if kind == "MissingParameter" and param is not None:
        flag, metavar = _names(param)
        what = f"{where} needs {flag}" if param.param_type_name == "argument" else f"{flag} is required"
        about = f" — {param.help.rstrip('.')}" if getattr(param, "help", None) else ""
        return UsageError(what, hint=f"add {_example(param, flag, metavar)}{about}")
    if kind == "BadParameter" and param is not None:
        flag, metavar = _names(param)
        given = _given(exc)
        shown = f" {given!r}" if given is not None else ""
        return UsageError(
            f"{flag}{shown} is not {_expected(exc, metavar)}",
            hint=f"for example {_example(param, flag, metavar)}; {_help(where)}",
        )
    if kind == "NoSuchOption" and "token" in str(exc.option_name).lower() and _reads_token(command):
        return _token_on_command_line(where, f"as {exc.option_name}")
    if kind == "NoSuchOption":
        option = exc.option_name
        guesses = sorted(getattr(exc, "possibilities", None) or [])
        hint = f"did you mean {' or '.join(guesses)}? {_help(where)}" if guesses else _help(where)
        if option in ROOT_OPTIONS and " " in where:  # `ssoctl azure status --verbose`
            first, rest = where.split(" ", 1)
            hint = f"{option} goes before the command: {first} {option} {rest} …"
        return UsageError(f"{where} has no option {option}", hint=hint)
    message = str(getattr(exc, "message", "") or exc)
    if match := _NO_SUCH_COMMAND.match(message):
        guess = match["guess"]
        hint = f"did you mean `{where} {guess}`?" if guess else _help(where)
        return UsageError(f"{where} has no command {match['name']!r}", hint=hint)
    if match := _NEEDS_VALUE.match(message):
        flag = match["name"]
        option = _option_named(command, flag)
        if option is not None:
            _, metavar = _names(option)
            return UsageError(f"{flag} needs a value", hint=f"for example {_example(option, flag, metavar)}")
        return UsageError(f"{flag} needs a value", hint=_help(where))
    if (match := _EXTRA_ARGS.match(message)) and _reads_token(command):
        return _token_on_command_line(where, "as an argument")  # never echoed: it may be the token
    if match := _EXTRA_ARGS.match(message):
        return UsageError(
            f"{where} does not take the extra argument(s) {match['args']!r}: every value belongs to an option",
            hint=f"write the option before its value and quote values with spaces (--name 'My App'); {_help(where)}",
        )
    return UsageError(message.rstrip("."), hint=_help(where))


def command_at(root: Any, argv: list[str]) -> tuple[str, Any]:
    """(`ssoctl azure register`, its command) for a command line, following subcommand names."""
    path, command = ["ssoctl"], root
    for arg in argv:
        sub = getattr(command, "commands", {}).get(arg)
        if sub is None:
            break
        path.append(arg)
        command = sub
    return " ".join(path), command


OUTPUT_OPTIONS = ("-o", "--output")


def output_before_command(root: Any, argv: list[str]) -> UsageError | None:
    """`ssoctl -o json secrets status`: -o/--output belongs to each command, not to ssoctl, so the
    error says where it goes and shows the corrected command line (None: not this mistake)."""
    moved: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv) and argv[i].startswith("-"):  # the options before the command
        arg = argv[i]
        if not moved and arg in OUTPUT_OPTIONS and i + 1 < len(argv):
            moved, i = [arg, argv[i + 1]], i + 2
        elif not moved and (arg.startswith("--output=") or (arg.startswith("-o") and len(arg) > 2)):
            moved, i = [arg], i + 1
        else:
            rest, i = [*rest, arg], i + 1
    if not moved:
        return None
    command, path = root, list(rest)
    for arg in argv[i:]:
        sub = getattr(command, "commands", {}).get(arg)
        if sub is None:
            break
        path.append(arg)
        command = sub
    if len(path) == len(rest) or getattr(command, "commands", None):
        return None  # no command after it, or only a group (`ssoctl -o json secrets`)
    fixed = ["ssoctl", *path, *moved, *argv[i + len(path) - len(rest) :]]
    for j, arg in enumerate(fixed):  # a webhook URL is a secret: never echoed
        if fixed[j - 1] == "--notify":
            fixed[j] = "URL"
        elif arg.startswith("--notify="):
            fixed[j] = "--notify=URL"
    return UsageError(
        "-o/--output goes after the command, not before it (each command has its own)",
        hint=f"run: {shlex.join(fixed)}",
    )

"""The Typer app: wiring only. Parse → options → run(options, deps) → view → exit code.

Start-up stays fast (`--help` and shell completion run this on every TAB): only typer, rich and
ssoctl's light modules load here; Graph, azure-identity and keyring load inside commands.
"""

from __future__ import annotations

import typer

from ssoctl import __version__
from ssoctl.cli import apply, azure, portals, sandbox, secrets, signin
from ssoctl.cli.boundary import OutputFormat, _print_error, command_line, ran_body, wants_json
from ssoctl.cli.help import App

app = App(
    name="ssoctl",
    help=(
        "Set up single sign-on between Microsoft Entra ID and SaaS portals: one reviewable, "
        "repeatable command per portal guide, with the client secret kept safe and alive.\n\n"
        "Try it without a tenant: [bold]ssoctl azure register --portal emnify --sandbox --yes[/]"
    ),
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(azure.app, name="azure")
app.add_typer(portals.app, name="portals")
app.add_typer(secrets.app, name="secrets")
app.add_typer(sandbox.app, name="sandbox")
app.command("login", help=signin.LOGIN_HELP)(signin.login)
app.command("logout")(signin.logout)
app.command("whoami", help=signin.WHOAMI_HELP)(signin.whoami)
app.command("apply", help=apply.APPLY_HELP)(apply.apply)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ssoctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", metavar="", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help=(
            "Log every HTTP request ssoctl sends (Graph, token, portal APIs, webhook) to stderr: method, "
            "URL, status, time, Graph's request-id, retry attempt. Secrets and tokens are never logged. "
            "Example: [bold]ssoctl -v azure status --portal emnify[/] \\[env: SSOCTL_VERBOSE=1]"
        ),
    ),
) -> None:
    """ssoctl: Entra ID single sign-on for SaaS portals."""
    ran_body.set(None)
    ctx.call_on_close(lambda: _remind(ctx))
    _start_verbose(ctx, verbose)


def _start_verbose(ctx: typer.Context, flag: bool) -> None:
    """--verbose / SSOCTL_VERBOSE: the request log (ssoctl.verbose, imported only when on)."""
    from ssoctl.cli.options import deps_from
    from ssoctl.config import strict_env_flag
    from ssoctl.errors import UsageError

    deps = deps_from(ctx)
    try:
        on = strict_env_flag(deps.env, "SSOCTL_VERBOSE") or flag
    except UsageError as exc:
        _print_error(exc, OutputFormat.json if wants_json(list(command_line.get())) else OutputFormat.table)
        raise typer.Exit(exc.exit_code) from None
    if on:
        from ssoctl import verbose

        verbose.enable(deps.stderr)
        ctx.call_on_close(verbose.disable)


def _remind(ctx: typer.Context) -> None:
    """After a command body ran: expiry reminders on stderr (commands/reminders.py decides)."""
    output = ran_body.get()
    if output is None:
        return  # --help, completion, a parse error, or a command that shows expiries itself
    from ssoctl.cli.options import deps_from
    from ssoctl.commands.reminders import print_reminders

    print_reminders(deps_from(ctx), json_output=output is OutputFormat.json)


def main() -> None:
    app()

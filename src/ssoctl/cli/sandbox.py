"""`ssoctl sandbox serve|reset`: the built-in local tenant, standalone."""

from __future__ import annotations

from typing import Annotated

import typer

from ssoctl.cli import options as opt
from ssoctl.cli.boundary import OutputFormat, run_guarded
from ssoctl.cli.help import App

app = App(
    help="The built-in local Graph tenant on 127.0.0.1 (what --sandbox uses), for trying ssoctl without Azure.",
    no_args_is_help=True,
)


@app.command("serve")
def serve(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", metavar="PORT", help="Port on 127.0.0.1 (0 picks a free one).")
    ] = 8765,
) -> None:
    """Run the sandbox tenant in the foreground until Ctrl-C.

    Point ssoctl (or any Graph client) at it with the two variables it prints.
    """
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.errors import UsageError
        from ssoctl.sandbox import Faults, serve_forever

        if not 0 <= port <= 65535:
            raise UsageError(f"--port {port} is not a TCP port", hint="use 0..65535")

        def ready(server: object) -> None:
            url, token = server.url, server.token  # type: ignore[attr-defined]
            typer.echo(f"sandbox tenant {server.tenant_id} listening on {url}", err=True)  # type: ignore[attr-defined]
            typer.echo("In another shell:", err=True)
            typer.echo(f"  export SSOCTL_GRAPH_ENDPOINT={url}", err=True)
            typer.echo(f"  export SSOCTL_ACCESS_TOKEN={token}", err=True)
            typer.echo("Press Ctrl-C to stop.", err=True)

        serve_forever(deps.home, port, Faults.from_env(deps.env), on_ready=ready)
        return 0

    run_guarded(OutputFormat.table, body)


@app.command("reset")
def reset(ctx: typer.Context, yes: opt.Yes = False) -> None:
    """Delete the sandbox tenant: its apps, request log, and the stored credentials and records of its registrations."""
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.commands.sandbox import reset_sandbox_tenant
        from ssoctl.errors import DeclinedError

        consoles = deps.consoles()
        if not yes:
            if not deps.can_prompt():
                raise DeclinedError("sandbox reset deletes stored sandbox credentials", hint="pass --yes")
            if not consoles.ask_yes("Delete the sandbox tenant and its stored credentials?"):
                raise DeclinedError("cancelled: nothing was deleted")

        result = reset_sandbox_tenant(deps)
        if result.tenant_id is None:
            consoles.note("sandbox reset: there was no sandbox tenant")
            return 0
        forgotten = ", ".join(result.forgotten) or "no registrations"
        consoles.note(f"sandbox reset: tenant {result.tenant_id} deleted ({forgotten} forgotten)")
        for warning in result.warnings:
            consoles.note(f"warning: {warning}")
        return 0

    run_guarded(OutputFormat.table, body)

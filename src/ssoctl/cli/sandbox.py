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
    fd_port: Annotated[
        int | None,
        typer.Option(
            "--fd-port",
            metavar="PORT",
            help="Port on 127.0.0.1 for the fake Federated Directory SCIM API. \\[default: --port + 1, or a free one with --port 0]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the sandbox tenant (and a fake Federated Directory SCIM API) in the foreground until Ctrl-C.

    Point ssoctl (or any Graph client) at it with the two variables it prints; the fake Federated
    Directory's Tenant URL and a fresh directory key's access token are printed too, for
    `ssoctl azure provision --portal federated-directory --sandbox --token-stdin`.
    """
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.errors import UsageError
        from ssoctl.sandbox import Faults, serve_forever
        from ssoctl.sandbox.fd_scim import start_fake_federated_directory

        directory_port = fd_port if fd_port is not None else (port + 1 if port else 0)
        for name, value in (("--port", port), ("--fd-port", directory_port)):
            if not 0 <= value <= 65535:
                raise UsageError(f"{name} {value} is not a TCP port", hint="use 0..65535")
        try:
            directory = start_fake_federated_directory(deps.home, port=directory_port)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on 127.0.0.1:{directory_port}: {exc.strerror or exc}",
                hint="choose another --fd-port, or --fd-port 0 for any free one",
            ) from None
        fd_token = directory.issue_key()

        def ready(server: object) -> None:
            url, token = server.url, server.token  # type: ignore[attr-defined]
            typer.echo(f"sandbox tenant {server.tenant_id} listening on {url}", err=True)  # type: ignore[attr-defined]
            typer.echo("In another shell:", err=True)
            typer.echo(f"  export SSOCTL_GRAPH_ENDPOINT={url}", err=True)
            typer.echo(f"  export SSOCTL_ACCESS_TOKEN={token}", err=True)
            # the sandbox is its own login host too: `azure verify` / `secrets rotate` ask it for tokens
            typer.echo(f"  export AZURE_AUTHORITY_HOST={url}", err=True)
            typer.echo(
                f"Fake Federated Directory (SCIM) at {directory.url}; a directory key's access token:",
                err=True,
            )
            typer.echo(f"  {fd_token}", err=True)
            typer.echo("Press Ctrl-C to stop.", err=True)

        try:
            serve_forever(deps.home, port, Faults.from_env(deps.env), on_ready=ready)
        finally:
            directory.stop()
        return 0

    run_guarded(OutputFormat.table, body)


@app.command("reset")
def reset(ctx: typer.Context, yes: opt.Yes = False) -> None:
    """Delete the sandbox tenant: its apps, request log, and the stored credentials and records of its registrations."""
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.commands.confirm import confirm_change
        from ssoctl.commands.sandbox import reset_sandbox_tenant

        consoles = deps.consoles()
        confirm_change(
            deps,
            consoles.ask_yes,
            "Delete the sandbox tenant and its stored credentials?",
            what="delete the sandbox tenant and its stored credentials",
            yes=yes,
            hint="pass --yes: ssoctl sandbox reset --yes",
            declined="cancelled: nothing was deleted",
        )

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

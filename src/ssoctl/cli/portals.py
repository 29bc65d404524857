"""`ssoctl portals list|show`: the portal profiles and the app registration each one makes."""

from __future__ import annotations

from typing import Annotated

import typer

from ssoctl.cli import options as opt
from ssoctl.cli.boundary import OutputFormat, run_guarded
from ssoctl.cli.help import App

app = App(help="The portals ssoctl knows and what each one needs in Entra.", no_args_is_help=True)


@app.command("list")
def list_portals(ctx: typer.Context, output: opt.Output = OutputFormat.table) -> None:
    """List the portal profiles."""
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.portals import PORTALS
        from ssoctl.views.portals import print_portal_list

        print_portal_list(list(PORTALS.values()), deps.consoles(), as_json=output is OutputFormat.json)
        return 0

    run_guarded(output, body)


@app.command("show")
def show_portal(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="Portal name, e.g. emnify (see `ssoctl portals list`).",
            show_default=False,
            autocompletion=opt.complete_portal,
        ),
    ],
    display_name: opt.Name = None,
    output: opt.Output = OutputFormat.table,
) -> None:
    """Show the app registration a portal needs, exactly as ssoctl will create it."""
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.portals import PortalOptions, get_portal
        from ssoctl.views.portals import print_portal

        portal = get_portal(name)
        spec = portal.build_spec(PortalOptions(display_name=display_name), for_display=True)
        print_portal(portal, spec, deps.consoles(), as_json=output is OutputFormat.json)
        return 0

    run_guarded(output, body)

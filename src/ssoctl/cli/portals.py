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
    """List the portal profiles: built-in ones and yours (SSOCTL_HOME/portals/*.toml)."""
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.portals import all_portals
        from ssoctl.views.portals import print_portal_list

        print_portal_list(all_portals(deps.home), deps.consoles(), as_json=output is OutputFormat.json)
        return 0

    run_guarded(output, body)


SHOW_HELP = """Show the app registration a portal needs, exactly as ssoctl will create it.

Examples:

  ssoctl portals show emnify

  ssoctl portals show emnify --as-toml > ~/.config/ssoctl/portals/my-portal.toml

  ssoctl portals show --portal-file ./my-portal.toml -o json
"""


@app.command("show", help=SHOW_HELP)
def show_portal(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="NAME",
            help="Portal name, e.g. emnify (see `ssoctl portals list`).",
            show_default=False,
            autocompletion=opt.complete_portal,
        ),
    ] = None,
    portal_file: opt.PortalFile = None,
    display_name: opt.Name = None,
    as_toml: Annotated[
        bool,
        typer.Option("--as-toml", metavar="", help="Print the profile as TOML to copy and adapt."),
    ] = False,
    output: opt.Output = OutputFormat.table,
) -> None:
    deps = opt.deps_from(ctx)

    def body() -> int:
        from pathlib import Path

        from ssoctl.errors import UsageError
        from ssoctl.portals import PortalOptions, find_portal
        from ssoctl.portals.profile import to_toml
        from ssoctl.views.portals import print_portal

        portal = find_portal(
            name,
            home=deps.home,
            portal_file=Path(portal_file).expanduser() if portal_file else None,
            missing=UsageError(
                "ssoctl portals show needs NAME",
                hint="e.g. `ssoctl portals show emnify` (names: `ssoctl portals list`), or --portal-file PATH",
            ),
        )
        consoles = deps.consoles()
        if as_toml:
            consoles.out_stream.write(to_toml(portal))
            return 0
        spec = portal.build_spec(PortalOptions(display_name=display_name), for_display=True)
        print_portal(portal, spec, consoles, as_json=output is OutputFormat.json)
        return 0

    run_guarded(output, body)

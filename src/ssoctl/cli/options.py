"""Options shared by several commands, declared once so names and help stay identical.

Help strings are Rich markup: a literal `[` is written `\\[`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ssoctl.cli.boundary import OutputFormat
from ssoctl.deps import Deps

Output = Annotated[
    OutputFormat,
    typer.Option(
        "--output",
        "-o",
        metavar="table|json",
        help="table for people, json for scripts (stdout holds one JSON document).",
    ),
]
Tenant = Annotated[
    str | None,
    typer.Option(
        "--tenant",
        metavar="TENANT",
        help="Tenant ID or verified domain to work in. \\[env: AZURE_TENANT_ID]",
        show_default=False,
    ),
]
Cloud = Annotated[
    str | None,
    typer.Option(
        "--cloud",
        metavar="CLOUD",
        help="global, usgov, usgov-dod or china. \\[env: SSOCTL_CLOUD] \\[default: global]",
        show_default=False,
    ),
]
Sandbox = Annotated[
    bool,
    typer.Option(
        "--sandbox",
        metavar="",
        help="Work against the built-in local tenant on 127.0.0.1 instead of Microsoft's. \\[env: SSOCTL_SANDBOX=1]",
    ),
]
Yes = Annotated[
    bool, typer.Option("--yes", "-y", metavar="", help="Apply without asking (required without a terminal).")
]
Portal = Annotated[
    str,
    typer.Option(
        "--portal", "-p", metavar="PORTAL", help="Portal profile, e.g. emnify (see `ssoctl portals list`)."
    ),
]
Name = Annotated[
    str | None,
    typer.Option(
        "--name",
        metavar="NAME",
        help="Display name of the app registration. \\[default: the portal's name]",
        show_default=False,
    ),
]


def deps_from(ctx: typer.Context) -> Deps:
    """The Deps given by tests (`obj=`), or the production one."""
    return ctx.obj if isinstance(ctx.obj, Deps) else Deps()

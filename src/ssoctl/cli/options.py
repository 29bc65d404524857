"""Options shared by several commands, declared once so names and help stay identical.

Help strings are Rich markup: a literal `[` is written `\\[`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from ssoctl.cli.boundary import OutputFormat
from ssoctl.deps import Deps

# Federated Directory is a portal without a profile (provisioning, not an app registration); its
# module imports urllib.request, too heavy for every TAB, so its name is repeated here (a test
# checks it against `portals.federated_directory.NAME`).
FEDERATED_DIRECTORY = (
    "federated-directory",
    "Federated Directory: SCIM provisioning (ssoctl azure provision)",
)


def complete_portal(incomplete: str) -> list[tuple[str, str]]:
    """Portal names for shell completion (TAB): built-in profiles, the user's own profiles in
    SSOCTL_HOME/portals, and Federated Directory. Light modules only; a broken user profile
    never breaks TAB (the built-ins are offered instead)."""
    import os

    from ssoctl.config import ssoctl_home
    from ssoctl.errors import SsoctlError
    from ssoctl.portals import PORTALS, all_portals

    try:
        portals = all_portals(ssoctl_home(os.environ))
    except (SsoctlError, OSError):
        portals = list(PORTALS.values())
    items = [(p.name, p.summary) for p in portals] + [FEDERATED_DIRECTORY]
    return [(name, about) for name, about in items if name.startswith(incomplete.lower())]


def _words(*words: tuple[str, str]) -> Callable[[str], list[tuple[str, str]]]:
    def complete(incomplete: str) -> list[tuple[str, str]]:
        return [(w, about) for w, about in words if w.startswith(incomplete)]

    return complete


complete_store = _words(
    ("keyring", "the OS keyring (default)"),
    ("env-file:", "a 0600 dotenv file: env-file:PATH"),
    ("none", "keep it nowhere (with --show-secret)"),
)
complete_cloud = _words(
    ("global", "Microsoft Entra ID (default)"),
    ("usgov", "US Government (GCC High)"),
    ("usgov-dod", "US Government DoD"),
    ("china", "Microsoft Entra operated by 21Vianet"),
)
complete_group_claims = _words(("security", "security groups"), ("all", "all groups and roles"))

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
        autocompletion=complete_cloud,
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
        "--portal",
        "-p",
        metavar="PORTAL",
        help="Portal profile, e.g. emnify (see `ssoctl portals list`).",
        autocompletion=complete_portal,
    ),
]
PortalOrFile = Annotated[
    str | None,
    typer.Option(
        "--portal",
        "-p",
        metavar="PORTAL",
        help="Portal profile, e.g. emnify (see `ssoctl portals list`); or give --portal-file.",
        show_default=False,
        autocompletion=complete_portal,
    ),
]
PortalFile = Annotated[
    str | None,
    typer.Option(
        "--portal-file",
        metavar="PATH",
        help="A portal profile in TOML (format: `ssoctl portals show emnify --as-toml`).",
        show_default=False,
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

OktaOrg = Annotated[
    str | None,
    typer.Option(
        "--okta-org",
        metavar="URL",
        help="Your Okta org's base URL, e.g. https://acme.okta.com (portal okta, --store okta).",
        show_default=False,
    ),
]
PingOneEnv = Annotated[
    str | None,
    typer.Option(
        "--pingone-env",
        metavar="ENV_ID",
        help="PingOne environment ID for --store pingone (worker app: PINGONE_CLIENT_ID / PINGONE_CLIENT_SECRET).",
        show_default=False,
    ),
]
PingOneRegion = Annotated[
    str | None,
    typer.Option(
        "--pingone-region",
        metavar="com|eu|asia|ca",
        help="PingOne region: picks api.pingone.REGION and auth.pingone.REGION \\[default: com].",
        show_default=False,
    ),
]
PingOneApiUrl = Annotated[
    str | None,
    typer.Option(
        "--pingone-api-url",
        metavar="URL",
        help="PingOne API base URL (overrides the region's).",
        show_default=False,
    ),
]
PingOneAuthUrl = Annotated[
    str | None,
    typer.Option(
        "--pingone-auth-url",
        metavar="URL",
        help="PingOne auth server URL (overrides the region's).",
        show_default=False,
    ),
]


def tri_state(ctx: typer.Context, name: str, value: bool | None) -> bool | None:
    """A `--x/--no-x` flag as None when it was not given (the help machinery defaults flags to False)."""
    source = ctx.get_parameter_source(name)
    return None if source is None or source.name == "DEFAULT" else value


def deps_from(ctx: typer.Context) -> Deps:
    """The Deps given by tests (`obj=`), or the production one."""
    return ctx.obj if isinstance(ctx.obj, Deps) else Deps()

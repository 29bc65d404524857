"""`ssoctl login`, `ssoctl logout`, `ssoctl whoami`: signing in and checking what the identity may do."""

from __future__ import annotations

from typing import Annotated

import typer

from ssoctl.cli import options as opt
from ssoctl.cli.boundary import OutputFormat, run_guarded

WHOAMI_HELP = """Show who is signed in (account, tenant, cloud, token expiry) and whether the roles and permissions ssoctl needs are there.

Each requirement is marked present, missing or unknown, with what to do. For a user: the directory roles Application Administrator, Cloud Application Administrator or Global Administrator (Privileged Role Administrator to grant application permissions), and the delegated permissions in the token. For an application: Application.ReadWrite.All (or .OwnedBy), DelegatedPermissionGrant.ReadWrite.All, AppRoleAssignment.ReadWrite.All, Synchronization.ReadWrite.All.

Commands that change the tenant run the same checks for what they need and stop before the first change (exit 4).

Examples:

  ssoctl whoami

  ssoctl whoami --sandbox -o json
"""


def whoami(
    ctx: typer.Context,
    output: opt.Output = OutputFormat.table,
    tenant: opt.Tenant = None,
    cloud: opt.Cloud = None,
    sandbox: opt.Sandbox = False,
) -> None:
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.commands.whoami import run_whoami

        consoles = deps.consoles()
        with consoles.progress("Signing in and checking roles and permissions…"):
            result = run_whoami(deps, sandbox=sandbox, tenant=tenant, cloud=cloud)
        if output is OutputFormat.json:
            from ssoctl.views.json_view import dump

            dump(result.as_json(), consoles.out_stream)
        else:
            from ssoctl.views.whoami import render_whoami

            render_whoami(result, consoles, now=deps.clock())
        return 0

    run_guarded(output, body)


LOGIN_HELP = """Sign in to Microsoft Entra ID as a person, once; later commands reuse the sign-in silently.

Opens the browser when this machine has one, else shows a device code to enter at the sign-in page on any device. Tokens are kept in a cache encrypted by the OS secret store under SSOCTL_HOME (a plain 0600 file only with --plaintext-cache). The default client is Microsoft Graph Command Line Tools (14d82eec-204b-4c2f-b7e8-296a70dab67e); --client-id uses your own public client app. Needs a terminal: in CI use a workload identity instead (docs/signin.md).

Examples:

  ssoctl login

  ssoctl login --tenant contoso.onmicrosoft.com --device-code

  ssoctl login --client-id 11111111-2222-3333-4444-555555555555
"""


def login(
    ctx: typer.Context,
    tenant: opt.Tenant = None,
    device_code: Annotated[
        bool, typer.Option("--device-code", metavar="", help="Show a code to enter on another device.")
    ] = False,
    browser: Annotated[
        bool, typer.Option("--browser", metavar="", help="Sign in in this machine's browser.")
    ] = False,
    az_cli: Annotated[
        bool, typer.Option("--az-cli", metavar="", help="Run `az login`; later commands use the Azure CLI.")
    ] = False,
    client_id: Annotated[
        str | None,
        typer.Option(
            "--client-id",
            metavar="ID",
            help="Your own public client app. \\[default: Microsoft Graph Command Line Tools]",
            show_default=False,
        ),
    ] = None,
    plaintext_cache: Annotated[
        bool,
        typer.Option(
            "--plaintext-cache",
            metavar="",
            help="Keep the token cache in a plain 0600 file when the OS secret store is unavailable.",
        ),
    ] = False,
    cloud: opt.Cloud = None,
    output: opt.Output = OutputFormat.table,
) -> None:
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.commands.login import LoginOptions, run_login
        from ssoctl.errors import UsageError
        from ssoctl.views.login import LoginConsole, render_login

        chosen = [
            name
            for name, on in (("device-code", device_code), ("browser", browser), ("az-cli", az_cli))
            if on
        ]
        if len(chosen) > 1:
            raise UsageError(
                f"choose one way to sign in, not {' and '.join('--' + c for c in chosen)}",
                hint="use one of --device-code, --browser, --az-cli (or none: browser if there is one)",
            )
        options = LoginOptions(
            tenant=tenant,
            method=chosen[0] if chosen else "auto",
            client_id=client_id,
            plaintext_cache=plaintext_cache,
            cloud=cloud,
        )
        consoles = deps.consoles()
        result = run_login(options, deps, LoginConsole(consoles))
        render_login(result, consoles, as_json=output is OutputFormat.json)
        return 0

    run_guarded(output, body)


def logout(ctx: typer.Context, output: opt.Output = OutputFormat.table) -> None:
    """Forget the sign-in `ssoctl login` made: the token cache (also its copy in the OS secret store) and the record of the account. An Azure CLI login stays (that is `az logout`).

    Example: ssoctl logout
    """
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.commands.login import run_logout

        removed = run_logout(deps)
        consoles = deps.consoles()
        if output is OutputFormat.json:
            from ssoctl.views.json_view import dump

            dump({"signedOut": bool(removed), "removed": removed}, consoles.out_stream)
        elif removed:
            consoles.err().print("Signed out: the token cache and login record are gone.")
        else:
            consoles.err().print("Not signed in with `ssoctl login`: nothing to remove.")
        return 0

    run_guarded(output, body)

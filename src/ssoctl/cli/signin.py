"""`ssoctl login`, `ssoctl logout`, `ssoctl whoami`: signing in and checking what the identity may do."""

from __future__ import annotations

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

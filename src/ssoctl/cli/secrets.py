"""`ssoctl secrets …`: the client secrets ssoctl holds."""

from __future__ import annotations

import typer

from ssoctl.cli import options as opt
from ssoctl.cli.boundary import OutputFormat, run_guarded
from ssoctl.cli.help import App

app = App(help="Client secrets ssoctl created and stored.", no_args_is_help=True)


@app.command("reveal")
def reveal(
    ctx: typer.Context,
    portal: opt.Portal,
    name: opt.Name = None,
    tenant: opt.Tenant = None,
    sandbox: opt.Sandbox = False,
    output: opt.Output = OutputFormat.table,
) -> None:
    """Print a stored client secret to stdout (nothing else), e.g. to paste it into the portal.

    With -o json: {"portal", "displayName", "tenantId", "clientId", "clientSecret"}.

    Example: ssoctl secrets reveal --portal emnify | xclip -selection clipboard
    """
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.commands.reveal import reveal_secret

        reg, creds = reveal_secret(deps, portal=portal, name=name, tenant=tenant, sandbox=sandbox)
        consoles = deps.consoles()
        if output is OutputFormat.json:
            from ssoctl.views.json_view import dump

            dump(
                {
                    "portal": reg.portal,
                    "displayName": reg.display_name,
                    "tenantId": creds.tenant_id,
                    "clientId": creds.client_id,
                    "clientSecret": creds.client_secret.reveal(),
                },
                consoles.out_stream,
            )
        else:
            consoles.write(creds.client_secret.reveal() + "\n")
        return 0

    run_guarded(output, body)

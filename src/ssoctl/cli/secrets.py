"""`ssoctl secrets …`: the client secrets ssoctl holds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ssoctl.cli import options as opt
from ssoctl.cli.boundary import OutputFormat, run_guarded
from ssoctl.cli.help import App
from ssoctl.spec import SECRET_DAYS_DEFAULT

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


STATUS_HELP = """Show when every client secret and certificate ssoctl manages expires, live from Microsoft Graph.

Each credential: app, portal, expiry, days left, the store that holds it, and its status: [green]ok[/], [yellow]expiring[/] (within --within days), [red]expired[/], or [magenta]orphan[/] (made by ssoctl, held by no store). Secrets with no end date or a lifetime over two years are flagged. Exit 8 when anything expires within the window or has expired (for cron and CI), 0 otherwise.

Examples:

  ssoctl secrets status --sandbox

  ssoctl secrets status --within 45 --ics ~/secrets.ics

  ssoctl secrets status --all -o json

  SSOCTL_NOTIFY_URL=https://hooks.slack.com/services/… ssoctl secrets status   # posts only when something needs attention
"""


@app.command("status", help=STATUS_HELP)
def status(
    ctx: typer.Context,
    within: Annotated[int, typer.Option("--within", metavar="DAYS", help="Attention window in days.")] = 30,
    all_apps: Annotated[
        bool,
        typer.Option("--all", metavar="", help="Every app registration in the tenant, not only ssoctl's."),
    ] = False,
    ics: Annotated[
        Path | None,
        typer.Option(
            "--ics",
            metavar="FILE",
            help="Also write a calendar: one event per credential at its expiry, with an alarm ahead.",
            show_default=False,
        ),
    ] = None,
    alarm_days: Annotated[
        int,
        typer.Option("--alarm-days", metavar="DAYS", help="How long before expiry the --ics alarm rings."),
    ] = 14,
    notify: Annotated[
        str | None,
        typer.Option(
            "--notify",
            metavar="URL",
            envvar="SSOCTL_NOTIFY_URL",
            help="Post the summary to a Slack/Teams incoming webhook when something needs attention "
            "(https; the URL is never printed). \\[env: SSOCTL_NOTIFY_URL]",
            show_default=False,
            show_envvar=False,
        ),
    ] = None,
    output: opt.Output = OutputFormat.table,
    tenant: opt.Tenant = None,
    cloud: opt.Cloud = None,
    sandbox: opt.Sandbox = False,
) -> None:
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.commands.secrets_status import StatusOptions, run_status
        from ssoctl.commands.secrets_status import notify as post_summary

        options = StatusOptions(
            within=within,
            all_apps=all_apps,
            ics=Path(os.path.abspath(os.path.expanduser(str(ics)))) if ics else None,
            alarm_days=alarm_days,
            notify=notify,
            sandbox=sandbox,
            tenant=tenant,
            cloud=cloud,
        )
        consoles = deps.consoles()
        with consoles.progress("Reading client secrets from Microsoft Graph…"):
            report = run_status(options, deps)
        if output is OutputFormat.json:
            from ssoctl.commands.secrets_status import status_document, status_json

            post_summary(report, notify)
            consoles.write(status_json(status_document(report)))
        else:
            from ssoctl.views.timeline import render_status

            render_status(report, consoles)
            if report.calendar:
                consoles.note(f"calendar written to {report.calendar}")
            post_summary(report, notify)
            if report.notified:
                consoles.note("summary posted to the --notify webhook")
        return report.exit_code

    run_guarded(output, body, reminders=False)  # it shows every expiry itself


ROTATE_HELP = """Replace a registration's client secret without breaking sign-in.

Shows the plan, adds a new secret, stores it and reads it back, proves it with a token request at the tenant's token endpoint, and only then removes the previous secret (--overlap-days 0) or records when it may go (default 7 days, so there is time to paste the new one into the portal; `ssoctl secrets prune` removes it after that). If storing, reading back or the token request fails, the new secret is removed again and the previous one stays: exit 1, nothing else changed. Without --store, the store that holds the secret now is used.

Examples:

  ssoctl secrets rotate --portal emnify --sandbox --yes

  ssoctl secrets rotate --portal pingone --overlap-days 0 --yes -o json

  ssoctl secrets rotate --portal emnify --name 'emnify staging' --store env-file:./emnify.env
"""


@app.command("rotate", help=ROTATE_HELP)
def rotate(
    ctx: typer.Context,
    portal: opt.Portal,
    name: opt.Name = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            metavar="STORE",
            help="Where the new secret goes: keyring, env-file:PATH, pingone or okta (straight into the portal's "
            "identity provider). \\[default: the store holding the secret now]",
            show_default=False,
        ),
    ] = None,
    pingone_env: opt.PingOneEnv = None,
    pingone_region: opt.PingOneRegion = None,
    pingone_api_url: opt.PingOneApiUrl = None,
    pingone_auth_url: opt.PingOneAuthUrl = None,
    okta_org: opt.OktaOrg = None,
    overlap_days: Annotated[
        int,
        typer.Option(
            "--overlap-days",
            metavar="DAYS",
            help="Days the previous secret keeps working after the new one is proven (0: remove it at once).",
        ),
    ] = 7,
    secret_days: Annotated[
        int,
        typer.Option("--secret-days", metavar="DAYS", help="The new secret's lifetime in days."),
    ] = SECRET_DAYS_DEFAULT,
    yes: opt.Yes = False,
    output: opt.Output = OutputFormat.table,
    tenant: opt.Tenant = None,
    cloud: opt.Cloud = None,
    sandbox: opt.Sandbox = False,
) -> None:
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.commands.rotate import RotateOptions, run_rotate
        from ssoctl.views.lifecycle import HumanLifecycleUI, JsonLifecycleUI, render_rotate, rotate_document

        options = RotateOptions(
            portal=portal,
            name=name,
            store=store,
            pingone_env=pingone_env,
            pingone_region=pingone_region,
            pingone_api_url=pingone_api_url,
            pingone_auth_url=pingone_auth_url,
            okta_org=okta_org,
            overlap_days=overlap_days,
            secret_days=secret_days,
            yes=yes,
            sandbox=sandbox,
            tenant=tenant,
            cloud=cloud,
        )
        consoles = deps.consoles()
        if output is OutputFormat.json:
            from ssoctl.views.json_view import dump

            dump(rotate_document(run_rotate(options, deps, JsonLifecycleUI(consoles))), consoles.out_stream)
            return 0
        outcome = run_rotate(options, deps, HumanLifecycleUI(consoles))
        render_rotate(outcome, consoles, show_reminders=False)  # cli.root reminds after every command
        return 0

    run_guarded(output, body)


PRUNE_HELP = """Remove the client secrets ssoctl made that nothing needs any more, after showing the plan.

For every registration ssoctl manages in the tenant: replaced secrets whose overlap is over (`secrets rotate` recorded when they may go; one replaced by `register` stays until it expires), and orphans — secrets ssoctl made (named "ssoctl …") that no store holds. The secret a store holds and secrets ssoctl did not make are never touched, nor a secret made before this machine's record of the registration (state.json was removed and made again): another store may hold it, so prune names it and leaves it. A second run changes nothing.

Examples:

  ssoctl secrets prune --sandbox

  ssoctl secrets prune --yes -o json
"""


@app.command("prune", help=PRUNE_HELP)
def prune(
    ctx: typer.Context,
    yes: opt.Yes = False,
    output: opt.Output = OutputFormat.table,
    tenant: opt.Tenant = None,
    cloud: opt.Cloud = None,
    sandbox: opt.Sandbox = False,
) -> None:
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.commands.prune import run_prune
        from ssoctl.views.lifecycle import HumanLifecycleUI, JsonLifecycleUI, prune_document, render_prune

        consoles = deps.consoles()
        json_mode = output is OutputFormat.json
        ui = JsonLifecycleUI(consoles) if json_mode else HumanLifecycleUI(consoles)
        outcome = run_prune(deps, ui, yes=yes, sandbox=sandbox, tenant=tenant, cloud=cloud)
        if json_mode:
            from ssoctl.views.json_view import dump

            dump(prune_document(outcome), consoles.out_stream)
        else:
            render_prune(outcome, consoles)
        return 1 if outcome.warnings else 0

    run_guarded(output, body)

"""`ssoctl azure …`: app registrations in Microsoft Entra ID."""

from __future__ import annotations

from typing import Annotated

import typer

from ssoctl.cli import options as opt
from ssoctl.cli.boundary import OutputFormat, run_guarded
from ssoctl.cli.help import App
from ssoctl.spec import SECRET_DAYS_DEFAULT, SECRET_DAYS_MAX, SECRET_DAYS_MIN

app = App(help="Create and check the Entra app registrations portals need.", no_args_is_help=True)

REGISTER_HELP = """Create or update the app registration a portal needs, store its client secret, and print the steps left in the portal.

Reads what exists, shows the plan ([green]+[/] add, [yellow]~[/] change, [red]-[/] remove), asks, applies, stores the client ID, tenant ID and secret, then prints the portal's remaining steps. Running it again changes nothing while the app matches and the stored secret is valid; drift made in the portal is shown and repaired.

Examples:

  ssoctl azure register --portal emnify --sandbox --yes

  ssoctl azure register --portal emnify --plan

  ssoctl azure register --portal emnify --store env-file:./emnify.env --yes -o json
"""


@app.command("register", help=REGISTER_HELP)
def register(
    ctx: typer.Context,
    portal: opt.Portal,
    name: opt.Name = None,
    redirect_uri: Annotated[
        list[str] | None,
        typer.Option(
            "--redirect-uri",
            metavar="URI",
            help="An extra web redirect URI (repeatable); some portals require one.",
            show_default=False,
        ),
    ] = None,
    group_claims: Annotated[
        str | None,
        typer.Option(
            "--group-claims",
            metavar="security|all",
            help="Emit group claims: security or all.",
            show_default=False,
            autocompletion=opt.complete_group_claims,
        ),
    ] = None,
    secret_days: Annotated[
        int,
        typer.Option(
            "--secret-days",
            metavar="DAYS",
            help=f"Client secret lifetime in days ({SECRET_DAYS_MIN}..{SECRET_DAYS_MAX}).",
        ),
    ] = SECRET_DAYS_DEFAULT,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            metavar="STORE",
            help="Where the client ID and secret go: keyring, env-file:PATH (0600 dotenv), or none (with --show-secret). "
            "\\[default: the store that holds this registration's secret now; the first time: keyring]",
            show_default=False,
            autocompletion=opt.complete_store,
        ),
    ] = None,
    plan: Annotated[
        bool, typer.Option("--plan", metavar="", help="Show what would change and stop; changes nothing.")
    ] = False,
    show_secret: Annotated[
        bool,
        typer.Option(
            "--show-secret", metavar="", help="Also print the new secret's value (once; never logged)."
        ),
    ] = False,
    yes: opt.Yes = False,
    output: opt.Output = OutputFormat.table,
    tenant: opt.Tenant = None,
    cloud: opt.Cloud = None,
    sandbox: opt.Sandbox = False,
) -> None:
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.commands.register import RegisterOptions, run_register
        from ssoctl.errors import UsageError

        claims = {"security": "SecurityGroup", "all": "All"}
        if group_claims is not None and group_claims.lower() not in claims:
            raise UsageError(f"--group-claims {group_claims!r} is not known", hint="use security or all")
        options = RegisterOptions(
            portal=portal,
            name=name,
            redirect_uris=tuple(redirect_uri or ()),
            group_claims=claims[group_claims.lower()] if group_claims else None,
            secret_days=secret_days,
            store=store,
            plan_only=plan,
            yes=yes,
            show_secret=show_secret,
            sandbox=sandbox,
            tenant=tenant,
            cloud=cloud,
        )
        if output is OutputFormat.json:
            from ssoctl.views.json_view import JsonRegisterUI, dump, register_document

            consoles = deps.consoles()
            outcome = run_register(options, deps, JsonRegisterUI(consoles))
            dump(register_document(outcome, show_secret=show_secret), consoles.out_stream)
            return 0
        from ssoctl.views.human import HumanRegisterUI, render_register

        consoles = deps.consoles()
        outcome = run_register(options, deps, HumanRegisterUI(consoles))
        # Reminders are for a person at a terminal (never in CI); SSOCTL_NO_REMINDERS empties them.
        render_register(
            outcome, consoles, show_secret=show_secret, plan_only=plan, show_reminders=deps.can_prompt()
        )
        return 0

    run_guarded(output, body)


VERIFY_HELP = """Prove a registration works from Entra's side: one line per check, exit 8 when any fails.

Checks: a client-credentials token request with the stored secret at the tenant's token endpoint (catches AADSTS7000215 wrong secret and AADSTS7000222 expired before users do; a brand-new secret is retried for up to SSOCTL_VERIFY_WAIT seconds, default 60), the app's settings against the portal profile (drift), admin consent where the portal needs it, and the tenant's OpenID Connect metadata. A check that cannot be carried out (the login host unreachable, no stored secret) says "not verified" and why: it never passes.

Examples:

  ssoctl azure verify --portal emnify --sandbox

  ssoctl azure verify --portal pingone --name 'PingOne EU' -o json
"""


@app.command("verify", help=VERIFY_HELP)
def verify(
    ctx: typer.Context,
    portal: opt.Portal,
    name: opt.Name = None,
    output: opt.Output = OutputFormat.table,
    tenant: opt.Tenant = None,
    cloud: opt.Cloud = None,
    sandbox: opt.Sandbox = False,
) -> None:
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.commands.verify import run_verify
        from ssoctl.errors import EXIT_ATTENTION

        outcome = run_verify(deps, portal=portal, name=name, tenant=tenant, sandbox=sandbox, cloud=cloud)
        consoles = deps.consoles()
        if output is OutputFormat.json:
            from ssoctl.views.json_view import dump
            from ssoctl.views.lifecycle import verify_document

            dump(verify_document(outcome), consoles.out_stream)
        else:
            from ssoctl.views.lifecycle import render_verify

            render_verify(outcome, consoles)
        return 0 if outcome.verified else EXIT_ATTENTION

    run_guarded(output, body)

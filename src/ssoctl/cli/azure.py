"""`ssoctl azure …`: app registrations in Microsoft Entra ID."""

from __future__ import annotations

from typing import Annotated

import typer

from ssoctl.cli import options as opt
from ssoctl.cli.boundary import OutputFormat, run_guarded
from ssoctl.cli.help import App
from ssoctl.deps import Deps
from ssoctl.spec import SECRET_DAYS_DEFAULT, SECRET_DAYS_MAX, SECRET_DAYS_MIN

app = App(help="Create and check the Entra app registrations portals need.", no_args_is_help=True)

REGISTER_HELP = """Create or update the app registration a portal needs, store its client secret, and print the steps left in the portal.

Reads what exists, shows the plan ([green]+[/] add, [yellow]~[/] change, [red]-[/] remove), asks, applies, stores the client ID, tenant ID and secret, then prints the portal's remaining steps. Running it again changes nothing while the app matches and the stored secret is valid; drift made in the portal is shown and repaired.

Examples:

  ssoctl azure register --portal emnify --sandbox --yes

  ssoctl azure register --portal emnify --plan

  ssoctl azure register --portal emnify --store env-file:./emnify.env --yes -o json

  ssoctl azure register --portal generic-oidc --name Wiki --redirect-uri https://wiki.example.com/cb --permission "Microsoft Graph/User.Read" --optional-claim idToken:upn --yes

  ssoctl azure register --portal-file ./my-portal.toml --plan

Profile settings (--audience, --permission, --optional-claim, --implicit-*, --identifier-uri, --admin-consent) override or add to the portal profile's; `generic-oidc` starts almost empty so they describe the whole app.
"""


@app.command("register", help=REGISTER_HELP)
def register(
    ctx: typer.Context,
    portal: opt.PortalOrFile = None,
    portal_file: opt.PortalFile = None,
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
            metavar="security|all|none",
            help="Emit group claims: security, all, none, applicationgroup or directoryrole.",
            show_default=False,
            autocompletion=opt.complete_group_claims,
        ),
    ] = None,
    audience: Annotated[
        str | None,
        typer.Option(
            "--audience",
            metavar="AUDIENCE",
            help="signInAudience: AzureADMyOrg, AzureADMultipleOrgs, AzureADandPersonalMicrosoftAccount or PersonalMicrosoftAccount.",
            show_default=False,
        ),
    ] = None,
    tenant_only: Annotated[
        bool,
        typer.Option(
            "--tenant-only", metavar="", help="Only accounts of this tenant (signInAudience AzureADMyOrg)."
        ),
    ] = False,
    permission: Annotated[
        list[str] | None,
        typer.Option(
            "--permission",
            metavar="API/NAME",
            help="A permission to request (repeatable), resolved through the API's service principal: "
            "'Microsoft Graph/User.Read', 'Microsoft Graph/Group.Read.All (application)'.",
            show_default=False,
        ),
    ] = None,
    optional_claim: Annotated[
        list[str] | None,
        typer.Option(
            "--optional-claim",
            metavar="TOKEN:CLAIM",
            help="An optional claim (repeatable): idToken:upn, accessToken:groups, saml2Token:upn.",
            show_default=False,
        ),
    ] = None,
    implicit_id_tokens: Annotated[
        bool | None,
        typer.Option(
            "--implicit-id-tokens/--no-implicit-id-tokens",
            help="Issue ID tokens from the authorization endpoint (implicit/hybrid flow).",
            show_default=False,
        ),
    ] = None,
    implicit_access_tokens: Annotated[
        bool | None,
        typer.Option(
            "--implicit-access-tokens/--no-implicit-access-tokens",
            help="Issue access tokens from the authorization endpoint (implicit flow).",
            show_default=False,
        ),
    ] = None,
    identifier_uri: Annotated[
        str | None,
        typer.Option(
            "--identifier-uri",
            metavar="URI",
            help="Application ID URI, e.g. api://{appId} ({appId} is filled in); '' removes the profile's.",
            show_default=False,
        ),
    ] = None,
    admin_consent: Annotated[
        bool | None,
        typer.Option(
            "--admin-consent/--no-admin-consent",
            help="Grant the permissions tenant-wide, as 'Grant admin consent' does.",
            show_default=False,
        ),
    ] = None,
    okta_org: opt.OktaOrg = None,
    pingone_env: opt.PingOneEnv = None,
    pingone_region: opt.PingOneRegion = None,
    pingone_api_url: opt.PingOneApiUrl = None,
    pingone_auth_url: opt.PingOneAuthUrl = None,
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
            help="Where the client ID and secret go: keyring, env-file:PATH (0600 dotenv), none (with --show-secret), "
            "or straight into the portal: pingone (--pingone-env) or okta (--okta-org, OKTA_API_TOKEN). "
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
    if portal and portal.strip().lower() == "federated-directory":
        _federated_directory_sign_in(deps, output=output, sandbox=sandbox, tenant=tenant, cloud=cloud)
        return

    def body() -> int:
        from pathlib import Path

        from ssoctl.commands.register import RegisterOptions, run_register
        from ssoctl.errors import UsageError

        claims = {
            "security": "SecurityGroup",
            "securitygroup": "SecurityGroup",
            "all": "All",
            "none": "None",
            "applicationgroup": "ApplicationGroup",
            "directoryrole": "DirectoryRole",
        }
        if group_claims is not None and group_claims.lower() not in claims:
            raise UsageError(
                f"--group-claims {group_claims!r} is not known",
                hint="use security, all, none, applicationgroup or directoryrole",
            )
        options = RegisterOptions(
            portal=portal,
            portal_file=Path(portal_file).expanduser() if portal_file else None,
            name=name,
            redirect_uris=tuple(redirect_uri or ()),
            group_claims=claims[group_claims.lower()] if group_claims else None,
            audience=audience,
            tenant_only=tenant_only,
            permissions=tuple(permission or ()),
            optional_claims=tuple(optional_claim or ()),
            implicit_id_tokens=opt.tri_state(ctx, "implicit_id_tokens", implicit_id_tokens),
            implicit_access_tokens=opt.tri_state(ctx, "implicit_access_tokens", implicit_access_tokens),
            identifier_uri=identifier_uri,
            admin_consent=opt.tri_state(ctx, "admin_consent", admin_consent),
            okta_org=okta_org,
            pingone_env=pingone_env,
            pingone_region=pingone_region,
            pingone_api_url=pingone_api_url,
            pingone_auth_url=pingone_auth_url,
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
        # Reminders follow every command (cli.root, commands/reminders.py), not only this one.
        render_register(outcome, consoles, show_secret=show_secret, plan_only=plan, show_reminders=False)
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

        consoles = deps.consoles()
        with consoles.progress(f"Verifying {portal} from Entra's side…"):
            outcome = run_verify(deps, portal=portal, name=name, tenant=tenant, sandbox=sandbox, cloud=cloud)
        if output is OutputFormat.json:
            from ssoctl.views.json_view import dump
            from ssoctl.views.lifecycle import verify_document

            dump(verify_document(outcome), consoles.out_stream)
        else:
            from ssoctl.views.lifecycle import render_verify

            render_verify(outcome, consoles, show_reminders=deps.can_prompt())
        return 0 if outcome.verified else EXIT_ATTENTION

    run_guarded(output, body)


def _federated_directory_sign_in(
    deps: Deps, *, output: OutputFormat, sandbox: bool, tenant: str | None, cloud: str | None
) -> None:
    """`register --portal federated-directory`: no app registration; the sign-in steps and whether
    the enterprise app exists (one read)."""

    def body() -> int:
        from ssoctl.commands.provision import run_sign_in_guide
        from ssoctl.views.provisioning import render_sign_in, sign_in_document

        outcome = run_sign_in_guide(deps, sandbox=sandbox, tenant=tenant, cloud=cloud)
        consoles = deps.consoles()
        if output is OutputFormat.json:
            from ssoctl.views.json_view import dump

            dump(sign_in_document(outcome), consoles.out_stream)
        else:
            render_sign_in(outcome, consoles)
        return 0

    run_guarded(output, body)


PROVISION_HELP = """Set up SCIM user provisioning from Entra to Federated Directory: the guide's provisioning steps as one command.

The directory key's access token comes from stdin (--token-stdin), the store that already holds it, or a hidden prompt; never from the command line. It is checked with Federated Directory first (a refused token changes nothing), then the enterprise app is found (or added from the Entra gallery), the provisioning job is created, Entra's Test Connection runs, the Tenant URL, token and scope are saved and provisioning is turned on. Running it again with the same token and scope changes nothing; a new token replaces the old one (that is how it is rotated) and restarts a quarantined job.

Examples:

  printf %s "$FD_TOKEN" | ssoctl azure provision --portal federated-directory --token-stdin --yes

  ssoctl azure provision --portal federated-directory --scope all --test-user adele@contoso.com

  ssoctl sandbox serve   # then, in another shell, with the token it prints:
  printf %s "$TOKEN" | ssoctl azure provision --portal federated-directory --sandbox --token-stdin --yes
"""


@app.command("provision", help=PROVISION_HELP)
def provision(
    ctx: typer.Context,
    portal: opt.Portal,
    token_stdin: Annotated[
        bool,
        typer.Option(
            "--token-stdin", metavar="", help="Read the directory key's access token from stdin (one line)."
        ),
    ] = False,
    scope: Annotated[
        str,
        typer.Option(
            "--scope",
            metavar="assigned|all",
            help="Who is provisioned: users and groups assigned to the app, or all of them.",
        ),
    ] = "assigned",
    fd_base_url: Annotated[
        str | None,
        typer.Option(
            "--fd-base-url",
            metavar="URL",
            help="Federated Directory's SCIM API, checked and given to Entra as Tenant URL "
            "(http only for loopback). \\[default: https://api.federated.directory/v2; with --sandbox "
            "http://127.0.0.1:8766/v2]",
            show_default=False,
        ),
    ] = None,
    test_user: Annotated[
        str | None,
        typer.Option(
            "--test-user",
            metavar="UPN",
            help="Provision this user now (on demand) and show the result.",
            show_default=False,
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            metavar="STORE",
            help="Where the token is kept: keyring or env-file:PATH. \\[default: where it is kept already, else keyring]",
            show_default=False,
        ),
    ] = None,
    yes: opt.Yes = False,
    output: opt.Output = OutputFormat.table,
    tenant: opt.Tenant = None,
    cloud: opt.Cloud = None,
    sandbox: opt.Sandbox = False,
) -> None:
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.commands.provision import ProvisionOptions, run_provision

        options = ProvisionOptions(
            portal=portal,
            token_stdin=token_stdin,
            scope=scope,
            fd_base_url=fd_base_url,
            test_user=test_user,
            store=store,
            yes=yes,
            sandbox=sandbox,
            tenant=tenant,
            cloud=cloud,
        )
        consoles = deps.consoles()
        if output is OutputFormat.json:
            from ssoctl.views.json_view import dump
            from ssoctl.views.provisioning import JsonProvisionUI, provision_document

            outcome = run_provision(options, deps, JsonProvisionUI(consoles))
            dump(provision_document(outcome), consoles.out_stream)
            return 0
        from ssoctl.views.provisioning import HumanProvisionUI, render_provision

        outcome = run_provision(options, deps, HumanProvisionUI(consoles))
        render_provision(outcome, consoles)
        return 0

    run_guarded(output, body)


def federated_directory_status(
    deps: Deps, *, output: OutputFormat, sandbox: bool, tenant: str | None, cloud: str | None
) -> int:
    """`azure status --portal federated-directory`: the provisioning job's health; 8 when not healthy."""
    from ssoctl.commands.provision_status import read_status
    from ssoctl.errors import EXIT_ATTENTION
    from ssoctl.views.provisioning import render_status, status_document

    consoles = deps.consoles()
    with consoles.progress("Reading the provisioning job…"):
        result = read_status(deps, sandbox=sandbox, tenant=tenant, cloud=cloud)
    if output is OutputFormat.json:
        from ssoctl.views.json_view import dump

        dump(status_document(result), consoles.out_stream)
    else:
        render_status(result, consoles)
    return 0 if result.healthy else EXIT_ATTENTION


STATUS_HELP = """Check a registration's health; exit 8 when it needs attention. Reads only.

For an app registration: healthy when it exists, `register` would change nothing (no drift in the app or its consent; the stored secret is on the app and in its store) and the stored secret is valid for more than --within days. Not healthy (exit 8) lists why and the exact command that fixes it.

For federated-directory: the provisioning job's state (Active, Paused, Quarantine with its reason), its last cycle and counts, and the command that fixes what is wrong.

Examples:

  ssoctl azure status --portal emnify --sandbox

  ssoctl azure status --portal pingone --name "PingOne EU" -o json

  ssoctl azure status --portal federated-directory

  ssoctl azure status --portal federated-directory --sandbox -o json
"""


@app.command("status", help=STATUS_HELP)
def status(
    ctx: typer.Context,
    portal: opt.Portal,
    name: opt.Name = None,
    within: Annotated[
        int,
        typer.Option(
            "--within", metavar="DAYS", help="The stored secret must be valid for more than this many days."
        ),
    ] = 30,
    output: opt.Output = OutputFormat.table,
    tenant: opt.Tenant = None,
    cloud: opt.Cloud = None,
    sandbox: opt.Sandbox = False,
) -> None:
    deps = opt.deps_from(ctx)

    def body() -> int:

        if portal and portal.strip().lower() == "federated-directory":
            return federated_directory_status(
                deps, output=output, sandbox=sandbox, tenant=tenant, cloud=cloud
            )
        from ssoctl.commands.status import read_registration_status, status_document

        result = read_registration_status(
            deps, portal=portal, name=name, within=within, tenant=tenant, sandbox=sandbox, cloud=cloud
        )
        consoles = deps.consoles()
        if output is OutputFormat.json:
            from ssoctl.views.json_view import dump

            dump(status_document(result), consoles.out_stream)
        else:
            from ssoctl.views.registration_status import render_registration_status

            render_registration_status(result, consoles)
        return result.exit_code

    run_guarded(output, body)


UNREGISTER_HELP = """Delete an app registration ssoctl made, and everything ssoctl made for it.

Shows the plan, asks (or --yes), then deletes the application (Entra deletes its enterprise app, grants and assignments with it), the stored client secret (an env file keeps its other lines) and ssoctl's record. Nothing else in the tenant changes. Running it again finds nothing to do.

Examples:

  ssoctl azure unregister --portal emnify --sandbox --yes

  ssoctl azure unregister --portal pingone --name "PingOne EU"
"""


@app.command("unregister", help=UNREGISTER_HELP)
def unregister(
    ctx: typer.Context,
    portal: opt.Portal,
    name: opt.Name = None,
    remove_provider: Annotated[
        bool,
        typer.Option(
            "--remove-provider",
            metavar="",
            help="Also delete the portal's identity provider when the secret lives in one (--store pingone / okta); "
            "at a terminal ssoctl asks.",
        ),
    ] = False,
    pingone_api_url: opt.PingOneApiUrl = None,
    pingone_auth_url: opt.PingOneAuthUrl = None,
    pingone_region: opt.PingOneRegion = None,
    yes: opt.Yes = False,
    output: opt.Output = OutputFormat.table,
    tenant: opt.Tenant = None,
    cloud: opt.Cloud = None,
    sandbox: opt.Sandbox = False,
) -> None:
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.commands.unregister import run_unregister
        from ssoctl.views.registration_status import (
            HumanUnregisterUI,
            JsonUnregisterUI,
            render_unregister,
            unregister_document,
        )

        consoles = deps.consoles()
        json_mode = output is OutputFormat.json
        ui = JsonUnregisterUI(consoles) if json_mode else HumanUnregisterUI(consoles)
        from ssoctl.stores.portal_api import ProviderOptions

        outcome = run_unregister(
            deps,
            ui,
            portal=portal,
            name=name,
            yes=yes,
            tenant=tenant,
            sandbox=sandbox,
            cloud=cloud,
            remove_provider=remove_provider,
            provider=ProviderOptions(
                pingone_region=pingone_region,
                pingone_api_url=pingone_api_url,
                pingone_auth_url=pingone_auth_url,
            ),
        )
        if json_mode:
            from ssoctl.views.json_view import dump

            dump(unregister_document(outcome), consoles.out_stream)
        else:
            render_unregister(outcome, consoles)
        return 0

    run_guarded(output, body)

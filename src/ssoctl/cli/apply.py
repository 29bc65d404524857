"""`ssoctl apply -f FILE`: many registrations from one TOML file (wiring only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ssoctl.cli import options as opt
from ssoctl.cli.boundary import OutputFormat, run_guarded

APPLY_HELP = """Create or update every app registration an apply file lists: one plan, one confirmation, applied side by side.

The TOML file's top-level keys are defaults; each \\[\\[registration]] table is one `azure register` with its options in snake_case (portal or portal_file, name, redirect_uris, group_claims, secret_days, store, tenant, cloud, audience, permissions, optional_claims, …). A `portal = \"federated-directory\"` table is one `azure provision` instead, its token read from the environment variable named by token_env. The whole file is checked first: every problem is listed with its line (exit 2) and nothing changes. A failing registration does not stop the others; exit 0 when all succeeded, 1 otherwise. With --plan: exit 8 when changes are pending, 0 when none, 1 when a registration cannot be read.

Examples:

  ssoctl apply -f sso.toml --plan

  ssoctl apply -f sso.toml --yes --concurrency 8 -o json

  ssoctl apply -f sso.toml --yes --shard 2/4      # the 2nd of 4 CI jobs
"""


def apply(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Option(
            "--file", "-f", metavar="FILE", help="The apply file (TOML), e.g. sso.toml.", show_default=False
        ),
    ],
    plan: Annotated[
        bool, typer.Option("--plan", metavar="", help="Show what would change and stop; changes nothing.")
    ] = False,
    yes: opt.Yes = False,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            metavar="N",
            help="At most N registrations (and Graph requests) at once.",
        ),
    ] = 4,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            metavar="K/N",
            help="Only every N-th registration, starting at the K-th (one job of an N-job CI matrix).",
            show_default=False,
        ),
    ] = None,
    output: opt.Output = OutputFormat.table,
    tenant: opt.Tenant = None,
    cloud: opt.Cloud = None,
    sandbox: opt.Sandbox = False,
) -> None:
    deps = opt.deps_from(ctx)

    def body() -> int:
        from ssoctl.apply_file import parse_shard
        from ssoctl.commands.apply import ApplyOptions, run_apply
        from ssoctl.config import resolve_cloud

        if cloud is not None:
            resolve_cloud(cloud, deps.env)  # a bad --cloud is one error, not one per registration
        options = ApplyOptions(
            file=file,
            plan_only=plan,
            yes=yes,
            concurrency=concurrency,
            shard=parse_shard(shard) if shard is not None else None,
            tenant=tenant,
            cloud=cloud,
            sandbox=sandbox,
        )
        consoles = deps.consoles()
        if output is OutputFormat.json:
            from ssoctl.views.apply_view import JsonApplyUI, apply_document
            from ssoctl.views.json_view import dump

            run = run_apply(options, deps, JsonApplyUI(consoles))
            dump(apply_document(run), consoles.out_stream)
            return run.exit_code
        from ssoctl.views.apply_view import HumanApplyUI, render_apply

        run = run_apply(options, deps, HumanApplyUI(consoles))
        render_apply(run, consoles)
        return run.exit_code

    run_guarded(output, body)

"""`ssoctl azure provision --portal federated-directory`: the guide's 11 provisioning clicks as one command.

token (stdin | store | hidden prompt) → checked with Federated Directory → read the tenant → plan
→ confirm → enterprise app (found or from the gallery) → job → Test Connection → save credentials →
start → token into its store, salted hash into state.json → status, attribute mappings, and with
`--test-user` one user provisioned on demand.

A refused token stops before the tenant is read, so nothing changes. A re-run with the same token,
Tenant URL and scope on a running job only reads. The token never reaches argv, output, logs or any
file but its store: it travels as `Secret` and is revealed only in the two request bodies Graph
needs, the Authorization header Federated Directory needs, and the store's `save`.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from ssoctl.credentials import CredentialRef, Credentials, Secret
from ssoctl.deps import Deps
from ssoctl.errors import UsageError
from ssoctl.graph.synchronization import ProvisioningApi
from ssoctl.portals import federated_directory as fd
from ssoctl.preflight import Need, preflight
from ssoctl.resources import synchronization_job as job_kind
from ssoctl.resources.base import SERVICE_PRINCIPAL, Step
from ssoctl.spec import env_prefix
from ssoctl.state import Registration, StateFile, exclusive_run
from ssoctl.stores import parse_store
from ssoctl.stores.base import Store

from .confirm import confirm_change
from .hints import command_for
from .session import graph_session


def no_token_hint(sandbox: bool, tenant: str | None, base_url: str | None = None) -> str:
    """How to hand the token over, as a command that acts on the same tenant (and Federated
    Directory URL, `--fd-base-url`) when pasted."""
    extra = ["--token-stdin", *fd.base_url_flag(base_url, sandbox=sandbox)]
    command = command_for("azure provision", fd.NAME, name=None, sandbox=sandbox, tenant=tenant, extra=extra)
    return (
        f'pipe it in: printf %s "$FD_TOKEN" | {command} '
        "(never as an argument: it would be in your shell history and the process list)"
    )


@dataclass(frozen=True)
class ProvisionOptions:
    portal: str = fd.NAME
    token_stdin: bool = False
    token_env: str | None = None  # apply files: the name of the environment variable holding the token
    scope: str = "assigned"
    fd_base_url: str | None = None
    test_user: str | None = None
    store: str | None = None
    yes: bool = False
    sandbox: bool = False
    tenant: str | None = None
    cloud: str | None = None


@dataclass(frozen=True)
class MappingRow:
    """One row of the guide's attribute table beside what the job maps."""

    attribute: fd.Attribute
    target: str | None

    @property
    def missing(self) -> bool:
        return self.attribute.mandatory and self.target is None


@dataclass
class TestUserResult:
    user_principal_name: str
    success: bool
    steps: list[dict[str, str]]


@dataclass
class ProvisionOutcome:
    tenant_id: str
    sandbox: bool
    spec: job_kind.ProvisioningSpec
    steps: tuple[Step, ...]
    store: str
    app: job_kind.EnterpriseApp | None = None
    app_created: bool = False
    job_id: str = ""
    token_changed: bool = False
    applied: bool = False
    status: dict[str, object] = field(default_factory=dict)
    mappings: list[MappingRow] = field(default_factory=list)
    test_user: TestUserResult | None = None
    events: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return any(step.has_work for step in self.steps)


class ProvisionUI(Protocol):
    def notice(self, text: str) -> None: ...

    def show_steps(self, steps: tuple[Step, ...], tenant_id: str, sandbox: bool) -> None: ...

    def confirm(self, question: str) -> bool: ...


# A JWT with many claims is a few KB; 16 KiB is far above any real token and far below a pasted file.
TOKEN_MAX_LENGTH = 16_384


def token_ref(tenant_id: str) -> CredentialRef:
    """Where the token lives in a store: ssoctl's key for Federated Directory provisioning."""
    return CredentialRef(tenant_id, fd.UNIQUE_NAME, env_prefix(fd.ENTERPRISE_APP))


def _given_token(opts: ProvisionOptions, deps: Deps) -> Secret | None:
    """The token handed over now: stdin (`--token-stdin`), or the variable an apply file names."""
    if opts.token_stdin:
        if deps.stdin_is_terminal():  # reading it would wait for a paste that echoes the token
            raise UsageError(
                "--token-stdin reads a piped token, but stdin is a terminal",
                hint='pipe it in: printf %s "$FD_TOKEN" | ssoctl azure provision --portal '
                "federated-directory --token-stdin; or leave out --token-stdin to be asked for it (not shown)",
            )
        source, text = "--token-stdin", deps.read_stdin().strip()
    elif opts.token_env:
        source, text = opts.token_env, deps.env.get(opts.token_env, "").strip()
    else:
        return None
    hint = no_token_hint(opts.sandbox, opts.tenant, opts.fd_base_url)
    if not text:
        raise UsageError(f"{source}: the Federated Directory token is empty or unset", hint=hint)
    if any(c.isspace() for c in text):
        raise UsageError(f"{source} holds more than one word; a directory key access token is one", hint=hint)
    if not all(c.isprintable() and c.isascii() for c in text):
        raise UsageError(
            f"{source} holds control or non-ASCII characters; a directory key access token has none",
            hint="copy the token again from Federated Directory (Directory keys), as plain text",
        )
    if len(text) > TOKEN_MAX_LENGTH:
        raise UsageError(
            f"{source} holds {len(text)} characters; a directory key access token has at most {TOKEN_MAX_LENGTH}",
            hint='pipe in the token alone (not a file or a log), e.g. printf %s "$FD_TOKEN" | …',
        )
    return Secret(text)


def _check_token_store(location: str) -> None:
    """`--store` for the token: keyring or env-file (parse_store refuses the unknown)."""
    if parse_store(location).kind == "none":
        raise UsageError(
            "--store none would keep the token nowhere, and rotation and status need it",
            hint="use --store keyring or --store env-file:PATH",
        )


def _token(
    given: Secret | None, store: Store, ref: CredentialRef, deps: Deps, *, hint: str
) -> tuple[Secret, bool]:
    """The token and whether it came from the store: stdin first, then the store, then a hidden prompt."""
    if given is not None:
        return given, False
    held = store.load(ref)
    if held is not None:
        return held.client_secret, True
    if deps.can_prompt():
        typed = deps.ask_hidden("Federated Directory directory key access token (not shown): ").strip()
        if typed:
            return Secret(typed), False
    raise UsageError("no Federated Directory access token given, and none is stored", hint=hint)


def compare_mappings(pairs: list[tuple[str, str]]) -> list[MappingRow]:
    """The guide's table with what the job maps each attribute to (None: not mapped)."""
    rows = []
    for attribute in fd.ATTRIBUTES:
        target = next((t for s, t in pairs if attribute.matches(s)), None)
        rows.append(MappingRow(attribute, target))
    return rows


def _confirm(opts: ProvisionOptions, deps: Deps, ui: ProvisionUI) -> None:
    confirm_change(
        deps,
        ui.confirm,
        "Apply these changes?",
        what="change the tenant",
        yes=opts.yes,
        hint="pass --yes to apply",
    )


def run_provision(
    opts: ProvisionOptions,
    deps: Deps,
    ui: ProvisionUI,
    *,
    lock_held: bool = False,
    plan_only: bool = False,
) -> ProvisionOutcome:
    """Set up (or with `plan_only`, only plan) Federated Directory provisioning.

    `lock_held`: the caller (`ssoctl apply`) already holds SSOCTL_HOME's run lock; taking it again
    here would wait on itself. `plan_only` reads and checks everything, shows the steps and returns
    before the first change: no preflight verdict, no store write, no state.json record.
    """
    if opts.portal.strip().lower() != fd.NAME:
        raise UsageError(
            f"provisioning is set up for {fd.NAME} only, not {opts.portal!r}",
            hint=f"use --portal {fd.NAME}",
        )
    sync_all = fd.sync_all(opts.scope)
    sandbox = deps.sandbox_requested(opts.sandbox)
    base_url = fd.tenant_url(opts.fd_base_url, sandbox=sandbox)
    if opts.test_user is not None and "@" not in opts.test_user:
        raise UsageError(
            f"--test-user {opts.test_user!r} is not a userPrincipalName",
            hint="e.g. --test-user adele@contoso.com",
        )
    if opts.store is not None:
        _check_token_store(opts.store)  # bad input stops here, before any request
    given = _given_token(opts, deps)
    spec = job_kind.ProvisioningSpec(fd.ENTERPRISE_APP, base_url, sync_all)
    state = StateFile(deps.home, sleep=deps.sleep)
    running = (
        contextlib.nullcontext()
        if lock_held
        else exclusive_run(
            deps.home, command="ssoctl azure provision --portal federated-directory", sleep=deps.sleep
        )
    )
    with (
        running,
        graph_session(deps, sandbox=opts.sandbox, tenant=opts.tenant, cloud=opts.cloud) as session,
    ):
        tenant_id = session.tenant_id
        record = state.get(tenant_id, fd.UNIQUE_NAME)
        kept = dict(record.provisioning or {}) if record else {}
        location = opts.store or kept.get("store") or "keyring"
        _check_token_store(location)
        store_spec = parse_store(location)
        store, notice = deps.open_store(store_spec, home=deps.home, sandbox=session.sandbox, env=deps.env)
        assert store is not None
        if notice:
            ui.notice(notice)
        ref = token_ref(tenant_id)
        token, from_store = _token(
            given, store, ref, deps, hint=no_token_hint(opts.sandbox, opts.tenant, opts.fd_base_url)
        )
        fd.check_token(base_url, token)  # a refused token stops here: nothing has changed
        state.preflight()
        store.preflight(ref)

        graph = cast(ProvisioningApi, session.graph)
        view = job_kind.read(graph, spec, record.resources if record else {})
        token_saved = job_kind.same_token(token, kept) and view.job is not None
        steps = job_kind.diff(spec, view, token_saved=token_saved, record=kept)
        user_id = _test_user_id(graph, opts.test_user)
        outcome = ProvisionOutcome(tenant_id, session.sandbox, spec, steps, store.location, app=view.app)
        outcome.job_id = view.job.id if view.job else ""
        ui.show_steps(steps, tenant_id, session.sandbox)
        if plan_only:
            return outcome

        ctx = job_kind.ProvisionContext(graph, spec, token, app=view.app, job_id=outcome.job_id)
        if outcome.has_changes:
            # Roles and permissions before the first change (exit 4 naming what is missing).
            preflight(session.graph, (Need.APPS, Need.PROVISIONING))
            _confirm(opts, deps, ui)
            app_step, job_step = steps
            job_kind.apply_enterprise_app(app_step, ctx)
            job_kind.apply_job(job_step, ctx)
            outcome.applied = True
        assert ctx.app is not None
        outcome.app, outcome.app_created, outcome.job_id = ctx.app, ctx.created_app, ctx.job_id
        outcome.events = ctx.events
        outcome.token_changed = not token_saved
        held = token if from_store else None
        if held is None:
            kept_creds = store.load(ref)
            held = kept_creds.client_secret if kept_creds and kept_creds.client_id == ctx.app.app_id else None
        if held != token:  # the store gets the token once; a re-run with it writes nothing
            store.save(ref, Credentials(ctx.app.app_id, tenant_id, token))
        _record(state, outcome, token, kept, location)

        outcome.status = graph.get_sync_job(ctx.app.id, ctx.job_id).get("status") or {}
        schema = graph.get_sync_schema(ctx.app.id, ctx.job_id)
        outcome.mappings = compare_mappings(job_kind.user_mappings(schema))
        if opts.test_user and user_id:
            outcome.test_user = _provision_test_user(graph, ctx, schema, opts.test_user, user_id)
    _notes(outcome)
    return outcome


def _test_user_id(graph: ProvisioningApi, upn: str | None) -> str | None:
    """The test user's object id, looked up before anything changes (a typo is bad input)."""
    if upn is None:
        return None
    user = graph.get_user(upn)
    if user is None:
        raise UsageError(
            f"--test-user {upn}: no such user in this tenant", hint="give a userPrincipalName that exists"
        )
    return str(user["id"])


def _provision_test_user(
    graph: ProvisioningApi, ctx: job_kind.ProvisionContext, schema: dict[str, Any], upn: str, user_id: str
) -> TestUserResult:
    assert ctx.app is not None
    rule = job_kind.user_rule_id(schema)
    if rule is None:
        return TestUserResult(
            upn, False, [{"name": "schema", "status": "Failure", "description": "the job maps no users"}]
        )
    answer = graph.provision_on_demand(ctx.app.id, ctx.job_id, rule, user_id)
    try:
        result = json.loads(str(answer.get("value") or "{}"))
    except ValueError:
        result = {}
    steps = [
        {
            "name": str(s.get("name", "")),
            "status": str(s.get("status", "")),
            "description": str(s.get("description", "")),
        }
        for s in result.get("provisioningSteps") or []
        if isinstance(s, dict)
    ]
    success = bool(steps) and all(s["status"] in ("Success", "Skipped") for s in steps)
    return TestUserResult(upn, success, steps)


def _record(
    state: StateFile, outcome: ProvisionOutcome, token: Secret, kept: dict[str, str], location: str
) -> None:
    """state.json: IDs, Tenant URL, scope, store and the token's salted hash (a new salt per token)."""
    assert outcome.app is not None
    if outcome.token_changed:
        salt = job_kind.new_salt()
        digest = job_kind.token_hash(token, salt)
    else:
        salt, digest = kept["tokenSalt"], kept["tokenHash"]
    provisioning = {
        "baseUrl": outcome.spec.base_url,
        "syncAll": outcome.spec.sync_all,
        "store": location,
        "tokenSalt": salt,
        "tokenHash": digest,
    }
    app = outcome.app
    record = Registration(
        portal=fd.NAME,
        display_name=fd.ENTERPRISE_APP,
        unique_name=fd.UNIQUE_NAME,
        tenant_id=outcome.tenant_id,
        app_id=app.app_id,
        object_id=app.id,
        resources={SERVICE_PRINCIPAL: (app.id,), job_kind.SYNCHRONIZATION_JOB: (outcome.job_id,)},
        provisioning=provisioning,
    )
    state.update(outcome.tenant_id, fd.UNIQUE_NAME, lambda _: record)


def _notes(outcome: ProvisionOutcome) -> None:
    code = str(outcome.status.get("code") or "")
    if outcome.spec.sync_all == "false":
        outcome.notes.append(fd.ASSIGNED_NOTE)
    missing = [row.attribute.display_name for row in outcome.mappings if row.missing]
    if missing:
        outcome.notes.append(
            f"mandatory attribute mapping missing: {', '.join(missing)} — restore it under Provisioning → "
            "Mappings in the Entra admin center, or Federated Directory refuses the users"
        )
    status_cmd = command_for("azure status", fd.NAME, name=None, sandbox=outcome.sandbox)
    base_url = fd.base_url_flag(outcome.spec.base_url, sandbox=outcome.sandbox)
    if code != job_kind.RUNNING:
        outcome.notes.append(f"the job is {code or 'not running'}: see `{status_cmd}`")
    outcome.next_steps = [
        f"Check it any time: {status_cmd} (exit 8 when it needs attention)",
        "Rotate the token: create a new directory key in Federated Directory and run "
        + command_for(
            "azure provision", fd.NAME, name=None, sandbox=outcome.sandbox, extra=["--token-stdin", *base_url]
        ),
    ]
    if outcome.test_user is None:
        outcome.next_steps.insert(
            0,
            "Prove one user arrives now: "
            + command_for(
                "azure provision",
                fd.NAME,
                name=None,
                sandbox=outcome.sandbox,
                extra=["--test-user", "UPN", *base_url],
            ),
        )


# --- register --portal federated-directory: the sign-in side ---------------------------------


@dataclass
class SignInOutcome:
    tenant_id: str
    sandbox: bool
    app: job_kind.EnterpriseApp | None
    steps: list[str]


def run_sign_in_guide(deps: Deps, *, sandbox: bool, tenant: str | None, cloud: str | None) -> SignInOutcome:
    """No app registration: the guide's sign-in steps, and whether the enterprise app exists (1 read)."""
    with graph_session(deps, sandbox=sandbox, tenant=tenant, cloud=cloud) as session:
        graph = cast(ProvisioningApi, session.graph)
        found = graph.find_service_principals(fd.ENTERPRISE_APP)
        app = (
            job_kind.EnterpriseApp(
                str(found[0]["id"]), str(found[0].get("appId") or ""), str(found[0].get("displayName"))
            )
            if found
            else None
        )
        steps = list(fd.SIGN_IN_STEPS)
        record = StateFile(deps.home, sleep=deps.sleep).get(session.tenant_id, fd.UNIQUE_NAME)
        recorded = (record.provisioning or {}).get("baseUrl") if record else None
        extra = ["--token-stdin", *fd.base_url_flag(recorded, sandbox=session.sandbox)]
        steps[-1] = steps[-1].replace(
            "ssoctl azure provision --portal federated-directory --token-stdin",
            command_for("azure provision", fd.NAME, name=None, sandbox=session.sandbox, extra=extra),
        )
        return SignInOutcome(session.tenant_id, session.sandbox, app, steps)


__all__ = [
    "MappingRow",
    "ProvisionOptions",
    "ProvisionOutcome",
    "SignInOutcome",
    "compare_mappings",
    "run_provision",
    "run_sign_in_guide",
    "token_ref",
]

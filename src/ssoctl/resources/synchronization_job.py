"""The `synchronizationJob` kind: SCIM provisioning to a portal, as Entra's "Provisioning" blade sets it up.

Two steps, in the resource model's verbs:

- `servicePrincipal` (the portal's enterprise app): found by display name, or added from the Entra
  app gallery (`instantiate`);
- `synchronizationJob`: the job made from the enterprise app's template, its Admin Credentials
  (Tenant URL, Secret Token, scope: the synchronization secrets) and "Provisioning Status On".

`read` asks Graph what exists (enterprise app, jobs, saved credentials); `diff` is pure and compares
with what is wanted — the token by a salted hash the local record keeps (Graph never returns it);
`apply` carries a step out: credentials are saved only after Entra's own "Test Connection"
(`validateCredentials`) passed, and the job is started only after they are saved.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as random_tokens
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ssoctl.credentials import Secret
from ssoctl.errors import GraphError
from ssoctl.graph.synchronization import ProvisioningApi
from ssoctl.resources.base import SERVICE_PRINCIPAL, Action, Change, Step

SYNCHRONIZATION_JOB = "synchronizationJob"
HASH_ITERATIONS = 200_000  # a slow salted hash: a copied state.json does not help guess a token
SCOPE_NAMES = {"true": "all users and groups", "false": "only assigned users and groups"}
RUNNING = "Active"

JSON = dict[str, Any]


def token_hash(token: Secret, salt: str) -> str:
    """PBKDF2-SHA256 of the token with the record's salt: what state.json keeps instead of the token."""
    return hashlib.pbkdf2_hmac("sha256", token.reveal().encode(), bytes.fromhex(salt), HASH_ITERATIONS).hex()


def new_salt() -> str:
    return random_tokens.token_hex(16)


def same_token(token: Secret, record: Mapping[str, str] | None) -> bool:
    """Does the local record say this token is the one saved in the job? (constant-time compare)"""
    if not record or not record.get("tokenHash") or not record.get("tokenSalt"):
        return False
    return hmac.compare_digest(token_hash(token, record["tokenSalt"]), record["tokenHash"])


@dataclass(frozen=True)
class ProvisioningSpec:
    """What is wanted: the enterprise app, the Tenant URL and the scope (the token is compared apart)."""

    enterprise_app: str
    base_url: str
    sync_all: str  # "true" | "false"


@dataclass(frozen=True)
class EnterpriseApp:
    id: str
    app_id: str
    display_name: str


@dataclass(frozen=True)
class JobState:
    id: str
    template_id: str
    status: JSON = field(default_factory=dict, compare=False)
    schedule_state: str = ""

    @property
    def code(self) -> str:
        return str(self.status.get("code") or "NotRun")


@dataclass(frozen=True)
class ProvisioningView:
    """What exists: the enterprise app, the gallery template to add it from, the job, saved secrets."""

    app: EnterpriseApp | None
    gallery_template: str | None
    job: JobState | None
    saved: Mapping[str, str | None]  # synchronization secrets as Graph shows them (no token value)


@dataclass(frozen=True)
class JobWork:
    """What the job step does, in order; never the token (apply gets it from the context)."""

    create: bool
    save_credentials: bool
    start: bool


def _pick(candidates: list[JSON], known_id: str | None) -> JSON | None:
    for item in candidates:
        if known_id and str(item.get("id")) == known_id:
            return item
    return candidates[0] if candidates else None


def read(
    graph: ProvisioningApi, spec: ProvisioningSpec, known: Mapping[str, tuple[str, ...]]
) -> ProvisioningView:
    """Graph → what exists. 2 reads for a tenant without the app, 3 once it has a job."""
    found = _pick(
        graph.find_service_principals(spec.enterprise_app), (known.get(SERVICE_PRINCIPAL) or ("",))[0]
    )
    if found is None:
        templates = graph.find_application_templates(spec.enterprise_app)
        return ProvisioningView(None, str(templates[0]["id"]) if templates else None, None, {})
    app = EnterpriseApp(str(found["id"]), str(found.get("appId") or ""), str(found.get("displayName") or ""))
    raw_job = _pick(graph.list_sync_jobs(app.id), (known.get(SYNCHRONIZATION_JOB) or ("",))[0])
    if raw_job is None:
        return ProvisioningView(app, None, None, {})
    job = JobState(
        str(raw_job["id"]),
        str(raw_job.get("templateId") or ""),
        dict(raw_job.get("status") or {}),
        str((raw_job.get("schedule") or {}).get("state") or ""),
    )
    saved = {str(s.get("key")): s.get("value") for s in graph.get_sync_secrets(app.id)}
    return ProvisioningView(app, None, job, saved)


def diff(
    spec: ProvisioningSpec, view: ProvisioningView, *, token_saved: bool, record: Mapping[str, str] | None
) -> tuple[Step, ...]:
    """Wanted vs existing → the enterprise app step and the job step. Pure.

    `token_saved`: the record's salted hash says the job already holds this token. Where Graph does
    not show a saved value (it never shows the token), the record's is used.
    """
    app_change = (
        Change(
            SERVICE_PRINCIPAL,
            Action.NONE,
            "enterprise app",
            f"'{view.app.display_name}' exists (appId {view.app.app_id}): reused",
            view.app.app_id,
            view.app.app_id,
        )
        if view.app
        else Change(
            SERVICE_PRINCIPAL,
            Action.CREATE,
            "enterprise app",
            f"add '{spec.enterprise_app}' from the Entra app gallery",
            None,
            spec.enterprise_app,
        )
    )
    app_step = Step(SERVICE_PRINCIPAL, app_change.action, (app_change,), payload=view.gallery_template)

    record = record or {}
    base_before = view.saved.get("BaseAddress") or (record.get("baseUrl") if view.job else None)
    scope_before = view.saved.get("SyncAll") or (record.get("syncAll") if view.job else None)
    new_job = view.job is None
    save = new_job or not token_saved or base_before != spec.base_url or scope_before != spec.sync_all
    # A running job keeps running through a credential change; anything else (new, paused, in
    # quarantine, never started) is started, which also clears a quarantine.
    start = view.job is None or view.job.code != RUNNING or view.job.schedule_state != RUNNING
    changes = [
        Change(
            SYNCHRONIZATION_JOB,
            Action.CREATE if new_job else Action.NONE,
            "provisioning job",
            "create from the enterprise app's template" if new_job else f"{view.job.id if view.job else ''}",
        ),
        _setting("Tenant URL", base_before, spec.base_url, create=new_job),
        Change(
            SYNCHRONIZATION_JOB,
            Action.NONE if token_saved and not new_job else (Action.CREATE if new_job else Action.UPDATE),
            "Secret Token",
            "the directory key's access token (unchanged)"
            if token_saved and not new_job
            else "the directory key's access token given now (checked with Federated Directory)",
            "saved" if view.job and token_saved else ("another token" if view.job else None),
            "saved",
        ),
        _setting(
            "Scope",
            SCOPE_NAMES.get(scope_before or "", scope_before),
            SCOPE_NAMES[spec.sync_all],
            create=new_job,
        ),
        Change(
            SYNCHRONIZATION_JOB,
            Action.UPDATE if start else Action.NONE,
            "Provisioning Status",
            "On (start the job)" if start else "On",
            view.job.code if view.job else None,
            RUNNING,
        ),
    ]
    action = Action.CREATE if new_job else (Action.UPDATE if save or start else Action.NONE)
    job_step = Step(
        SYNCHRONIZATION_JOB,
        action,
        tuple(changes),
        needs=(SERVICE_PRINCIPAL,),
        payload=JobWork(create=new_job, save_credentials=save, start=start),
    )
    return app_step, job_step


def _setting(target: str, before: str | None, after: str, *, create: bool) -> Change:
    if before == after and not create:
        return Change(SYNCHRONIZATION_JOB, Action.NONE, target, after, before, after)
    action = Action.CREATE if create or before is None else Action.UPDATE
    return Change(SYNCHRONIZATION_JOB, action, target, after, before, after)


@dataclass
class ProvisionContext:
    """What apply works with and fills in: the graph, the token, the IDs made or found."""

    graph: ProvisioningApi
    spec: ProvisioningSpec
    token: Secret
    app: EnterpriseApp | None = None
    job_id: str = ""
    created_app: bool = False
    events: list[str] = field(default_factory=list)


def apply_enterprise_app(step: Step, ctx: ProvisionContext) -> None:
    """Add the enterprise app from the gallery (the template found by `read`) when it is missing."""
    if step.action is not Action.CREATE:
        return
    template_id = step.payload
    if not template_id:
        raise GraphError(
            f"'{ctx.spec.enterprise_app}' is neither in this tenant nor in its Entra app gallery",
            status=404,
            hint="sign in to Federated Directory with Microsoft once as an admin (see `ssoctl azure register "
            "--portal federated-directory`); that consent creates the enterprise app",
        )
    made = ctx.graph.instantiate_template(str(template_id), ctx.spec.enterprise_app)
    sp = made.get("servicePrincipal") or {}
    ctx.app = EnterpriseApp(str(sp["id"]), str(sp.get("appId") or ""), str(sp.get("displayName") or ""))
    ctx.created_app = True
    ctx.events.append(
        f"added the enterprise app '{ctx.app.display_name}' from the gallery (appId {ctx.app.app_id})"
    )


def apply_job(step: Step, ctx: ProvisionContext) -> None:
    """Create the job, test the connection, save the credentials, start: in that order, as needed."""
    work = step.payload
    assert isinstance(work, JobWork) and ctx.app is not None
    sp_id = ctx.app.id
    if work.create:
        templates = ctx.graph.list_sync_templates(sp_id)
        if not templates:
            raise GraphError(
                f"the enterprise app '{ctx.app.display_name}' offers no provisioning template",
                status=404,
                hint="is it the Federated Directory gallery app? Check Provisioning in the Entra admin center",
            )
        job = ctx.graph.create_sync_job(sp_id, str(templates[0]["id"]))
        ctx.job_id = str(job["id"])
        ctx.events.append(f"created the provisioning job {ctx.job_id}")
    if work.save_credentials:
        ctx.graph.validate_credentials(sp_id, ctx.job_id, ctx.spec.base_url, ctx.token)
        ctx.events.append("Test Connection passed")
        ctx.graph.put_sync_secrets(sp_id, ctx.spec.base_url, ctx.token, ctx.spec.sync_all)
        ctx.events.append("saved the Tenant URL, Secret Token and scope")
    if work.start:
        ctx.graph.start_sync_job(sp_id, ctx.job_id)
        ctx.events.append("turned Provisioning Status on (job started)")


def user_mappings(schema: JSON) -> list[tuple[str, str]]:
    """(source attribute, target attribute) of the job's user mapping, from its schema."""
    pairs: list[tuple[str, str]] = []
    for rule in schema.get("synchronizationRules") or []:
        for mapping in rule.get("objectMappings") or []:
            if str(mapping.get("sourceObjectName") or "").lower() != "user":
                continue
            for attribute in mapping.get("attributeMappings") or []:
                source = attribute.get("source") or {}
                name = source.get("name") or str(source.get("expression") or "").strip("[]")
                pairs.append((str(name), str(attribute.get("targetAttributeName") or "")))
    return pairs


def user_rule_id(schema: JSON) -> str | None:
    """The rule provisionOnDemand needs: the one mapping Entra users."""
    for rule in schema.get("synchronizationRules") or []:
        for mapping in rule.get("objectMappings") or []:
            if str(mapping.get("sourceObjectName") or "").lower() == "user":
                return str(rule.get("id"))
    return None

"""`/servicePrincipals/{id}/synchronization`: SCIM provisioning jobs, as "Provisioning → Automatic" uses them.

Graph v1.0 pages: synchronization-synchronizationtemplate-list, -synchronizationjob-post, -get, -list,
-validatecredentials, -start, -pause, -provisionondemand, -synchronizationschema-get and
synchronization-serviceprincipal-put-synchronization (secrets). A job is created from one of the
service principal's templates (only Federated Directory's app has one here); "Test Connection"
(`validateCredentials`) really calls the SCIM base URL it is given, over loopback only, with the
bearer token; secrets are saved with `PUT …/synchronization/secrets {"value": [{key, value}]}`.

The secret token is never written to tenant.json: the tenant keeps its SHA-256 only, and the text
lives in this process's memory (`_TOKENS`) for the provisioning cycles and on-demand runs that
call the SCIM API. Reads never return it. Time does not pass in the sandbox, so a provisioning
cycle runs when a job starts and each time a running job is read (instead of every 40 minutes):
it checks the token against the SCIM API and, with SyncAll, exports every user. A refused token
quarantines the job (`EncounteredQuarantineException`), as Entra does.
"""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from ssoctl.sandbox import graph_errors as ge
from ssoctl.sandbox.resources import service_principals
from ssoctl.sandbox.resources.application_templates import (
    FEDERATED_DIRECTORY,
    FEDERATED_DIRECTORY_TEMPLATE_ID,
)
from ssoctl.sandbox.resources.common import JSON, graph_time
from ssoctl.sandbox.resources.users import find_user
from ssoctl.sandbox.router import Context, Response, Router
from ssoctl.sandbox.schema import Validator, load_schema

# synchronization-* pages: Synchronization.Read.All / Synchronization.ReadWrite.All (delegated and
# application), Application.ReadWrite.OwnedBy for an app's own service principal.
SYNC_READ = ("Synchronization.Read.All", "Synchronization.ReadWrite.All", "Application.ReadWrite.OwnedBy")
SYNC_WRITE = ("Synchronization.ReadWrite.All", "Application.ReadWrite.OwnedBy")
TEMPLATE_ID = "federatedDirectory"  # the factory tag Entra's template ids are named after (a best guess)
USER_RULE_ID = "6c5a1f1e-3b1c-4f6e-9a0d-7c2b8e4d5f10"
SENSITIVE = {
    "SecretToken",
    "Password",
    "ClientSecret",
    "Oauth2AccessToken",
    "Oauth2RefreshToken",
    "Oauth2ClientSecret",
}
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
NEVER = "0001-01-01T00:00:00Z"
SCIM_TIMEOUT = 5.0
QUARANTINE_RETRY = timedelta(days=1)  # a quarantined job syncs at most once a day (GRAPH.md)
CREDENTIALS_FAILED = (
    "Failed to validate credentials. You appear to have entered invalid credentials. Please confirm "
    "you are using the correct information for an administrative account. Error code: {code} "
    "Details: {details}"
)
UNAUTHORIZED_CODE = "SystemForCrossDomainIdentityManagementCredentialValidationUnauthorized"
UNAVAILABLE_CODE = "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable"

# The secret token of each service principal, in this process only: "{tenant}/{sp id}" -> text.
_TOKENS: dict[str, str] = {}
_TOKENS_LOCK = threading.Lock()

# Federated Directory's default attribute mapping (the guide's table, as Entra's template ships it).
# (source attribute, SCIM target attribute); the guide's costCenter has no default mapping.
USER_MAPPINGS = (
    ("userPrincipalName", "userName"),
    ("displayName", "displayName"),
    ("givenName", "name.givenName"),
    ("surname", "name.familyName"),
    ("mail", 'emails[type eq "work"].value'),
    ("telephoneNumber", 'phoneNumbers[type eq "work"].value'),
    ("mobile", 'phoneNumbers[type eq "mobile"].value'),
    ("streetAddress", 'addresses[type eq "work"].streetAddress'),
    ("city", 'addresses[type eq "work"].locality'),
    ("state", 'addresses[type eq "work"].region'),
    ("postalCode", 'addresses[type eq "work"].postalCode'),
    ("country", 'addresses[type eq "work"].country'),
    ("preferredLanguage", "preferredLanguage"),
    ("employeeId", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"),
    ("jobTitle", "title"),
    ("department", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
    ("manager", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"),
    ("objectId", "externalId"),
)


def register(router: Router) -> None:
    base = "/servicePrincipals/{sp}/synchronization"
    router.add("GET", base, get_synchronization, permissions=SYNC_READ)
    router.add("PUT", f"{base}/secrets", put_secrets, permissions=SYNC_WRITE)
    router.add("GET", f"{base}/templates", list_templates, permissions=SYNC_READ)
    router.add("GET", f"{base}/jobs", list_jobs, permissions=SYNC_READ)
    router.add("POST", f"{base}/jobs", create_job, permissions=SYNC_WRITE)
    router.add("GET", f"{base}/jobs/{{job}}", get_job, permissions=SYNC_READ)
    router.add("DELETE", f"{base}/jobs/{{job}}", delete_job, permissions=SYNC_WRITE)
    router.add("GET", f"{base}/jobs/{{job}}/schema", get_schema, permissions=SYNC_READ)
    router.add(
        "POST", f"{base}/jobs/{{job}}/validateCredentials", validate_credentials, permissions=SYNC_WRITE
    )
    router.add("POST", f"{base}/jobs/{{job}}/start", start_job, permissions=SYNC_WRITE)
    router.add("POST", f"{base}/jobs/{{job}}/pause", pause_job, permissions=SYNC_WRITE)
    router.add("POST", f"{base}/jobs/{{job}}/provisionOnDemand", provision_on_demand, permissions=SYNC_WRITE)


# --- Stored shape ------------------------------------------------------------------------------


def _sync(ctx: Context, sp: JSON) -> JSON:
    """The service principal's synchronization document: saved secrets (no token) and jobs."""
    all_sync: JSON = ctx.state.setdefault("synchronization", {})
    sync: JSON = all_sync.setdefault(sp["id"], {"secrets": [], "secretTokenSha256": None, "jobs": {}})
    return sync


def _token_key(ctx: Context, sp: JSON) -> str:
    return f"{ctx.state['tenantId']}/{sp['id']}"


def forget_tokens() -> None:
    """Drop every in-memory token (tests: a new process)."""
    with _TOKENS_LOCK:
        _TOKENS.clear()


def _has_template(sp: JSON) -> bool:
    return sp.get("applicationTemplateId") == FEDERATED_DIRECTORY_TEMPLATE_ID or (
        sp.get("displayName") == FEDERATED_DIRECTORY
    )


def _template(sp: JSON) -> JSON:
    body = load_schema().blank("synchronizationTemplate")
    body.update(
        id=TEMPLATE_ID,
        applicationId=sp["appId"],
        default=True,
        description="Federated Directory SCIM 2.0 user provisioning",
        discoverable=True,
        factoryTag=TEMPLATE_ID,
        metadata=[
            {"key": "GalleryApplicationIdentifier", "value": FEDERATED_DIRECTORY_TEMPLATE_ID},
            {"key": "IsOAuthEnabled", "value": "false"},
        ],
    )
    return body


def _schema(job_id: str) -> JSON:
    mappings = [
        {
            "defaultValue": None,
            "exportMissingReferences": False,
            "flowBehavior": "FlowWhenChanged",
            "flowType": "Always",
            "matchingPriority": 1 if target == "userName" else 0,
            "source": {"expression": f"[{source}]", "name": source, "parameters": [], "type": "Attribute"},
            "targetAttributeName": target,
        }
        for source, target in USER_MAPPINGS
    ]
    return {
        "id": job_id,
        "version": "date:2026-11-01T00:00:00Z~userUpdated:False~galleryUpdated:True",
        "synchronizationRules": [
            {
                "containerFilter": {"includedContainers": []},
                "editable": True,
                "groupFilter": {"includedGroups": []},
                "id": USER_RULE_ID,
                "metadata": [],
                "name": "USER_OUTBOUND_USER",
                "objectMappings": [
                    {
                        "attributeMappings": mappings,
                        "enabled": True,
                        "flowTypes": "Add, Update, Delete",
                        "metadata": [],
                        "name": "Provision Microsoft Entra ID Users",
                        "scope": None,
                        "sourceObjectName": "User",
                        "targetObjectName": "urn:ietf:params:scim:schemas:core:2.0:User",
                    }
                ],
                "priority": 1,
                "sourceDirectoryName": "Azure Active Directory",
                "targetDirectoryName": "customappsso",
            }
        ],
    }


def _new_status() -> JSON:
    return {
        "code": "NotConfigured",
        "countSuccessiveCompleteFailures": 0,
        "escrowsPruned": False,
        "lastExecution": None,
        "lastSuccessfulExecution": None,
        "lastSuccessfulExecutionWithExports": None,
        "progress": [],
        "quarantine": None,
        "steadyStateFirstAchievedTime": NEVER,
        "steadyStateLastAchievedTime": NEVER,
        "synchronizedEntryCountByType": [],
        "troubleshootingUrl": None,
    }


def _new_job(template_id: str) -> JSON:
    return {
        "id": f"{template_id}.{uuid.uuid4().hex}.{uuid.uuid4().hex}",
        "templateId": template_id,
        "schedule": {"expiration": None, "interval": "PT40M", "state": "Disabled"},
        "status": _new_status(),
        "synchronizationJobSettings": [
            {"name": "QuarantineTooManyDeletesThreshold", "value": "500"},
            {"name": "ConnectorDataStorePersisted", "value": "true"},
        ],
    }


# --- Lookup -----------------------------------------------------------------------------------


def _job(ctx: Context, sp: JSON) -> JSON:
    segment = ctx.params["job"]
    wanted = segment if isinstance(segment, str) else segment.value
    job = _sync(ctx, sp)["jobs"].get(wanted)
    if job is None:
        raise ge.resource_not_found(wanted)
    assert isinstance(job, dict)
    return job


def _job_body(ctx: Context, sp: JSON, job: JSON) -> JSON:
    return {
        "@odata.context": f"{ctx.base_url}/$metadata#servicePrincipals('{sp['id']}')/synchronization/jobs/$entity",
        **job,
    }


# --- SCIM calls (loopback only) -----------------------------------------------------------------


class ScimUnreachable(Exception):
    """The SCIM endpoint could not be asked (not loopback, refused, timed out)."""


def _scim(base: str, token: str, method: str, path: str, body: JSON | None = None) -> tuple[int, Any]:
    host = (urlsplit(base).hostname or "").lower()
    if urlsplit(base).scheme not in ("http", "https") or host not in LOOPBACK:
        raise ScimUnreachable(
            f"the sandbox calls only SCIM endpoints on loopback (127.0.0.1, ::1, localhost), not {base}"
        )
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base.rstrip("/") + path,
        data=data,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/scim+json",
            "Accept": "application/scim+json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=SCIM_TIMEOUT) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw) if raw else None
        except ValueError:
            return err.code, None
    except (OSError, ValueError) as exc:
        raise ScimUnreachable(f"cannot connect to {base}: {exc}") from None


def _test_connection(base: str, token: str) -> None:
    """What "Test Connection" does: a user query that matches nobody; 2xx means the token works."""
    probe = quote(f'userName eq "{uuid.uuid4()}"')
    try:
        status, _ = _scim(base, token, "GET", f"/Users?filter={probe}&count=1")
    except ScimUnreachable as exc:
        raise ge.bad_request(CREDENTIALS_FAILED.format(code=UNAVAILABLE_CODE, details=str(exc))) from None
    if status in (401, 403):
        raise ge.bad_request(
            CREDENTIALS_FAILED.format(code=UNAUTHORIZED_CODE, details=f"the SCIM endpoint answered {status}.")
        )
    if status >= 300:
        raise ge.bad_request(
            CREDENTIALS_FAILED.format(code=UNAVAILABLE_CODE, details=f"the SCIM endpoint answered {status}.")
        )


def _scim_user(user: JSON) -> JSON:
    return {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ],
        "externalId": user["id"],
        "userName": user["userPrincipalName"],
        "displayName": user["displayName"],
        "active": bool(user.get("accountEnabled", True)),
        "name": {"givenName": user.get("givenName") or "", "familyName": user.get("surname") or ""},
        "emails": [{"type": "work", "primary": True, "value": user.get("mail") or user["userPrincipalName"]}],
        "title": user.get("jobTitle") or "",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": user.get("department") or ""
        },
    }


def _export(base: str, token: str, user: JSON) -> tuple[str, int, Any]:
    """Create the user in the SCIM app, or update the one with its userName: (action, status, body)."""
    wanted = quote(f'userName eq "{user["userPrincipalName"]}"')
    status, found = _scim(base, token, "GET", f"/Users?filter={wanted}")
    if status >= 300:
        return "Import", status, found
    body = _scim_user(user)
    existing = (found or {}).get("Resources") or []
    if existing:
        patch = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {
                    "op": "replace",
                    "value": {k: v for k, v in body.items() if k not in ("schemas", "userName")},
                }
            ],
        }
        status, answer = _scim(base, token, "PATCH", f"/Users/{existing[0]['id']}", patch)
        return "Update", status, answer
    status, answer = _scim(base, token, "POST", "/Users", body)
    return "Create", status, answer


def _saved(sync: JSON, key: str) -> str | None:
    for pair in sync["secrets"]:
        if pair.get("key") == key:
            value = pair.get("value")
            return value if isinstance(value, str) else None
    return None


# --- The cycle ------------------------------------------------------------------------------


def _execution(ctx: Context, *, state: str, entitled: int, exported: int, error: JSON | None) -> JSON:
    moment = graph_time(ctx.now)
    return {
        "activityIdentifier": str(uuid.uuid4()),
        "countEntitled": entitled,
        "countEntitledForProvisioning": entitled,
        "countEscrowed": 0,
        "countEscrowedRaw": 0,
        "countExported": exported,
        "countExports": exported,
        "countImported": entitled,
        "countImportedDeltas": 0,
        "countImportedReferenceDeltas": 0,
        "error": error,
        "state": state,
        "timeBegan": moment,
        "timeEnded": moment,
    }


def _quarantine(ctx: Context, job: JSON, error: JSON) -> None:
    status = job["status"]
    now = graph_time(ctx.now)
    previous = status.get("quarantine") or {}
    status["code"] = "Quarantine"
    status["countSuccessiveCompleteFailures"] = int(status.get("countSuccessiveCompleteFailures") or 0) + 1
    status["lastExecution"] = _execution(ctx, state="Failed", entitled=0, exported=0, error=error)
    status["quarantine"] = {
        "currentBegan": previous.get("currentBegan") or now,
        "error": error,
        "nextAttempt": graph_time(ctx.now + QUARANTINE_RETRY),
        "reason": "EncounteredQuarantineException",
        "seriesBegan": previous.get("seriesBegan") or now,
        "seriesCount": int(previous.get("seriesCount") or 0) + 1,
    }


def _cycle(ctx: Context, sp: JSON, job: JSON) -> None:
    """One provisioning cycle: check the token, export users in scope (SyncAll), record the result."""
    sync = _sync(ctx, sp)
    base = _saved(sync, "BaseAddress") or ""
    with _TOKENS_LOCK:
        token = _TOKENS.get(_token_key(ctx, sp))
    sync_all = (_saved(sync, "SyncAll") or "false").lower() == "true"
    users = list(ctx.state.get("users", {}).values()) if sync_all else []
    exported = 0
    if token is not None:  # else saved by another process: assume the checked credentials still work
        try:
            _test_connection(base, token)
            for user in users:
                _, status, _ = _export(base, token, user)
                exported += 1 if status < 300 else 0
        except ge.GraphFault as fault:
            code = UNAUTHORIZED_CODE if UNAUTHORIZED_CODE in fault.message else UNAVAILABLE_CODE
            _quarantine(ctx, job, {"code": code, "message": fault.message, "tenantActionable": True})
            return
    status = job["status"]
    now = graph_time(ctx.now)
    execution = _execution(ctx, state="Succeeded", entitled=len(users), exported=exported, error=None)
    status.update(
        code="Active",
        countSuccessiveCompleteFailures=0,
        lastExecution=execution,
        lastSuccessfulExecution=execution,
        quarantine=None,
        synchronizedEntryCountByType=[
            {"key": "User to urn:ietf:params:scim:schemas:core:2.0:User", "value": len(users)}
        ],
    )
    if exported:
        status["lastSuccessfulExecutionWithExports"] = execution
    if status["steadyStateFirstAchievedTime"] == NEVER:
        status["steadyStateFirstAchievedTime"] = now
    status["steadyStateLastAchievedTime"] = now


# --- Handlers ---------------------------------------------------------------------------------


def get_synchronization(ctx: Context) -> Response:
    """The synchronization object; saved secrets show their keys, and values only where not secret."""
    sp = service_principals.lookup(ctx)
    sync = _sync(ctx, sp)
    shown = [
        {"key": pair["key"], "value": None if pair["key"] in SENSITIVE else pair.get("value")}
        for pair in sync["secrets"]
    ]
    return Response(
        200,
        {
            "@odata.context": f"{ctx.base_url}/$metadata#servicePrincipals('{sp['id']}')/synchronization/$entity",
            "id": sp["id"],
            "secrets": shown,
        },
    )


def put_secrets(ctx: Context) -> Response:
    """`PUT …/synchronization/secrets {"value": [{key, value}]}`: replaces the saved credentials (204)."""
    sp = service_principals.lookup(ctx)
    body = ctx.json_body()
    if not isinstance(body, dict) or set(body) - {"value"} or not isinstance(body.get("value"), list):
        raise ge.bad_request('The request body must be {"value": [{"key": …, "value": …}]}.')
    pairs = body["value"]
    prop = load_schema().properties("synchronization")["secrets"]
    Validator().check_value(pairs, prop)
    sync = _sync(ctx, sp)
    token = next((p.get("value") for p in pairs if p.get("key") == "SecretToken"), None)
    sync["secrets"] = [
        {"key": p["key"], "value": None if p["key"] in SENSITIVE else p.get("value")} for p in pairs
    ]
    sync["secretTokenSha256"] = hashlib.sha256(token.encode()).hexdigest() if isinstance(token, str) else None
    with _TOKENS_LOCK:
        if isinstance(token, str):
            _TOKENS[_token_key(ctx, sp)] = token
        else:
            _TOKENS.pop(_token_key(ctx, sp), None)
    for job in sync["jobs"].values():
        if job["status"]["code"] == "NotConfigured":
            job["status"]["code"] = "NotRun"
    return Response(204)


def list_templates(ctx: Context) -> Response:
    sp = service_principals.lookup(ctx)
    values = [_template(sp)] if _has_template(sp) else []
    return Response(
        200,
        {
            "@odata.context": f"{ctx.base_url}/$metadata#servicePrincipals('{sp['id']}')/synchronization/templates",
            "value": values,
        },
    )


def list_jobs(ctx: Context) -> Response:
    sp = service_principals.lookup(ctx)
    jobs = list(_sync(ctx, sp)["jobs"].values())
    return Response(
        200,
        {
            "@odata.context": f"{ctx.base_url}/$metadata#servicePrincipals('{sp['id']}')/synchronization/jobs",
            "value": jobs,
        },
    )


def create_job(ctx: Context) -> Response:
    """`POST …/jobs {"templateId"}` (201). A template the service principal does not have is a 400."""
    sp = service_principals.lookup(ctx)
    body = ctx.json_body()
    Validator().check_object(body, "synchronizationJob", top_level=True)
    for name in ("id", "status"):
        if name in body:
            raise ge.read_only(name)
    template_id = body.get("templateId")
    if not isinstance(template_id, str) or not template_id:
        raise ge.required_missing("templateId")
    if not _has_template(sp) or template_id != TEMPLATE_ID:
        raise ge.bad_request(f"Template '{template_id}' was not found for this application.")
    job = _new_job(template_id)
    if _sync(ctx, sp)["secrets"]:
        job["status"]["code"] = "NotRun"
    _sync(ctx, sp)["jobs"][job["id"]] = job
    return Response(201, _job_body(ctx, sp, job))


def get_job(ctx: Context) -> Response:
    """The job; reading a running job stands for the passing of time: its next cycle runs now."""
    sp = service_principals.lookup(ctx)
    job = _job(ctx, sp)
    if job["schedule"]["state"] == "Active":
        _cycle(ctx, sp, job)
    return Response(200, _job_body(ctx, sp, job))


def delete_job(ctx: Context) -> Response:
    sp = service_principals.lookup(ctx)
    job = _job(ctx, sp)
    del _sync(ctx, sp)["jobs"][job["id"]]
    return Response(204)


def get_schema(ctx: Context) -> Response:
    sp = service_principals.lookup(ctx)
    job = _job(ctx, sp)
    return Response(200, _schema(job["id"]))


def validate_credentials(ctx: Context) -> Response:
    """ "Test Connection": the given (or saved) BaseAddress and SecretToken against the SCIM API; 204."""
    sp = service_principals.lookup(ctx)
    _job(ctx, sp)
    body = Validator().check_action(ctx.json_body(required=False), "synchronizationJob.validateCredentials")
    if body.get("useSavedCredentials"):
        sync = _sync(ctx, sp)
        base = _saved(sync, "BaseAddress")
        with _TOKENS_LOCK:
            token = _TOKENS.get(_token_key(ctx, sp))
    else:
        given = {p.get("key"): p.get("value") for p in body.get("credentials") or []}
        base, token = given.get("BaseAddress"), given.get("SecretToken")
    if not isinstance(base, str) or not base:
        raise ge.bad_request(
            CREDENTIALS_FAILED.format(code=UNAVAILABLE_CODE, details="Tenant URL (BaseAddress) is missing.")
        )
    if not isinstance(token, str) or not token:
        raise ge.bad_request(
            CREDENTIALS_FAILED.format(code=UNAUTHORIZED_CODE, details="Secret Token is missing.")
        )
    _test_connection(base, token)
    return Response(204)


def start_job(ctx: Context) -> Response:
    """Start (or resume) the job; a quarantine is cleared and the first cycle runs (204)."""
    sp = service_principals.lookup(ctx)
    job = _job(ctx, sp)
    if not _sync(ctx, sp)["secrets"]:
        raise ge.bad_request(
            "The job cannot be started: its credentials (synchronization secrets) are not set."
        )
    job["schedule"]["state"] = "Active"
    job["status"]["quarantine"] = None
    _cycle(ctx, sp, job)
    return Response(204)


def pause_job(ctx: Context) -> Response:
    sp = service_principals.lookup(ctx)
    job = _job(ctx, sp)
    job["schedule"]["state"] = "Paused"
    job["status"]["code"] = "Paused"
    return Response(204)


def provision_on_demand(ctx: Context) -> Response:
    """Provision one user now: create or update it in the SCIM app; 200 with the steps taken."""
    sp = service_principals.lookup(ctx)
    _job(ctx, sp)
    body = Validator().check_action(ctx.json_body(), "synchronizationJob.provisionOnDemand")
    parameters = body.get("parameters") or []
    if len(parameters) != 1 or parameters[0].get("ruleId") != USER_RULE_ID:
        raise ge.bad_request("The ruleId is not a rule of this job's schema.")
    subjects = parameters[0].get("subjects") or []
    if len(subjects) != 1 or (subjects[0].get("objectTypeName") or "").lower() != "user":
        raise ge.bad_request("Provision on demand takes exactly one subject of objectTypeName 'User'.")
    user = find_user(ctx.state, str(subjects[0].get("objectId") or ""))
    if user is None:
        raise ge.resource_not_found(str(subjects[0].get("objectId")))
    sync = _sync(ctx, sp)
    base = _saved(sync, "BaseAddress") or ""
    with _TOKENS_LOCK:
        token = _TOKENS.get(_token_key(ctx, sp))
    if token is None:
        raise ge.bad_request(
            "The job's saved credentials are not available in this sandbox process; run provision again."
        )
    try:
        action, status, answer = _export(base, token, user)
    except ScimUnreachable as exc:
        action, status, answer = "Export", 0, {"detail": str(exc)}
    ok = 200 <= status < 300
    steps = [
        _step(
            ctx,
            0,
            "EntryImport",
            "Import",
            f"Retrieved {user['userPrincipalName']} from Microsoft Entra ID",
            True,
        ),
        _step(
            ctx,
            1,
            "EntrySynchronizationScoping",
            "Scoping",
            "The user is in scope (provisioned on demand).",
            True,
        ),
        _step(
            ctx,
            2,
            "EntryExportAdd" if action == "Create" else "EntryExportUpdate",
            "Export",
            f"{action} of the user in the target app: HTTP {status}"
            + ("" if ok else f" ({(answer or {}).get('detail', 'failed')})"),
            ok,
        ),
    ]
    result = {
        "provisioningSteps": steps,
        "modifiedProperties": [
            {"displayName": target, "newValue": str(user.get(source) or ""), "oldValue": None}
            for source, target in USER_MAPPINGS[:2]
        ],
        "targetObjectId": (answer or {}).get("id") if ok else None,
    }
    return Response(
        200,
        {
            "@odata.context": f"{ctx.base_url}/$metadata#microsoft.graph.stringKeyStringValuePair",
            "key": "Microsoft.Identity.Provisioning.OnDemandResult",
            "value": json.dumps(result),
        },
    )


def _step(ctx: Context, index: int, name: str, kind: str, description: str, ok: bool) -> JSON:
    return {
        "name": name,
        "type": kind,
        "description": description,
        "timestamp": graph_time(ctx.now + timedelta(milliseconds=index)),
        "status": "Success" if ok else "Failure",
        "details": {},
    }

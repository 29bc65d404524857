"""`ssoctl azure status --portal federated-directory`: is provisioning running? Reads only.

Healthy means the enterprise app exists, its provisioning job is started (`schedule.state` Active)
and its status is `Active` — not `Paused`, not in `Quarantine`, not `NotRun`. Anything else is
exit 8 with the command that fixes it: a quarantine after a token change is cleared by
`provision` once the new token passes Federated Directory's check and Entra's Test Connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from ssoctl.deps import Deps
from ssoctl.graph.synchronization import ProvisioningApi
from ssoctl.portals import federated_directory as fd
from ssoctl.resources import synchronization_job as job_kind
from ssoctl.state import StateFile

from .hints import command_for
from .session import graph_session


@dataclass
class ProvisionStatus:
    tenant_id: str
    sandbox: bool
    app: job_kind.EnterpriseApp | None = None
    job_id: str = ""
    schedule: str = ""
    status: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def code(self) -> str:
        return str(self.status.get("code") or ("NotConfigured" if self.job_id else "none"))


def read_status(deps: Deps, *, sandbox: bool, tenant: str | None, cloud: str | None) -> ProvisionStatus:
    """Enterprise app → its job (the one ssoctl recorded, else the first) → the job's status."""
    with graph_session(deps, sandbox=sandbox, tenant=tenant, cloud=cloud) as session:
        graph = cast(ProvisioningApi, session.graph)
        result = ProvisionStatus(session.tenant_id, session.sandbox)
        record = StateFile(deps.home, sleep=deps.sleep).get(session.tenant_id, fd.UNIQUE_NAME)
        known = record.resources if record else {}
        recorded = (record.provisioning or {}).get("baseUrl") if record else None
        extra = ["--token-stdin", *fd.base_url_flag(recorded, sandbox=session.sandbox)]
        provision = command_for("azure provision", fd.NAME, name=None, sandbox=session.sandbox, extra=extra)
        found = graph.find_service_principals(fd.ENTERPRISE_APP)
        wanted = (known.get("servicePrincipal") or ("",))[0]
        app = next((a for a in found if a.get("id") == wanted), found[0] if found else None)
        if app is None:
            result.problems.append(f"the enterprise app '{fd.ENTERPRISE_APP}' does not exist in this tenant")
            result.fixes.append(f"set provisioning up: {provision}")
            return result
        result.app = job_kind.EnterpriseApp(
            str(app["id"]), str(app.get("appId") or ""), str(app.get("displayName"))
        )
        jobs = graph.list_sync_jobs(result.app.id)
        wanted_job = (known.get(job_kind.SYNCHRONIZATION_JOB) or ("",))[0]
        job = next((j for j in jobs if j.get("id") == wanted_job), jobs[0] if jobs else None)
        if job is None:
            result.problems.append("provisioning is not set up: the enterprise app has no provisioning job")
            result.fixes.append(f"set it up: {provision}")
            return result
        result.job_id = str(job["id"])
        fresh = graph.get_sync_job(result.app.id, result.job_id)
        result.status = dict(fresh.get("status") or {})
        result.schedule = str((fresh.get("schedule") or {}).get("state") or "")
        _judge(result, provision)
        return result


def _judge(result: ProvisionStatus, provision: str) -> None:
    code = result.code
    quarantine = result.status.get("quarantine") or {}
    if code == "Quarantine" or quarantine:
        error = (quarantine.get("error") or {}).get("message") or ""
        result.problems.append(
            f"the job is in quarantine ({quarantine.get('reason', 'unknown reason')})"
            + (f": {error}" if error else "")
        )
        result.fixes.append(
            "if the Federated Directory token changed or was revoked, create a new directory key and run "
            f"{provision}; it restarts the job once the new token passes"
        )
    elif code == "Paused" or result.schedule == "Paused":
        result.problems.append("provisioning is paused (Provisioning Status Off)")
        result.fixes.append(f"turn it back on: {provision}")
    elif code != job_kind.RUNNING or result.schedule != job_kind.RUNNING:
        result.problems.append(
            f"the job is not running (status {code}, schedule {result.schedule or 'unknown'})"
        )
        result.fixes.append(f"start it: {provision}")
    last = result.status.get("lastExecution") or {}
    if not result.problems and last.get("state") == "Failed":
        result.problems.append(
            f"the last provisioning cycle failed: {(last.get('error') or {}).get('message', '')}"
        )
        result.fixes.append("see Provisioning logs in the Entra admin center")

"""`ssoctl secrets status`: the live expiry of every credential ssoctl manages (or, with `--all`,
of every app registration in the tenant), for a person, cron or CI.

Reads only, in as few Graph requests as Graph allows: the managed apps by `appId in (…)` (15 to a
request), or the whole tenant in pages of 999 with only the credential properties selected.
Then, optionally, a calendar file (`--ics`) and a webhook post (`--notify`, only when something
needs attention). The exit code is 8 when a credential expires within the window, has expired,
or a managed app is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ssoctl.credential_health import CredentialHealth, assess, check_days
from ssoctl.deps import Deps
from ssoctl.errors import EXIT_ATTENTION, EXIT_OK
from ssoctl.graph.api import CREDENTIAL_SELECT
from ssoctl.graph.lag import Expected
from ssoctl.state import Registration, StateFile

from .hints import rotate_command
from .session import graph_session

WITHIN_DEFAULT = 30


@dataclass(frozen=True)
class StatusOptions:
    within: int = WITHIN_DEFAULT
    all_apps: bool = False
    ics: Path | None = None
    alarm_days: int = 14
    notify: str | None = None
    sandbox: bool = False
    tenant: str | None = None
    cloud: str | None = None


@dataclass
class StatusReport:
    tenant_id: str
    sandbox: bool
    within: int
    now: datetime
    rows: list[CredentialHealth]
    missing: list[Registration]  # recorded in state.json, but the application is gone
    home: Path
    notified: bool = False
    calendar: Path | None = None
    registrations: list[Registration] = field(default_factory=list)

    @property
    def attention(self) -> list[CredentialHealth]:
        return [r for r in self.rows if r.needs_attention]

    @property
    def needs_attention(self) -> bool:
        return bool(self.attention or self.missing)

    @property
    def exit_code(self) -> int:
        return EXIT_ATTENTION if self.needs_attention else EXIT_OK

    def command(self, row: CredentialHealth) -> str | None:
        """The exact rotate command for a secret of a registration ssoctl manages."""
        if row.registration is None or row.kind != "secret":
            return None
        return rotate_command(row.registration, sandbox=self.sandbox, home=self.home)

    def summary(self) -> str:
        """A few plain lines for a chat channel: what needs doing, and the command for it."""
        where = f"tenant {self.tenant_id}" + (" (sandbox)" if self.sandbox else "")
        lines = [f"ssoctl secrets status, {where}: {len(self.attention) + len(self.missing)} need attention"]
        for row in self.attention:
            what = "client secret" if row.kind == "secret" else "certificate"
            when = (
                f"expired on {row.end:%Y-%m-%d}"
                if row.status == "expired" and row.end
                else f"expires in {row.days_left} day(s), on {row.end:%Y-%m-%d}"
                if row.end
                else ""
            )
            command = self.command(row)
            lines.append(
                f"- {row.label}: {what} {row.key_id} {when}" + (f": run `{command}`" if command else "")
            )
        for reg in self.missing:
            lines.append(
                f"- {reg.display_name} ({reg.portal}): the app registration {reg.app_id} no longer exists"
            )
        return "\n".join(lines)


def check_options(opts: StatusOptions) -> None:
    """Bad input, before any request."""
    check_days(opts.within, "--within", example=30)
    check_days(opts.alarm_days, "--alarm-days", example=14)
    if opts.ics is not None:
        from ssoctl.expiry_calendar import check_target

        check_target(opts.ics)
    if opts.notify is not None:
        from ssoctl.notify import check_webhook

        check_webhook(opts.notify)


def _expected(regs: list[Registration]) -> list[Expected]:
    """What the registrations' records say ssoctl wrote: a secret just added is not called lost
    while replication hides it from the list (graph.lag)."""
    from ssoctl.resources.application import expectation

    return [e for e in (expectation(r) for r in regs) if e is not None]


def run_status(opts: StatusOptions, deps: Deps) -> StatusReport:
    check_options(opts)
    state = StateFile(deps.home)
    with graph_session(deps, sandbox=opts.sandbox, tenant=opts.tenant, cloud=opts.cloud) as session:
        tenant_id = session.tenant_id
        # App registrations only: a provisioning record (Federated Directory) holds a SCIM token,
        # not a credential of an app registration.
        regs = [r for r in state.all() if r.tenant_id == tenant_id and not r.provisioning]
        if opts.all_apps:
            apps = session.graph.list_applications(CREDENTIAL_SELECT, None, _expected(regs))
        elif regs:
            apps = session.graph.list_applications(
                CREDENTIAL_SELECT, [r.app_id for r in regs], _expected(regs)
            )
        else:
            apps = []
        sandbox = session.sandbox
    now = deps.clock()
    found = {str(a.get("appId") or "").lower() for a in apps}
    report = StatusReport(
        tenant_id=tenant_id,
        sandbox=sandbox,
        within=opts.within,
        now=now,
        rows=assess(apps, regs, tenant_id=tenant_id, now=now, within=opts.within),
        missing=[r for r in regs if r.app_id.lower() not in found],
        home=deps.home,
        registrations=regs,
    )
    if opts.ics is not None:
        from ssoctl.errors import StoreError
        from ssoctl.expiry_calendar import calendar_bytes, write_calendar

        data = calendar_bytes(report.rows, now=now, alarm_days=opts.alarm_days, command=report.command)
        try:
            write_calendar(opts.ics, data)
        except OSError as exc:
            raise StoreError(
                f"cannot write {opts.ics}: {exc.strerror or exc}", hint="choose a writable --ics path"
            ) from None
        report.calendar = opts.ics
    return report


def notify(report: StatusReport, url: str | None) -> None:
    """Post the summary to the webhook, only when something needs attention (a quiet channel
    means all is well). Called after the report is shown, so a failed post loses nothing."""
    if url is None or not report.needs_attention:
        return
    from ssoctl.notify import post_text

    post_text(url, report.summary())
    report.notified = True


def status_json(doc: dict[str, object]) -> str:
    """The document as text: indented like every ssoctl document, but one line per credential.
    json's indenting encoder is pure Python, ~1 s for a tenant of 10,000 apps; its C encoder
    writes each entry compactly in a fraction of that."""
    import json

    lines = []
    for key, value in doc.items():
        if key == "secrets" and isinstance(value, list) and value:
            entries = ",\n".join("    " + json.dumps(v, ensure_ascii=False) for v in value)
            lines.append(f'  "{key}": [\n{entries}\n  ]')
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def status_document(report: StatusReport) -> dict[str, object]:
    """INTERFACE.md: `{"secrets": [...], "window": DAYS}`, plus where and what else happened."""
    from ssoctl.credential_health import to_json

    return {
        "tenantId": report.tenant_id,
        "sandbox": report.sandbox,
        "window": report.within,
        "secrets": [to_json(row, command=report.command) for row in report.rows],
        "missing": [
            {"portal": r.portal, "name": r.display_name, "appId": r.app_id, "objectId": r.object_id}
            for r in report.missing
        ],
        "needsAttention": report.needs_attention,
        "notified": report.notified,
        "calendar": str(report.calendar) if report.calendar else None,
    }

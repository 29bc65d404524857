"""`ssoctl secrets prune`: remove the client secrets ssoctl made that nothing needs any more.

For every registration ssoctl manages in the tenant (state.json), one read of the app, then:
- a replaced secret whose overlap is over (`secrets rotate` recorded the date; a secret replaced
  by `register` has no date and stays until it expires) is removed;
- an orphan — a secret ssoctl made (its displayName starts with `ssoctl `) that is neither the
  secret a store holds nor a replaced one — is removed (left by an interrupted run, or by hand);
- the held secret and secrets ssoctl did not make are never touched, nor is a secret an
  interrupted run noted as pending: it may be the one its store now holds (the run died between
  storing and recording it), so the next `azure register` adopts it or removes it, knowing which.
- an orphan made before this machine's record of the registration (its startDateTime is earlier
  than the record's `created`: state.json was removed or lost and made again) is left and named:
  ssoctl cannot know whether another store holds it, and the portal may be using it. Orphans made
  after the record still go.
The plan is shown first; a second run finds nothing and makes no change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ssoctl.deps import Deps
from ssoctl.errors import GraphError
from ssoctl.graph.mapping import AppState, PasswordInfo, parse_graph_datetime
from ssoctl.preflight import Need, preflight
from ssoctl.resources.application import expectation
from ssoctl.resources.base import PASSWORD, Action, Change
from ssoctl.resources.password import SECRET_NAME_PREFIX, fmt_day
from ssoctl.state import Registration, StateFile, exclusive_run

from .rotate import LifecycleUI, confirm, forget_secret
from .session import graph_session


@dataclass(frozen=True)
class Removal:
    record: Registration
    object_id: str
    key_id: str
    change: Change


@dataclass
class PruneOutcome:
    tenant_id: str
    changes: list[Change] = field(default_factory=list)
    applied: bool = False
    removed: list[dict[str, str]] = field(default_factory=list)
    kept: list[dict[str, str]] = field(default_factory=list)  # orphans left because a store may hold them
    warnings: list[str] = field(default_factory=list)


def _why_remove(record: Registration, cred: PasswordInfo, now: datetime) -> str | None:
    """Why this credential may go now, or None to keep it."""
    if record.secret is not None and cred.key_id == record.secret.key_id:
        return None  # the one a store holds (and the portal uses)
    if cred.display_name in record.pending:
        return None  # an interrupted run's: maybe stored already; register adopts or removes it
    expired = cred.end is not None and cred.end <= now
    if cred.key_id in record.replaced:
        until = record.overlap_until.get(cred.key_id)
        if until is not None and parse_graph_datetime(until) <= now:
            return f"replaced, its overlap ended {fmt_day(parse_graph_datetime(until))}"
        return "replaced and expired" if expired else None
    if cred.display_name.startswith(f"{SECRET_NAME_PREFIX} ") and not unknowable(record, cred):
        return "made by ssoctl, held by no store (an orphan)"
    return None


def unknowable(record: Registration, cred: PasswordInfo) -> bool:
    """An ssoctl-named secret this record does not hold, made before the record was: whether a
    store holds it is not known here, so prune must not call it an orphan."""
    held = record.secret is not None and cred.key_id == record.secret.key_id
    return not held and cred.key_id not in record.replaced and record.predates(cred.start, cred.display_name)


def plan_kept(record: Registration, app: AppState) -> list[dict[str, str]]:
    """The ssoctl-named secrets prune leaves because another store may hold them (pure)."""
    kept = []
    for cred in app.passwords:
        if cred.display_name.startswith(f"{SECRET_NAME_PREFIX} ") and unknowable(record, cred):
            kept.append(
                {
                    "portal": record.portal,
                    "name": record.display_name,
                    "keyId": cred.key_id,
                    "reason": (
                        f"client secret {cred.key_id} {cred.display_name!r} of {record.display_name} kept: "
                        "made before this machine's record of the registration; another store may hold "
                        f"it — remove it with `az ad app credential delete --id {record.app_id} "
                        f"--key-id {cred.key_id}` if you are sure"
                    ),
                }
            )
    return kept


def plan_removals(record: Registration, app: AppState, now: datetime) -> list[Removal]:
    """What prune removes from one app (pure)."""
    removals = []
    for cred in app.passwords:
        why = _why_remove(record, cred, now)
        if why:
            detail = f"client secret {cred.key_id} {cred.display_name!r} of {record.display_name} ({why})"
            change = Change(PASSWORD, Action.DELETE, "passwordCredentials", detail, before=cred.key_id)
            removals.append(Removal(record, app.object_id, cred.key_id, change))
    return removals


def run_prune(
    deps: Deps,
    ui: LifecycleUI,
    *,
    yes: bool,
    sandbox: bool,
    tenant: str | None,
    cloud: str | None = None,
) -> PruneOutcome:
    state = StateFile(deps.home, sleep=deps.sleep)
    running = exclusive_run(deps.home, command="ssoctl secrets prune", sleep=deps.sleep)
    with running, graph_session(deps, sandbox=sandbox, tenant=tenant, cloud=cloud) as session:
        tenant_id = session.tenant_id
        outcome = PruneOutcome(tenant_id)
        now = deps.clock()
        removals: list[Removal] = []
        for record in (r for r in state.all() if r.tenant_id.lower() == tenant_id.lower()):
            raw = session.graph.get_application(record.unique_name, expectation(record))
            if raw is not None:
                current = AppState.from_json(raw)
                removals += plan_removals(record, current, now)
                outcome.kept += plan_kept(record, current)
        outcome.changes = [r.change for r in removals]
        where = f"tenant {tenant_id}" + (" (sandbox)" if session.sandbox else "")
        if not removals:
            ui.show_plan(f"Nothing to prune in {where}: every client secret ssoctl made is in use.", [])
            return outcome
        ui.show_plan(f"Prune client secrets in {where}:", outcome.changes)
        preflight(session.graph, (Need.APPS,))  # exit 4 before the first change
        confirm(yes, deps, ui, f"Remove {len(removals)} client secret(s)?")
        for removal in removals:
            try:
                session.graph.remove_password(removal.object_id, removal.key_id)
            except GraphError as exc:
                outcome.warnings.append(f"could not remove client secret {removal.key_id}: {exc}")
                continue
            outcome.removed.append(
                {
                    "portal": removal.record.portal,
                    "name": removal.record.display_name,
                    "keyId": removal.key_id,
                }
            )
            state.update(removal.record.tenant_id, removal.record.unique_name, forget_secret(removal.key_id))
        outcome.applied = True
        return outcome

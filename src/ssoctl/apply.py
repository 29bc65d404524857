"""apply_plan: the only code that changes a tenant. It walks the plan's steps in dependency order.

A step runs once every step of the kinds it `needs` is done; steps that are ready together run at
the same time (at most `concurrency`), e.g. the client secret beside the service principal, then
the delegated grant beside the application permission. After each step, state.json records the
IDs it made, so a run that stops half way (an error, Ctrl-C) leaves a record the next run builds
on: steps already done are then planned as unchanged.

One step failing stops new steps from starting; the ones under way finish; then the first error is
raised. A Ctrl-C waits for the steps under way (each finishes or takes itself back) and is raised
again, so the caller exits 130 with a consistent tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from ssoctl.credentials import CredentialRef, IssuedSecret
from ssoctl.graph.api import GraphApi
from ssoctl.graph.mapping import graph_datetime
from ssoctl.plan import Plan
from ssoctl.resources import APPLY
from ssoctl.resources.base import (
    GRANT,
    PASSWORD,
    ROLE_ASSIGNMENT,
    SERVICE_PRINCIPAL,
    ApplyContext,
    Step,
)
from ssoctl.state import HeldSecret, Registration, StateFile
from ssoctl.stores.base import Store

DEFAULT_CONCURRENCY = 4


@dataclass
class ApplyResult:
    """What apply did. `issued` carries the secret's text in memory only, for --show-secret."""

    object_id: str
    app_id: str
    issued: IssuedSecret | None = None
    stored_in: str | None = None
    warnings: list[str] = field(default_factory=list)


def used_now(plan: Plan) -> dict[str, list[str]]:
    """The IDs of what the registration manages, as read from the tenant (before apply adds any):
    its service principal, the tenant-wide grants its steps manage and the app roles it asks for.
    Consent added by hand (a user's grant, another app role) is not ssoctl's and is not recorded."""
    view = plan.tenant
    used: dict[str, list[str]] = {}
    if view.service_principal is None:
        return used
    sp = view.service_principal.object_id
    used[SERVICE_PRINCIPAL] = [sp]
    grant_ids = {s.payload.grant_id for s in plan.steps if s.resource == GRANT and s.payload.grant_id}
    roles = {
        (s.payload.resource_id, s.payload.app_role_id.lower())
        for s in plan.steps
        if s.resource == ROLE_ASSIGNMENT
    }
    grants = [g.object_id for g in view.grants if g.object_id in grant_ids]
    assigned = [
        a.object_id
        for a in view.assignments
        if a.principal_id == sp and (a.resource_id, a.app_role_id.lower()) in roles
    ]
    if grants:
        used[GRANT] = grants
    if assigned:
        used[ROLE_ASSIGNMENT] = assigned
    return used


def _context(
    plan: Plan, graph: GraphApi, store: Store | None, ref: CredentialRef, open_store: Callable[[str], Store]
) -> ApplyContext:
    view = plan.tenant
    ctx = ApplyContext(graph=graph, current=view, store=store, ref=ref, open_store=open_store)
    if view.app is not None:
        ctx.object_id, ctx.app_id = view.app.object_id, view.app.app_id
    if view.service_principal is not None:
        ctx.service_principal_id = view.service_principal.object_id
    for kind, ids in used_now(plan).items():
        for object_id in ids:
            ctx.use(kind, object_id)
    return ctx


class _Recorder:
    """Keeps state.json in step with apply: the registration's IDs after every finished step."""

    def __init__(self, plan: Plan, ref: CredentialRef, state: StateFile, ctx: ApplyContext) -> None:
        self.plan, self.ref, self.state, self.ctx = plan, ref, state, ctx

    def __call__(self, step: Step) -> None:
        if self.ctx.app_id:
            self.state.update(
                self.ref.tenant_id, self.plan.spec.unique_name, lambda old: self._record(step, old)
            )

    def _record(self, step: Step, previous: Registration | None) -> Registration:
        ctx, spec = self.ctx, self.plan.spec
        same_app = previous is not None and previous.app_id == ctx.app_id
        secret = previous.secret if previous and same_app else None
        replaced = previous.replaced if previous and same_app else ()
        if step.resource == PASSWORD:
            secret_plan = self.plan.secret
            if ctx.issued is not None and secret_plan.new is not None:
                secret = HeldSecret(
                    key_id=ctx.issued.key_id,
                    end=graph_datetime(ctx.issued.end),
                    store=secret_plan.new.store,
                    display_name=secret_plan.new.display_name,
                )
            replaced = secret_plan.replaced
        return Registration(
            portal=spec.portal,
            display_name=spec.display_name,
            unique_name=spec.unique_name,
            tenant_id=self.ref.tenant_id,
            app_id=ctx.app_id,
            object_id=ctx.object_id,
            secret=secret,
            replaced=replaced,
            resources={k: tuple(v) for k, v in sorted(ctx.used.items())},
        )


def _ready(pending: list[Step], running: dict[Future[None], Step]) -> list[Step]:
    """Steps none of whose needed kinds still has a step pending or under way."""
    unfinished = {s.resource for s in pending} | {s.resource for s in running.values()}
    return [s for s in pending if not set(s.needs) & unfinished]


def _record_through_interrupts(record: Callable[[Step], None], step: Step) -> bool:
    """Record a finished step even if Ctrl-C arrives meanwhile (again and again, as `timeout -s
    INT` sends it to the process and its group). True when an interrupt was held back.
    A step that is done but not recorded would leave, say, a stored secret ssoctl does not know."""
    interrupted = False
    while True:
        try:
            record(step)
            return interrupted
        except KeyboardInterrupt:
            interrupted = True


def _record_surely(record: Callable[[Step], None], step: Step) -> None:
    """Record a finished step; an interrupt that came meanwhile is raised once it is recorded."""
    if _record_through_interrupts(record, step):
        raise KeyboardInterrupt


def _finish_running(running: dict[Future[None], Step], record: Callable[[Step], None]) -> None:
    """After a Ctrl-C: wait for every step under way and record those that finished, however many
    more Ctrl-Cs come meanwhile (the caller re-raises the first)."""
    left = dict(running)
    while left:
        try:
            done, _ = wait(left)
        except KeyboardInterrupt:
            continue
        for future in done:
            step = left.pop(future)
            if future.exception() is None:
                _record_through_interrupts(record, step)


def _run(steps: list[Step], ctx: ApplyContext, record: Callable[[Step], None], concurrency: int) -> None:
    """Run steps as their needs allow: ready steps together (threads), a lone one inline."""
    pending = list(steps)
    running: dict[Future[None], Step] = {}
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="ssoctl-apply") as pool:
        try:
            while pending or running:
                ready = _ready(pending, running) if failure is None else []
                if len(ready) == 1 and not running:
                    step = ready[0]
                    pending.remove(step)
                    APPLY[step.resource](step, ctx)
                    _record_surely(record, step)
                    continue
                for step in ready:
                    pending.remove(step)
                    running[pool.submit(APPLY[step.resource], step, ctx)] = step
                if not running:
                    break  # a failure stopped the rest
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    step = running.pop(future)
                    error = future.exception()
                    if error is not None:
                        failure = failure or error
                    else:
                        _record_surely(record, step)
        except BaseException:  # Ctrl-C while waiting: the steps under way finish, then stop
            _finish_running(running, record)
            raise
    if failure is not None:
        raise failure


def apply_plan(
    plan: Plan,
    *,
    graph: GraphApi,
    store: Store | None,
    ref: CredentialRef,
    state: StateFile,
    open_store: Callable[[str], Store],
    concurrency: int = DEFAULT_CONCURRENCY,
) -> ApplyResult:
    """Carry out `plan`. `store` None means `--store none`: the caller prints the secret once."""
    ctx = _context(plan, graph, store, ref, open_store)
    # Steps with nothing to do are done from the start: the IDs they stand for are read already.
    _run([s for s in plan.steps if s.has_work], ctx, _Recorder(plan, ref, state, ctx), concurrency)
    return ApplyResult(
        object_id=ctx.object_id,
        app_id=ctx.app_id,
        issued=ctx.issued,
        stored_in=ctx.stored_in,
        warnings=list(ctx.warnings),
    )

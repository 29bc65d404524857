"""apply_plan: the only code that changes a tenant. It walks the plan's steps in dependency order.

A step runs once every step of the kinds it `needs` is done; steps that are ready together run at
the same time (at most `concurrency`), e.g. the client secret beside the service principal, then
the delegated grant beside the application permission. After each step, state.json records the
IDs it made, so a run that stops half way (an error, Ctrl-C) leaves a record the next run builds
on: steps already done are then planned as unchanged.

One step failing stops new steps from starting; the ones under way finish; then the first error is
raised. A Ctrl-C is noted rather than raised mid-step: the steps under way finish and are recorded,
none starts after it, and then KeyboardInterrupt is raised, so the caller exits 130 with a
consistent tenant and a true record.
"""

from __future__ import annotations

import dataclasses
import signal
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

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

    def before_secret(self, display_name: str) -> None:
        """Before addPassword is sent: note the new secret's name, so a run that dies before its
        answer is recorded (kill -9, power loss) leaves a trace the next run acts on."""

        def note(previous: Registration | None) -> Registration:
            base = self._record(None, previous)
            return dataclasses.replace(base, pending=(*base.pending, display_name))

        self.state.update(self.ref.tenant_id, self.plan.spec.unique_name, note)

    def _record(self, step: Step | None, previous: Registration | None) -> Registration:
        ctx, spec = self.ctx, self.plan.spec
        same_app = previous is not None and previous.app_id == ctx.app_id
        secret = previous.secret if previous and same_app else None
        replaced = previous.replaced if previous and same_app else ()
        pending = previous.pending if previous and same_app else ()
        if step is not None and step.resource == PASSWORD:
            pending = ()  # the new secret is held (or was taken back), and the orphans removed
            secret_plan = self.plan.secret
            if ctx.issued is not None and secret_plan.new is not None:
                secret = HeldSecret(
                    key_id=ctx.issued.key_id,
                    end=graph_datetime(ctx.issued.end),
                    store=ctx.stored_in or secret_plan.new.store,  # a portal store's id is known now
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
            # rotate's overlap dates stay with the replaced secrets they are for
            overlap_until={
                k: v
                for k, v in (previous.overlap_until if previous and same_app else {}).items()
                if k in replaced
            },
            provisioning=previous.provisioning if previous and same_app else None,
            pending=pending,
            options=previous.options if previous and same_app else None,
        )


def _ready(pending: list[Step], running: dict[Future[None], Step]) -> list[Step]:
    """Steps none of whose needed kinds still has a step pending or under way."""
    unfinished = {s.resource for s in pending} | {s.resource for s in running.values()}
    return [s for s in pending if not set(s.needs) & unfinished]


class _CtrlC:
    """Ctrl-C during apply is noted, not raised: the steps under way finish (and are recorded), no
    new step starts, and then KeyboardInterrupt is raised for the caller to exit 130. Raising it at
    whatever instant it arrives could land between a finished step and its record in state.json
    (a stored secret ssoctl would not know). A third Ctrl-C gives up waiting and raises at once.

    Only the main thread can own SIGINT; apply_plan run from a worker thread (`ssoctl apply`)
    leaves interrupts to the main thread, which owns the whole run. SIGINT ignored when ssoctl
    started (SIG_IGN inherited, e.g. a background job of a non-interactive shell) stays ignored:
    whoever started ssoctl asked that Ctrl-C not stop it."""

    GIVE_UP_AFTER = 3

    def __init__(self) -> None:
        self.count = 0
        self._previous: Any = None

    def __enter__(self) -> _CtrlC:
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            self._previous = signal.signal(signal.SIGINT, self._note)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.count >= self.GIVE_UP_AFTER:
            raise KeyboardInterrupt

    @property
    def pressed(self) -> bool:
        return self.count > 0


# For commands that change a tenant outside apply_plan (`secrets rotate`): the same guard.
hold_ctrl_c = _CtrlC


def _run(steps: list[Step], ctx: ApplyContext, record: Callable[[Step], None], concurrency: int) -> None:
    """Run steps as their needs allow: ready steps together (threads), a lone one inline."""
    pending = list(steps)
    running: dict[Future[None], Step] = {}
    failure: BaseException | None = None
    with (
        _CtrlC() as ctrl_c,
        ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="ssoctl-apply") as pool,
    ):
        while pending or running:
            stopping = failure is not None or ctrl_c.pressed
            ready = [] if stopping else _ready(pending, running)
            if len(ready) == 1 and not running:
                step = ready[0]
                pending.remove(step)
                APPLY[step.resource](step, ctx)
                record(step)
                continue
            for step in ready:
                pending.remove(step)
                running[pool.submit(APPLY[step.resource], step, ctx)] = step
            if not running:
                break  # a failure or Ctrl-C stopped the rest
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                step = running.pop(future)
                error = future.exception()
                if error is not None:
                    failure = failure or error
                else:
                    record(step)
        if ctrl_c.pressed:
            raise KeyboardInterrupt
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
    recorder = _Recorder(plan, ref, state, ctx)
    ctx.before_secret = recorder.before_secret
    # Steps with nothing to do are done from the start: the IDs they stand for are read already.
    _run([s for s in plan.steps if s.has_work], ctx, recorder, concurrency)
    return ApplyResult(
        object_id=ctx.object_id,
        app_id=ctx.app_id,
        issued=ctx.issued,
        stored_in=ctx.stored_in,
        warnings=list(ctx.warnings),
    )

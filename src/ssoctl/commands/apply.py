"""`ssoctl apply -f FILE`: many registrations from one TOML file, for CI bootstrap.

The file is validated in full first (`apply_file`); then, holding SSOCTL_HOME once for the run:
one Graph session per tenant, every registration read and planned (at most `--concurrency` at
once), one plan shown, one confirmation, and the registrations with changes applied, again at
most `--concurrency` at once. Each registration is `register`'s own pipeline (`prepare`, then
`apply_prepared`); a failing one is reported and the others carry on.

A `federated-directory` entry is one `azure provision` (its token from the variable `token_env`
names): planned with the others (`run_provision(plan_only=True)`), covered by the same
confirmation, then run under the lock apply already holds (`lock_held=True`), after the
registrations.

`--concurrency N` bounds Graph requests too: a registration's own steps run one after another
here (register runs them side by side), so at most N requests are in flight.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ssoctl.apply_file import ApplyFile, Entry, load_apply_file
from ssoctl.credentials import CredentialRef, Credentials
from ssoctl.deps import Deps, StoreOpener
from ssoctl.errors import SsoctlError, UsageError
from ssoctl.portals import Portal
from ssoctl.preflight import Need, assess, needs_of, preflight
from ssoctl.spec import AppSpec
from ssoctl.state import StateFile, exclusive_run
from ssoctl.stores import StoreSpec, parse_store
from ssoctl.stores.base import Store

from .confirm import confirm_change
from .provision import ProvisionOptions, ProvisionOutcome, run_provision
from .register import (
    Prepared,
    RegisterOutcome,
    apply_prepared,
    build_request,
    conclude_unchanged,
    prepare,
    provider_options,
    remembered_flags,
)
from .session import GraphSession, graph_session

DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 32  # Graph throttles an app well before this; more threads buy nothing


@dataclass(frozen=True)
class ApplyOptions:
    file: Path
    plan_only: bool = False
    yes: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    shard: tuple[int, int] | None = None
    tenant: str | None = None
    cloud: str | None = None
    sandbox: bool = False


@dataclass
class Item:
    """One registration's way through the run."""

    entry: Entry
    portal: Portal
    spec: AppSpec
    store: str | None  # the file's store for it; None: the one holding its secret, else keyring
    prepared: Prepared | None = None
    outcome: RegisterOutcome | None = None
    error: SsoctlError | None = None
    bug: bool = False  # the error is an unexpected exception inside ssoctl

    @property
    def has_changes(self) -> bool:
        return self.prepared is not None and self.prepared.plan.has_changes

    def status(self, plan_only: bool) -> str:
        """INTERFACE.md's `status`: ok|unchanged|failed, or with --plan changes|unchanged|failed."""
        if self.error is not None:
            return "failed"
        if plan_only:
            return "changes" if self.has_changes else "unchanged"
        return "ok" if self.outcome is not None and self.outcome.applied else "unchanged"


@dataclass
class ProvisionItem:
    """One federated-directory entry's way through the run: one `azure provision`."""

    entry: Entry
    planned: ProvisionOutcome | None = None
    outcome: ProvisionOutcome | None = None
    error: SsoctlError | None = None
    bug: bool = False

    @property
    def has_changes(self) -> bool:
        return self.planned is not None and self.planned.has_changes

    def status(self, plan_only: bool) -> str:
        if self.error is not None:
            return "failed"
        if plan_only:
            return "changes" if self.has_changes else "unchanged"
        return "ok" if self.outcome is not None and self.outcome.applied else "unchanged"

    def options(self, opts: ApplyOptions) -> ProvisionOptions:
        entry = self.entry
        return ProvisionOptions(
            token_env=entry.token_env,
            scope=entry.scope,
            fd_base_url=entry.fd_base_url,
            store=entry.options.store,
            yes=True,  # run only after apply's own confirmation
            sandbox=opts.sandbox,
            tenant=entry.options.tenant,
            cloud=entry.options.cloud,
        )


class _ProvisionSteps:
    """The ProvisionUI apply hands to `run_provision`: notices pass through; the steps are shown
    by apply's own plan, and the question was asked once for the whole file."""

    def __init__(self, notice: Callable[[str], None]) -> None:
        self._notice = notice

    def notice(self, text: str) -> None:
        self._notice(text)

    def show_steps(self, steps: object, tenant_id: str, sandbox: bool) -> None:
        return None

    def confirm(self, question: str) -> bool:
        return False  # never asked: ProvisionOptions.yes is set


@dataclass
class ApplyRun:
    """What the run did, for the summary table or the JSON document."""

    file: ApplyFile
    items: list[Item]
    plan_only: bool
    shard: tuple[int, int] | None
    declined: bool = False
    notices: list[str] = field(default_factory=list)
    provisions: list[ProvisionItem] = field(default_factory=list)

    @property
    def every(self) -> list[Item | ProvisionItem]:
        """Registrations and provisions alike (each has error, bug, has_changes and status)."""
        return [*self.items, *self.provisions]

    @property
    def failed(self) -> int:
        return sum(item.error is not None for item in self.every)

    @property
    def exit_code(self) -> int:
        if any(item.bug for item in self.every):
            return 3
        if self.failed:
            return 1
        if self.plan_only and any(item.has_changes for item in self.every):
            return 8
        return 0


class ApplyUI(Protocol):
    """What apply needs from the terminal while it runs (the summary is rendered afterwards)."""

    def notice(self, text: str) -> None: ...

    def show_plans(self, items: list[Item], plan_only: bool) -> None: ...

    def show_provisions(self, provisions: list[ProvisionItem]) -> None: ...

    def confirm(self, question: str) -> bool: ...

    def progress(self, item: Item, done: int, total: int) -> None: ...


# -- stores shared by threads --------------------------------------------------------------------


class _SerialStore:
    """A store whose calls take turns with every other call on the same location.

    Registrations applied side by side may share a store: two writing one env file at once would
    each rewrite the file from what it read and lose the other's keys; keyring backends are not
    documented as thread-safe either.
    """

    def __init__(self, inner: Store, lock: threading.Lock) -> None:
        self._inner = inner
        self._lock = lock

    @property
    def location(self) -> str:
        return self._inner.location

    def preflight(self, ref: CredentialRef) -> None:
        with self._lock:
            self._inner.preflight(ref)

    def save(self, ref: CredentialRef, creds: Credentials) -> None:
        with self._lock:
            self._inner.save(ref, creds)

    def load(self, ref: CredentialRef) -> Credentials | None:
        with self._lock:
            return self._inner.load(ref)

    def delete(self, ref: CredentialRef) -> None:
        with self._lock:
            self._inner.delete(ref)


def making_folders(opener: StoreOpener, named: set[Path | None]) -> StoreOpener:
    """An opener that makes the missing folder of an env file the apply file names (0700): the
    file describes where secrets go, so `store = "env-file:secrets/sso.env"` works from a fresh
    checkout. Env files only remembered from earlier runs are still refused when their folder is gone."""

    def open_making(
        spec: StoreSpec, *, home: Path, sandbox: bool, env: Mapping[str, str]
    ) -> tuple[Store | None, str | None]:
        if spec.kind == "env-file" and spec.path in named:
            spec = dataclasses.replace(spec, make_folder=True)
        return opener(spec, home=home, sandbox=sandbox, env=env)

    return open_making


def serialized(opener: StoreOpener) -> StoreOpener:
    """An opener whose stores take turns per location (see `_SerialStore`)."""
    locks: dict[str, threading.Lock] = {}
    guard = threading.Lock()

    def open_serial(
        spec: StoreSpec, *, home: Path, sandbox: bool, env: Mapping[str, str]
    ) -> tuple[Store | None, str | None]:
        store, notice = opener(spec, home=home, sandbox=sandbox, env=env)
        if store is None:
            return None, notice
        with guard:
            lock = locks.setdefault(store.location, threading.Lock())
        return _SerialStore(store, lock), notice

    return open_serial


# -- the run ---------------------------------------------------------------------------------


def _capture(item: Item | ProvisionItem, work: Callable[[], None]) -> None:
    """Run one registration's work; its failure is recorded on it and stops nothing else."""
    try:
        work()
    except SsoctlError as exc:
        item.error = exc
    except Exception as exc:  # a bug: recorded (exit 3 at the end), the others still finish
        item.error = SsoctlError(
            f"unexpected {type(exc).__name__} inside ssoctl (a bug)",
            hint="please report it; rerun with SSOCTL_DEBUG=1 to see the traceback",
            code="bug",
        )
        item.bug = True


def _run_all(
    items: list[Item],
    work: Callable[[Item], None],
    concurrency: int,
    on_done: Callable[[Item], None] | None = None,
) -> None:
    """`work` for every item, at most `concurrency` at once. A Ctrl-C starts nothing new, waits
    for the registrations under way (each finishes or takes its step back), then is raised."""
    if not items:
        return
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ssoctl-apply") as pool:
        futures: dict[Future[None], Item] = {
            pool.submit(_capture, item, functools.partial(work, item)): item for item in items
        }
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when="FIRST_COMPLETED")
                for future in done:
                    if on_done is not None:
                        on_done(futures[future])
        except KeyboardInterrupt:
            for future in pending:
                future.cancel()
            left = {f for f in pending if not f.cancelled()}
            while left:
                with contextlib.suppress(KeyboardInterrupt):
                    _, left = wait(left)
            raise


@contextlib.contextmanager
def _sessions(
    items: list[Item], deps: Deps, *, sandbox: bool
) -> Iterator[dict[tuple[str | None, str | None], GraphSession]]:
    """One Graph session (one sign-in, one client) per tenant and cloud the items name.

    Bad input (a --tenant that is not the sandbox's) stops the run before any request; a tenant
    that cannot be signed in to fails only its own registrations, unless it is the only one.
    """
    keys = list(dict.fromkeys((i.entry.options.tenant, i.entry.options.cloud) for i in items))
    sessions: dict[tuple[str | None, str | None], GraphSession] = {}
    failures: dict[tuple[str | None, str | None], SsoctlError] = {}
    with contextlib.ExitStack() as stack:
        for tenant, cloud in keys:
            try:
                session = stack.enter_context(
                    graph_session(deps, sandbox=sandbox, tenant=tenant, cloud=cloud)
                )
                _ = session.tenant_id  # resolved once, here, not by several threads at once
            except UsageError:
                raise
            except SsoctlError as exc:
                failures[(tenant, cloud)] = exc
                continue
            sessions[(tenant, cloud)] = session
        if failures and not sessions:
            raise next(iter(failures.values()))
        for item in items:
            failure = failures.get((item.entry.options.tenant, item.entry.options.cloud))
            if failure is not None:
                item.error = failure
        yield sessions


def _confirm(count: int, opts: ApplyOptions, deps: Deps, ui: ApplyUI) -> None:
    noun = "registration" if count == 1 else "registrations"
    confirm_change(
        deps,
        ui.confirm,
        f"Apply the changes to {count} {noun}?",
        what="change the tenant",
        yes=opts.yes,
        hint="review with --plan, then pass --yes to apply without a prompt",
    )


def _check_rights(
    changing: list[Item], session_of: Callable[[Item], GraphSession], ui: ApplyUI, *, plan_only: bool
) -> None:
    """The preflight, once per tenant for everything its registrations need: exit 4 before the
    first change when a role or permission is missing; --plan only says so."""
    by_session: dict[int, tuple[GraphSession, set[Need]]] = {}
    for item in changing:
        assert item.prepared is not None
        session = session_of(item)
        _, needs = by_session.setdefault(id(session), (session, set()))
        needs.update(needs_of(item.prepared.plan))
    for session, needs in by_session.values():
        ordered = tuple(n for n in Need if n in needs)
        if not plan_only:
            preflight(session.graph, ordered)
            continue
        for check in assess(session.graph, ordered).missing(ordered):
            ui.notice(f"applying this plan needs {check.requirement} (to {check.need.value}): {check.fix}")


def run_apply(opts: ApplyOptions, deps: Deps, ui: ApplyUI) -> ApplyRun:
    if not 1 <= opts.concurrency <= MAX_CONCURRENCY:
        raise UsageError(
            f"--concurrency {opts.concurrency} is out of range",
            hint=f"choose 1..{MAX_CONCURRENCY} (default {DEFAULT_CONCURRENCY})",
        )
    applyfile = load_apply_file(opts.file, env=deps.env, tenant_flag=opts.tenant, cloud_flag=opts.cloud)
    entries = applyfile.shard(*opts.shard) if opts.shard else applyfile.entries
    sandbox = deps.sandbox_requested(opts.sandbox)
    items = [
        Item(entry, *build_request(entry.options, deps.home, sandbox=sandbox))
        for entry in entries
        if not entry.provisioned
    ]
    provisions = [ProvisionItem(entry) for entry in entries if entry.provisioned]
    run = ApplyRun(applyfile, items, opts.plan_only, opts.shard, provisions=provisions)
    if not entries:
        return run  # an empty shard: a matrix wider than the file
    # One opener whose stores take turns per location: registrations may share an env file.
    stores = [e.options.store for e in entries]
    named = {parse_store(s).path for s in stores if s and s.startswith("env-file:")}
    deps = dataclasses.replace(deps, open_store=serialized(making_folders(deps.open_store, named)))
    state = StateFile(deps.home, sleep=deps.sleep)
    seen: set[str] = set()
    lock = threading.Lock()

    def notice(text: str) -> None:
        with lock:
            if text not in seen:
                seen.add(text)
                ui.notice(text)

    held = (
        contextlib.nullcontext()
        if opts.plan_only
        else exclusive_run(deps.home, command=f"ssoctl apply -f {opts.file}", sleep=deps.sleep)
    )
    with held, _sessions(items, deps, sandbox=opts.sandbox) as sessions:

        def session_of(item: Item) -> GraphSession:
            return sessions[(item.entry.options.tenant, item.entry.options.cloud)]

        def plan_one(item: Item) -> None:
            item.prepared = prepare(
                item.portal,
                item.spec,
                item.store,
                session_of(item),
                state,
                deps,
                notice,
                provider=provider_options(item.entry.options),  # --store pingone / okta settings
            )
            # The file is the whole desired state: its keys are what status and verify compare.
            item.prepared.flags = remembered_flags(item.entry.options)

        readable = [item for item in items if item.error is None]
        _run_all(readable, plan_one, opts.concurrency)
        provision_ui = _ProvisionSteps(notice)
        for pitem in provisions:  # one enterprise app per tenant: one after another

            def plan_provision(pitem: ProvisionItem = pitem) -> None:
                pitem.planned = run_provision(
                    pitem.options(opts), deps, provision_ui, lock_held=True, plan_only=True
                )

            _capture(pitem, plan_provision)
        planned = [item for item in items if item.prepared is not None]
        changing = [item for item in planned if item.has_changes]
        provisioning = [pitem for pitem in provisions if pitem.has_changes]
        _check_rights(changing, session_of, ui, plan_only=opts.plan_only)
        if provisions:
            ui.show_provisions(provisions)
        ui.show_plans(items, opts.plan_only)
        if opts.plan_only or not (changing or provisioning):
            for item in planned:
                _capture(item, functools.partial(_conclude, item, deps, state, opts.plan_only))
            return run
        _confirm(len(changing) + len(provisioning), opts, deps, ui)
        for item in planned:
            if not item.has_changes:
                _capture(item, functools.partial(_conclude, item, deps, state, False))

        def apply_one(item: Item) -> None:
            assert item.prepared is not None
            item.outcome = apply_prepared(item.prepared, session_of(item), state, deps, concurrency=1)

        finished = 0

        def progress(item: Item) -> None:
            nonlocal finished
            finished += 1
            ui.progress(item, finished, len(changing))

        _run_all(changing, apply_one, opts.concurrency, progress)
        for pitem in provisioning:  # under the lock apply holds: provision must not take it again

            def provision_one(pitem: ProvisionItem = pitem) -> None:
                pitem.outcome = run_provision(pitem.options(opts), deps, provision_ui, lock_held=True)

            _capture(pitem, provision_one)
    return run


def _conclude(item: Item, deps: Deps, state: StateFile, plan_only: bool) -> None:
    assert item.prepared is not None
    item.outcome = conclude_unchanged(item.prepared, deps, state, plan_only=plan_only)

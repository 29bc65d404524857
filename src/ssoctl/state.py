"""ssoctl's own record of what it manages: `SSOCTL_HOME/state.json`.

It holds no secret: per registration, the tenant, app IDs, the IDs of every other resource ssoctl
made or uses for it (service principal, grants, assignments), and which client secret (keyId,
expiry) sits in which store. That lets a re-run know the stored secret is still the app's valid one
with a single Graph read, and lets later commands (`secrets status`, reminders, rotation,
unregister) work without unlocking a keyring. Written atomically with mode 0600; every
read-modify-write holds `state.json.lock`, so two ssoctl processes never lose each other's records.
Every write first keeps the version it replaces as `state.json.bak` (0600): removing a damaged
state.json is not harmless (ssoctl forgets which store holds each secret), restoring that copy is.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ssoctl.errors import BusyError, StoreError, UsageError
from ssoctl.files import LockBusy, exclusive_lock, write_private
from ssoctl.graph.mapping import parse_graph_datetime

# 2: registrations gain `resources` (kind -> object IDs). Version 1 files are read as they are.
STATE_VERSION = 2
STATE_LOCK_WAIT = 10.0  # a state write takes milliseconds; this only guards against a stuck process
RUN_LOCK_WAIT = 5.0  # INTERFACE.md: a second run "waits a few seconds for the first"


@contextmanager
def exclusive_run(
    home: Path, *, command: str, wait: float = RUN_LOCK_WAIT, sleep: Callable[[float], None] = time.sleep
) -> Iterator[None]:
    """Hold SSOCTL_HOME for one command that changes things, from its first read to its last write.

    A second run waits up to `wait` seconds, then exits 1 naming the run in progress. Without it,
    two registers could both plan "add a secret", both add one, and both report the one they
    stored, while only the last write survives.
    """
    lock = home / ".run.lock"
    try:
        with exclusive_lock(lock, wait=wait, sleep=sleep, note=f"pid {os.getpid()}: {command}"):
            yield
    except LockBusy as busy:
        holder = str(busy) or "another process"
        raise BusyError(
            f"another ssoctl run is in progress ({holder})",
            hint="wait for it to finish, then run the command again (it is safe to repeat)",
        ) from None


@dataclass(frozen=True)
class HeldSecret:
    """Which client secret ssoctl put where. `end` is the credential's endDateTime."""

    key_id: str
    end: str
    store: str
    display_name: str

    @property
    def end_datetime(self) -> datetime:
        return parse_graph_datetime(self.end)


@dataclass(frozen=True)
class Registration:
    """One app registration ssoctl made, keyed by tenant and uniqueName."""

    portal: str
    display_name: str
    unique_name: str
    tenant_id: str
    app_id: str
    object_id: str
    secret: HeldSecret | None = None
    replaced: tuple[str, ...] = ()  # keyIds of replaced secrets left on the app until they expire
    resources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> object IDs
    # SCIM provisioning (Federated Directory): tenant URL, scope, store, and a salted hash of the
    # portal's token (`tokenHash`, `tokenSalt`), never the token itself. None for app registrations.
    provisioning: Mapping[str, str] | None = None
    # keyId of a replaced secret -> when `secrets prune` may remove it (`secrets rotate --overlap-days`);
    # a replaced secret without a date stays until it expires.
    overlap_until: Mapping[str, str] = field(default_factory=dict)
    # Display names of client secrets whose addPassword was sent but whose outcome is not recorded
    # yet (written before the request): a run killed mid-request leaves this trace, and the next
    # run removes (or adopts) the credential it may have made instead of adding another.
    pending: tuple[str, ...] = ()
    # When this machine first recorded the registration (UTC, microseconds). A client secret that
    # started before it was made before ssoctl here knew the app (state.json was removed and made
    # again): another store may hold it, so `secrets prune` leaves it. None: written by an older
    # ssoctl, which did not note it.
    created: str | None = None
    # The `azure register` flags that shaped the spec (redirect URIs, permissions, claims, ...), as
    # typed: status, verify, rotate, unregister and a plain re-register build the same spec from
    # them. None for a registration made before ssoctl remembered them (then read from the app).
    options: Mapping[str, Any] | None = None

    @property
    def key(self) -> str:
        return f"{self.tenant_id}/{self.unique_name}"

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Registration:
        secret = raw.get("secret")
        return cls(
            portal=raw["portal"],
            display_name=raw["displayName"],
            unique_name=raw["uniqueName"],
            tenant_id=raw["tenantId"],
            app_id=raw["appId"],
            object_id=raw["objectId"],
            secret=HeldSecret(
                key_id=secret["keyId"],
                end=secret["endDateTime"],
                store=secret["store"],
                display_name=secret.get("displayName", ""),
            )
            if secret
            else None,
            replaced=tuple(raw.get("replacedKeyIds", ())),
            resources={str(k): tuple(str(i) for i in v) for k, v in (raw.get("resources") or {}).items()},
            provisioning={str(k): str(v) for k, v in raw["provisioning"].items()}
            if isinstance(raw.get("provisioning"), dict)
            else None,
            overlap_until={str(k): str(v) for k, v in (raw.get("overlapUntil") or {}).items()},
            pending=tuple(str(n) for n in raw.get("pendingSecrets") or ()),
            created=str(raw["created"]) if raw.get("created") else None,
            options=dict(raw["registerOptions"]) if isinstance(raw.get("registerOptions"), dict) else None,
        )

    @property
    def created_datetime(self) -> datetime | None:
        try:
            return parse_graph_datetime(self.created) if self.created else None
        except ValueError:
            return None

    def predates(self, start: datetime | None, display_name: str | None) -> bool:
        """Whether a client secret this record does not hold was made before the record: its
        start is earlier than the record's creation, and no run of this record left its name
        pending. ssoctl cannot know where its value is (another store may hold it)."""
        created = self.created_datetime
        if created is None or start is None or (display_name or "") in self.pending:
            return False
        return start < created

    def to_json(self) -> dict[str, Any]:
        held = asdict(self.secret) if self.secret else None
        doc: dict[str, Any] = {
            "portal": self.portal,
            "displayName": self.display_name,
            "uniqueName": self.unique_name,
            "tenantId": self.tenant_id,
            "appId": self.app_id,
            "objectId": self.object_id,
            "secret": {
                "keyId": held["key_id"],
                "endDateTime": held["end"],
                "store": held["store"],
                "displayName": held["display_name"],
            }
            if held
            else None,
            "replacedKeyIds": list(self.replaced),
            "resources": {k: list(v) for k, v in sorted(self.resources.items())},
            **({"overlapUntil": dict(sorted(self.overlap_until.items()))} if self.overlap_until else {}),
        }
        if self.provisioning is not None:
            doc["provisioning"] = dict(sorted(self.provisioning.items()))
        if self.pending:
            doc["pendingSecrets"] = list(self.pending)
        if self.created:
            doc["created"] = self.created
        if self.options is not None:
            doc["registerOptions"] = dict(sorted(self.options.items()))
        return doc


_THREAD_LOCKS: dict[Path, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def _thread_lock(path: Path) -> threading.Lock:
    """One lock per state file for the threads of this process (apply runs registrations side
    by side): they queue here instead of polling the file lock, which is for other processes."""
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(path.absolute(), threading.Lock())


class StateFile:
    """Load-modify-save of state.json; every save replaces the file atomically (0600)."""

    def __init__(
        self,
        home: Path,
        *,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.path = home / "state.json"
        self.backup = home / "state.json.bak"
        self._sleep = sleep
        # The machine's own clock, like Graph's startDateTime stamps (not a command's `--now`).
        self._clock = clock or (lambda: datetime.now(UTC))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.path.with_name("state.json.lock")
        try:
            with (
                _thread_lock(self.path),
                exclusive_lock(lock, wait=STATE_LOCK_WAIT, sleep=self._sleep or time.sleep),
            ):
                yield
        except LockBusy:
            raise StoreError(
                f"{lock} stayed locked for {STATE_LOCK_WAIT:.0f} s",
                hint="another ssoctl process is stuck writing its state: end it, then run again",
            ) from None

    def _load(self) -> dict[str, Registration]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read {self.path}: {exc}", hint=self._damaged_hint()) from None
        if isinstance(raw, dict) and isinstance(raw.get("version"), int) and raw["version"] > STATE_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer ssoctl (state version {raw['version']})",
                hint="upgrade ssoctl; this version will not rewrite the file",
            )
        try:
            regs = [Registration.from_json(r) for r in raw.get("registrations", {}).values()]
        except (AttributeError, KeyError, TypeError) as exc:
            raise StoreError(
                f"{self.path} is not a state file this ssoctl understands ({type(exc).__name__}: {exc})",
                hint=self._damaged_hint(),
            ) from None
        return {r.key: r for r in regs}

    def _damaged_hint(self) -> str:
        """What to do with a state.json ssoctl cannot read. Removing it is not harmless: it is the
        only record of which store holds each secret, so the last good copy comes first."""
        if _readable_state(self.backup):
            return f"restore the last good copy: mv {self.backup} {self.path}"
        return (
            f"move the file aside (mv {self.path} {self.path}.damaged); ssoctl then no longer knows "
            "which store holds each secret: do not run `ssoctl secrets prune` until every "
            "registration is registered again with its --store"
        )

    def all(self) -> list[Registration]:
        return sorted(self._load().values(), key=lambda r: (r.portal, r.display_name, r.tenant_id))

    def get(self, tenant_id: str, unique_name: str) -> Registration | None:
        return self._load().get(f"{tenant_id}/{unique_name}")

    def put(self, reg: Registration) -> None:
        self.update(reg.tenant_id, reg.unique_name, lambda _: reg)

    def update(
        self, tenant_id: str, unique_name: str, change: Callable[[Registration | None], Registration | None]
    ) -> None:
        """Read-modify-write one registration in a single locked load and save: `change` gets the
        record as it is (or None) and returns the new one (None: leave the file as it is)."""
        with self._locked():
            regs = self._load()
            key = f"{tenant_id}/{unique_name}"
            old = regs.get(key)
            new = change(old)
            if new is not None and new.created is None:
                same = old is not None and old.app_id == new.app_id
                first_seen = old.created if same and old is not None else _zulu_micro(self._clock())
                new = replace(new, created=first_seen)
            if new is not None and new != old:
                regs[key] = new
                self._save(regs)

    def remove(self, reg: Registration) -> None:
        with self._locked():
            regs = self._load()
            if regs.pop(reg.key, None) is not None:
                self._save(regs)

    def find(self, portal: str, unique_name: str, tenant_id: str | None) -> Registration:
        """The registration with this key (in `tenant_id` if given), or a UsageError saying how to
        find it. Keyed like register: by uniqueName, so `--name` matches the way register does."""
        matches = [
            r
            for r in self.all()
            if r.portal == portal
            and r.unique_name == unique_name
            and (tenant_id is None or r.tenant_id == tenant_id)
        ]
        if not matches:
            others = [r for r in self.all() if r.portal == portal]
            known = ", ".join(f"{r.display_name!r} in {r.tenant_id}" for r in others)
            raise UsageError(
                f"ssoctl has no {portal} registration {unique_name}"
                + (f" in tenant {tenant_id}" if tenant_id else ""),
                hint=f"ssoctl knows: {known} (choose with --name/--tenant/--sandbox)"
                if others
                else f"register it first: ssoctl azure register --portal {portal}",
            )
        if len(matches) > 1:
            where = ", ".join(r.tenant_id for r in matches)
            raise UsageError(
                f"{unique_name} is registered in several tenants: {where}",
                hint="choose one with --tenant (or --sandbox)",
            )
        return matches[0]

    def preflight(self) -> None:
        """Before the tenant changes: state.json must be writable, or apply could not record."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, probe = tempfile.mkstemp(dir=self.path.parent, prefix=".state-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise StoreError(
                f"cannot write ssoctl's state in {self.path.parent}: {exc.strerror or exc}",
                hint="make the folder writable, or point SSOCTL_HOME at a writable folder",
            ) from None
        self._load()  # a broken state file stops us now, not after the tenant changed

    def _save(self, regs: dict[str, Registration]) -> None:
        try:
            self._write(regs)
        except OSError as exc:
            raise StoreError(
                f"cannot write {self.path}: {exc.strerror or exc}",
                hint="make SSOCTL_HOME writable; then run the command again (it is safe to repeat)",
            ) from None

    def _write(self, regs: dict[str, Registration]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._keep_last_good()
        doc = {
            "version": STATE_VERSION,
            "registrations": {k: r.to_json() for k, r in sorted(regs.items())},
        }
        write_private(self.path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))

    def _keep_last_good(self) -> None:
        """Before replacing state.json, keep the version it holds now (read and understood by this
        write's own load) as state.json.bak: a file damaged later can be restored from it."""
        try:
            previous = self.path.read_bytes()
        except FileNotFoundError:
            return
        write_private(self.backup, previous)


def _readable_state(path: Path) -> bool:
    """Whether `path` is a state file this ssoctl can read (so restoring it would help)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or int(raw.get("version", 1)) > STATE_VERSION:
            return False
        for record in raw.get("registrations", {}).values():
            Registration.from_json(record)
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return False
    return True


def _zulu_micro(moment: datetime) -> str:
    """`2026-12-02T03:10:04.123456Z`: as precise as Graph's startDateTime, to compare with it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

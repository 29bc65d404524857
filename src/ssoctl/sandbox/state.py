"""The sandbox tenant on disk: one JSON document, changed under a file lock, written atomically.

Several processes may serve or use the same home at once (`ssoctl sandbox serve` in one shell,
`ssoctl --sandbox` in another), so every request runs load -> change -> save while holding an
exclusive `flock` on `home/sandbox/.lock`, and saves replace the file in one `os.replace`. The
folder is 0700 and every file 0600: the tenant holds no secret text, but its request log and
metadata are the user's business. (No fsync: a sandbox tenant is not worth a disk flush per
request; `os.replace` still guarantees readers see the old or the new document, never half.)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ssoctl.errors import StoreError
from ssoctl.sandbox.auth import tenant_domain
from ssoctl.sandbox.seed import COLLECTIONS, upgrade

STATE_VERSION = 1
TENANT_FILE = "tenant.json"
LOG_FILE = "requests.jsonl"
LOCK_FILE = ".lock"

JSON = dict[str, Any]


def sandbox_dir(home: Path) -> Path:
    """Where the sandbox keeps its tenant, lock and request log."""
    return Path(home) / "sandbox"


def _ensure_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def _open_private(path: Path, flags: int) -> int:
    fd = os.open(path, flags | os.O_CLOEXEC, 0o600)
    with contextlib.suppress(OSError):
        os.fchmod(fd, 0o600)
    return fd


def new_tenant(now: datetime | None = None) -> JSON:
    """A fresh tenant: a random id, its verified domain, Microsoft Graph's service principal."""
    tenant_id = str(uuid.uuid4())
    domain = tenant_domain(tenant_id)
    created = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    state: JSON = {
        "version": STATE_VERSION,
        "tenantId": tenant_id,
        "displayName": f"Contoso sandbox ({domain.split('.')[0]})",
        "createdDateTime": created,
        "verifiedDomains": [
            {
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": True,
                "isInitial": True,
                "name": domain,
                "type": "Managed",
            }
        ],
        "applications": {},
        "deletedApplications": {},
        "servicePrincipals": {},
        "oauth2PermissionGrants": {},
        "appRoleAssignments": {},
        # Object ids -> requests left that must not see the object (replication.py).
        "replication": {},
    }
    upgrade(state)
    return state


class TenantStore:
    """Access to one home's sandbox tenant; every use is a short locked transaction."""

    def __init__(self, home: Path) -> None:
        self.dir = sandbox_dir(home)
        self.tenant_path = self.dir / TENANT_FILE
        self.log_path = self.dir / LOG_FILE
        self.lock_path = self.dir / LOCK_FILE
        # The parsed document and the file it came from (mtime, size, inode): a tenant with
        # thousands of applications is tens of MB, too slow to parse again for every page.
        self._cached: tuple[tuple[int, int, int], JSON] | None = None

    @contextlib.contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[JSON]:
        """Yield the tenant document under an exclusive lock; save it if the caller changed it.

        The document is created on first use, and one written by an older ssoctl is brought up
        to date (seed.upgrade: new collections, Microsoft Graph's service principal) and saved
        with the first change. A caller that raises leaves the file untouched.

        `read_only` (a GET): the caller changes at most the small bookkeeping (replication
        counters), never the object collections, so only that part is compared to decide on a
        save. Comparing a large tenant whole costs more than serving a page of it.
        """
        _ensure_dir(self.dir)
        lock_fd = _open_private(self.lock_path, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            state = self._load_cached()
            fingerprint = _bookkeeping if read_only else _whole
            before = fingerprint(state) if state is not None else None
            if state is None:
                state = new_tenant()
            upgrade(state)
            try:
                yield state
            except BaseException:
                self._cached = None  # the caller may have changed it half-way: read the file again
                raise
            if fingerprint(state) != before:
                self._save(state)
                self._cached = (self._signature(), state) if self.tenant_path.exists() else None
        finally:
            fcntl.flock(lock_fd, fcntl.LOCK_UN)
            os.close(lock_fd)

    def _signature(self) -> tuple[int, int, int]:
        info = self.tenant_path.stat()
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def _load_cached(self) -> JSON | None:
        """The document, parsed again only when the file changed since this store last saw it."""
        try:
            signature = self._signature()
        except FileNotFoundError:
            self._cached = None
            return None
        if self._cached is not None and self._cached[0] == signature:
            return self._cached[1]
        state = self._load()
        self._cached = (signature, state) if state is not None else None
        return state

    def tenant_id(self) -> str:
        """The tenant's id, creating the tenant if this home has none yet."""
        with self.transaction(read_only=True) as state:
            return str(state["tenantId"])

    def existing_tenant_id(self) -> str | None:
        """The tenant's id, or None when this home has no sandbox tenant (nothing is created)."""
        state = self._load()
        return str(state["tenantId"]) if state else None

    def salvage_tenant_id(self) -> str | None:
        """The tenant's id even from a damaged or foreign tenant file (for `sandbox reset`, which
        must work on exactly such a file): read normally, else the first `"tenantId": "<id>"`."""
        try:
            return self.existing_tenant_id()
        except StoreError:
            try:
                text = self.tenant_path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                return None
            found = re.search(r'"tenantId"\s*:\s*"([0-9a-fA-F-]{36})"', text)
            return found.group(1) if found else None

    def _load(self) -> JSON | None:
        try:
            text = self.tenant_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise self._unreadable(f"cannot be read ({exc.__class__.__name__})") from None
        try:
            data = json.loads(text)
        except ValueError:
            raise self._unreadable("is damaged (not JSON)") from None
        version = data.get("version") if isinstance(data, dict) else None
        if isinstance(version, int) and version > STATE_VERSION:
            raise StoreError(
                f"the sandbox tenant {self.tenant_path} was written by a newer ssoctl (version {version})",
                hint="upgrade ssoctl, or start a new sandbox tenant with `ssoctl sandbox reset --yes`",
            )
        if not isinstance(data, dict) or version != STATE_VERSION:
            raise self._unreadable("is not a sandbox tenant this ssoctl understands")
        return data

    def _unreadable(self, what: str) -> StoreError:
        return StoreError(
            f"the sandbox tenant {self.tenant_path} {what}",
            hint="start a new sandbox tenant with `ssoctl sandbox reset --yes` (it holds no real secrets)",
        )

    def _save(self, state: JSON) -> None:
        tmp = self.dir / f".{TENANT_FILE}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
        fd = _open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(state, handle, indent=1, sort_keys=True)
                handle.write("\n")
            os.replace(tmp, self.tenant_path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def append_log(self, entry: JSON) -> None:
        """Append one request record (one line, one write: concurrent writers do not interleave)."""
        _ensure_dir(self.dir)
        line = (json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
        fd = _open_private(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def read_log(self) -> list[JSON]:
        try:
            text = self.log_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def _whole(state: JSON) -> str:
    return json.dumps(state, sort_keys=True)


def _bookkeeping(state: JSON) -> str:
    """Everything but the object collections (and which collections exist)."""
    light = {k: v for k, v in state.items() if k not in COLLECTIONS}
    return json.dumps([sorted(state), light], sort_keys=True)


def reset(home: Path) -> None:
    """Delete the sandbox folder: tenant, log, lock and anything else kept there."""
    shutil.rmtree(sandbox_dir(home), ignore_errors=True)

"""Private files and locks: the one 0600 atomic writer and the one cross-process lock.

Secrets and ssoctl's own records are written through `write_private`: a temporary file in the same
folder, mode 0600 from its first byte, fsync'd, then renamed over the target, so a crash leaves
either the old file or the new one, never half of one, and never a moment of wider permissions.
`exclusive_lock` is how two ssoctl processes take turns (POSIX `flock`; on Windows `msvcrt`).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

PRIVATE_MODE = 0o600


def write_private(path: Path, data: bytes, *, keep_owner: bool = False) -> None:
    """Replace `path` atomically with `data`, mode 0600 (never wider than the file had).

    `keep_owner`: keep the old file's owner and group (only root can, e.g. `sudo ssoctl` writing
    a user's env file). Raises OSError; callers turn it into their own error with a hint.
    """
    try:
        old: os.stat_result | None = path.stat()
    except OSError:
        old = None
    mode = PRIVATE_MODE if old is None else stat.S_IMODE(old.st_mode) & PRIVATE_MODE
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            if keep_owner and old is not None and hasattr(os, "fchown"):
                with contextlib.suppress(OSError):  # only root may give a file away
                    os.fchown(handle.fileno(), old.st_uid, old.st_gid)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where folders cannot be opened (Windows)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class LockBusy(Exception):
    """The lock stayed held by another process for the whole wait."""


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def exclusive_lock(
    path: Path,
    *,
    wait: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    note: str = "",
) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created 0600) for the block.

    Polls for up to `wait` seconds, then raises LockBusy. `note` is written into the file while
    it is held (e.g. the pid and command), so the waiting process can say who holds it. The lock
    dies with the process, so a crash never leaves a stale lock behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), PRIVATE_MODE)
    locked = False
    try:
        deadline = clock() + wait
        while not _try_lock(fd):
            if clock() >= deadline:
                raise LockBusy(read_lock_note(path))
            sleep(0.1)
        locked = True
        if note:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, note.encode("utf-8"))
        yield
    finally:
        if locked and note:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor releases the lock


def read_lock_note(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""

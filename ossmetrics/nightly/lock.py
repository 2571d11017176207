"""One nightly run at a time: an ``fcntl.flock`` on a lock file beside the store.

Why a file lock and not a row in the database: the kernel drops a ``flock`` the moment its
process dies, however it dies (``kill -9`` included), so a crashed run can never leave a stale
lock behind, and nobody has to guess whether a recorded PID is still alive. The holder writes its
PID into the file so a second run can say who is running.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from ossmetrics.errors import AlreadyRunning, NightlyError

__all__ = ["NightlyLock", "lock_path_for"]


def lock_path_for(db_path: str | os.PathLike[str]) -> Path:
    """``<db>.nightly.lock`` beside the store, so each store has its own lock."""
    p = Path(db_path)
    return p.with_name(p.name + ".nightly.lock")


class NightlyLock:
    """Context manager holding the nightly lock; raises ``AlreadyRunning`` if it is taken."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def holder(self) -> int | None:
        """The PID written by the current (or last) holder, if readable."""
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return int(text) if text.isdigit() else None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise NightlyError(
                f"cannot create the lock file {self.path}: {exc.strerror}",
                "make the store's folder writable",
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(str(self.path), self.holder()) from None
        except OSError as exc:
            os.close(fd)
            raise NightlyError(
                f"cannot lock {self.path}: {exc.strerror}", "check the filesystem supports flock"
            ) from None
        # Only the holder writes; the PID is informational, the flock is the lock.
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            os.fsync(fd)
        except OSError:  # a full disk must not stop the run from holding its lock
            pass
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> NightlyLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

"""Several ``git log`` processes over contiguous slices of one history, with work stealing.

``git log`` is single-threaded and is the whole cost of a collection (the parser keeps up with
it), so the only way past its speed is more than one of it. The list of commits is cut into
``jobs`` contiguous slices, not dealt out commit by commit: neighbouring commits share trees and
blobs, and a process that walks a contiguous slice keeps reading what its delta cache already
holds (dealt alternately, rails was measured *slower* on two processes). Slices of equal length
are not equal work (a slice of big generated files takes longer), so a worker that finishes
**steals** the second half of what is left of the busiest slice: it starts its own ``git log``
there, and the owner stops when it reaches that point. Below ``MIN_PER_JOB`` commits a process
the start-up is not worth it.

The bookkeeping (``SliceScheduler``) is apart from the threads and processes (``log_commits``):
it has no clock and no thread of its own, so a test drives it step by step and sees exactly
which commits each worker delivers and what a steal takes.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from collections.abc import Generator, Sequence
from dataclasses import dataclass

from ossmetrics.collect.gitparse import NO_WALK_FLAGS, Commit
from ossmetrics.collect.gitrecover import log_with_recovery
from ossmetrics.collect.gitrepo import GitRepo

__all__ = ["MIN_PER_JOB", "MIN_STEAL", "Slice", "SliceScheduler", "log_commits"]

MIN_PER_JOB = 250  # fewer commits than this per git process: one process is as fast
MIN_STEAL = 100  # a slice with less than twice this left is not split again
BATCH = 64  # commits handed over at once


@dataclass
class Slice:
    """Commits ``shas[pos:end]`` still to be delivered by one worker (``end`` may shrink)."""

    pos: int
    end: int
    done: bool = False


class SliceScheduler:
    """Which part of ``n`` commits each worker delivers; thread-safe, no clock.

    Args:
        n: commits in the list.
        jobs: workers (slices at the start), at least 1.
        min_steal: a slice with less than twice this left is not split (default ``MIN_STEAL``).
    """

    def __init__(self, n: int, jobs: int, min_steal: int | None = None) -> None:
        self.slices = [Slice(i * n // jobs, (i + 1) * n // jobs) for i in range(jobs)]
        self.min_steal = MIN_STEAL if min_steal is None else min_steal
        self._lock = threading.Lock()

    def first(self) -> list[Slice]:
        """The starting slice of each worker, in list order."""
        return list(self.slices)

    def span(self, sl: Slice) -> tuple[int, int]:
        """``(pos, end)`` of ``sl`` now: the commits a ``git log`` for it should be given."""
        with self._lock:
            return sl.pos, sl.end

    def advance(self, sl: Slice) -> bool:
        """Count one more commit of ``sl`` delivered; False (nothing counted) when its rest has
        been stolen and the worker must stop."""
        with self._lock:
            if sl.pos >= sl.end:
                return False
            sl.pos += 1
            return True

    def steal(self, own: Slice) -> Slice | None:
        """Mark ``own`` finished and hand its worker the second half of what is left of the
        busiest slice (None when no slice has ``2 * min_steal`` commits left)."""
        with self._lock:
            own.done = True
            busy = [sl for sl in self.slices if not sl.done]
            if not busy:
                return None
            victim = max(busy, key=lambda sl: sl.end - sl.pos)
            left = victim.end - victim.pos
            if left < 2 * self.min_steal:
                return None
            mid = victim.pos + left // 2
            theirs = Slice(mid, victim.end)
            victim.end = mid
            self.slices.append(theirs)
            return theirs


def log_commits(
    repo: GitRepo, shas: Sequence[str], *, jobs: int = 1
) -> Generator[Commit, None, None]:
    """Exactly the commits ``shas`` (each diffed against its first parent), over ``jobs`` processes.

    Each slice is parsed in its own thread and handed over in batches through a bounded queue,
    so memory stays bounded however long the history is; closing the generator stops every git
    process. Commits arrive in no fixed order.
    """
    shas = list(shas)
    jobs = max(1, min(jobs, len(shas) // MIN_PER_JOB))
    if jobs == 1:
        if not shas:
            return
        stdin = ("\n".join(shas) + "\n").encode()
        yield from log_with_recovery(repo, list(NO_WALK_FLAGS), stdin, lambda: shas)
        return
    plan = SliceScheduler(len(shas), jobs)
    q: queue.Queue[list[Commit] | BaseException | None] = queue.Queue(maxsize=4 * jobs)
    stop = threading.Event()
    procs: list[subprocess.Popen[bytes]] = []

    def put(item: list[Commit] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def deliver(sl: Slice) -> bool:
        """Stream ``sl`` to the queue until its (possibly shrinking) end; False when stopping."""
        pos, end = plan.span(sl)
        part = shas[pos:end]
        stdin = ("\n".join(part) + "\n").encode()
        gen = log_with_recovery(repo, list(NO_WALK_FLAGS), stdin, lambda: part, procs)
        try:
            batch: list[Commit] = []
            for c in gen:
                if not plan.advance(sl):
                    break  # the rest was stolen
                batch.append(c)
                if len(batch) >= BATCH:
                    if not put(batch):
                        return False
                    batch = []
            return not batch or put(batch)
        finally:
            gen.close()  # kills this slice's git when it stopped early

    def work(first: Slice) -> None:
        try:
            sl: Slice | None = first
            while sl is not None and deliver(sl):
                sl = plan.steal(sl)
        except BaseException as exc:  # handed to the consumer, raised there (unless stopping)
            put(exc)
        finally:
            put(None)

    threads = [
        threading.Thread(target=work, args=(sl,), daemon=True, name=f"ossmetrics-git-log-{i}")
        for i, sl in enumerate(plan.first())
    ]
    for t in threads:
        t.start()
    try:
        running = len(threads)
        while running:
            item = q.get()
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield from item
    finally:
        stop.set()
        for proc in list(procs):  # a worker blocked reading git wakes up on EOF
            if proc.poll() is None:
                proc.kill()
        for t in threads:
            t.join()

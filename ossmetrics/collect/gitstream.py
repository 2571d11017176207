"""One ``git log`` process, streamed: its output parsed while git still works.

Why streamed: on a long history git is the whole cost (the parser keeps up with it), so the
commits are parsed and handed on as git prints them, and memory holds a block, not the history.
A failure is not raised here: the stream ends with git's stderr as bytes, so the caller
(``gitrecover``) can tell a missing blob of a partial clone from a broken repository.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator, Sequence

from ossmetrics.collect.gitparse import Commit, LogParser
from ossmetrics.collect.gitrepo import GitRepo, git_env

try:
    import fcntl
except ImportError:  # not on POSIX: the pipe keeps its default size
    fcntl = None  # type: ignore[assignment]

__all__ = ["BLOCK", "READ_BLOCK", "stream"]

BLOCK = 1 << 20  # pipe size asked for
READ_BLOCK = 1 << 17


def _feed_stdin(proc: subprocess.Popen[bytes], data: bytes) -> threading.Thread:
    def write() -> None:
        try:
            assert proc.stdin is not None
            proc.stdin.write(data)
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    t = threading.Thread(target=write, daemon=True)
    t.start()
    return t


def _widen_pipe(fd: int) -> None:
    """Ask Linux for a 1 MiB pipe (default 64 KiB), so git blocks less while we parse."""
    setsz = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setsz is None:
        return
    with contextlib.suppress(OSError):  # over /proc/sys/fs/pipe-max-size: keep the default
        fcntl.fcntl(fd, setsz, BLOCK)


def stream(
    repo: GitRepo,
    args: Sequence[str],
    stdin: bytes,
    procs: list[subprocess.Popen[bytes]] | None = None,
) -> Iterator[Commit | bytes]:
    """Run one ``git log``; yield commits, then (on failure) its stderr as bytes.

    ``procs`` collects the process, so that another thread can kill it to stop this one.
    """
    proc = subprocess.Popen(
        repo.argv("log", *args),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=git_env(),
    )
    if procs is not None:
        procs.append(proc)
    writer = _feed_stdin(proc, stdin)
    errbuf: list[bytes] = []

    def drain() -> None:
        assert proc.stderr is not None
        errbuf.append(proc.stderr.read())

    err_thread = threading.Thread(target=drain, daemon=True)
    err_thread.start()
    parser = LogParser()
    assert proc.stdout is not None
    _widen_pipe(proc.stdout.fileno())
    read = proc.stdout.read
    try:
        while True:
            # A buffered read of READ_BLOCK: git flushes after every commit (~300 bytes), and
            # one os.read per flush cost more CPU than parsing (59k reads on numpy). Not the
            # whole 1 MiB: a short history would then be parsed only after git ends, and the
            # work stealing would see a slice's progress late.
            data = read(READ_BLOCK)
            if not data:
                break
            yield from parser.feed(data)
        rc = proc.wait()
        err_thread.join()
        writer.join()
        if rc == 0:
            yield from parser.close()
        else:
            yield b"".join(errbuf) or b"git log failed"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()

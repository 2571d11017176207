"""Partial-clone recovery: a ``git log`` that steps over commits whose blobs are missing.

Partial clones (``--filter=blob:limit=…``) lack large blobs; ``git log --numstat`` then dies
with ``unable to read``. ``log_with_recovery`` keeps what was parsed, re-diffs the failing commit
without the missing paths (those get a row with NULL counts, ``fallback_commit``) and resumes the
log after it, so a collection never fails on a missing blob. Any other failure is a
``GitError``.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Generator

from ossmetrics.collect.gitparse import (
    LOG_FORMAT,
    NO_WALK_FLAGS,
    Commit,
    FileChange,
    parse_files,
    parse_record,
)
from ossmetrics.collect.gitrepo import GitRepo, first_error_line
from ossmetrics.collect.gitstream import stream
from ossmetrics.errors import GitError

__all__ = ["fallback_commit", "log_with_recovery"]

_MISSING = re.compile(r"unable to read|bad object|missing blob|could not read|not a valid object")


def log_with_recovery(
    repo: GitRepo,
    args: list[str],
    stdin: bytes,
    order: Callable[[], list[str]],
    procs: list[subprocess.Popen[bytes]] | None = None,
) -> Generator[Commit, None, None]:
    """One ``git log`` over ``stdin``'s revisions, stepping over commits with missing blobs.

    ``order`` lists, newest first, the commits that log shows (only asked for on a failure).
    """
    done: set[str] = set()
    listed: list[str] | None = None
    while True:
        failure: bytes | None = None
        for item in stream(repo, args, stdin, procs):
            if isinstance(item, bytes):
                failure = item
            else:
                done.add(item.sha)
                yield item
        if failure is None:
            return
        msg = first_error_line(failure)
        if not _MISSING.search(msg):
            raise GitError(
                f"git log failed in {repo.path}: {msg}",
                "check that the repository is intact (`git fsck`)",
            )
        if listed is None:
            listed = order()
        remaining = [s for s in listed if s not in done]
        if not remaining:
            return
        failing, rest = remaining[0], remaining[1:]
        commit = fallback_commit(repo, failing)
        done.add(failing)
        yield commit
        if not rest:
            return
        args = list(NO_WALK_FLAGS)
        stdin = ("\n".join(rest) + "\n").encode()


def fallback_commit(repo: GitRepo, sha: str) -> Commit:
    """One commit whose diff touches a missing blob: exact rows for the rest, NULL for those."""
    header = repo.run(
        "log", "-1", "--no-walk", "-z", "--date=format:%z", "--format=" + LOG_FORMAT[4:], sha
    )
    rec = parse_record(header.rstrip(b"\0") + b"\0")
    if rec is None:
        raise GitError(f"cannot read commit {sha} in {repo.path}", "run `git fsck`")
    raw = repo.run(
        "diff-tree", "-r", "-z", "--no-renames", "--raw", "--root", "--no-commit-id", sha
    )
    tokens = raw.decode("utf-8", "replace").split("\0")
    entries: list[tuple[str, str, str]] = []  # (old blob, new blob, path)
    for i in range(0, len(tokens) - 1, 2):
        meta = tokens[i].split()
        if len(meta) >= 5:
            entries.append((meta[2], meta[3], tokens[i + 1]))
    blobs = sorted({b for o, n, _ in entries for b in (o, n) if set(b) != {"0"}})
    check = repo.run("cat-file", "--batch-check", stdin=("\n".join(blobs) + "\n").encode())
    missing = {ln.split()[0] for ln in check.decode().splitlines() if ln.endswith(" missing")}
    bad = sorted({p for o, n, p in entries if o in missing or n in missing})
    spec = [f":(exclude,literal){p}" for p in bad]
    out = repo.run(
        "diff-tree",
        "-r",
        "-z",
        "-M",
        "--numstat",
        "--root",
        "--no-commit-id",
        sha,
        "--",
        ".",
        *spec,
    )
    files = parse_files(out.decode("utf-8", "replace").split("\0"))
    files += [FileChange(p, None, None, None) for p in bad]
    return rec._replace(files=files)

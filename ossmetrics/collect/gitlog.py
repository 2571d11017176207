"""Read a git history as parsed commits: the collector's one entry point to git.

``git log --numstat -z -M`` is the fastest way to get per-file line counts out of a history
(measured while writing it, ``benchmarks/bench_git.py`` repeats it: parsed and loaded within
1.2-1.35x of git itself, where pygit2 is 2.3-5.2x and PyDriller 25-32x). The work is split by
what each part does, one module each:

- ``gitrepo``: the repository handle (``open_repository``, ``GitRepo``: tips, rev-list, blobs);
- ``gitparse``: the pure parser of the log format (``LogParser``, ``parse_record``);
- ``gitstream``: one ``git log`` process streamed through the parser;
- ``gitrecover``: partial-clone recovery (a missing blob is stepped over, not fatal);
- ``gitslices``: several processes on contiguous slices, with the work-stealing scheduler.

``iter_commits`` picks one process or several; the names above are re-exported here.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence

from ossmetrics.collect.gitparse import (
    LOG_FLAGS,
    LOG_FORMAT,
    NO_WALK_FLAGS,
    Commit,
    FileChange,
    LogParser,
    parse_record,
    parse_tz,
)
from ossmetrics.collect.gitrecover import log_with_recovery
from ossmetrics.collect.gitrepo import GIT_CONFIG, GitRepo, open_repository
from ossmetrics.collect.gitslices import log_commits

__all__ = [
    "GIT_CONFIG",
    "LOG_FLAGS",
    "LOG_FORMAT",
    "NO_WALK_FLAGS",
    "Commit",
    "FileChange",
    "GitRepo",
    "LogParser",
    "iter_commits",
    "log_commits",
    "open_repository",
    "parse_record",
    "parse_tz",
]


def iter_commits(
    repo: GitRepo,
    include: Sequence[str],
    exclude: Iterable[str] = (),
    *,
    jobs: int = 1,
    order: Sequence[str] | None = None,
) -> Generator[Commit, None, None]:
    """Every commit reachable from ``include`` and not from ``exclude``.

    ``jobs=1`` streams one ``git log`` newest first. ``jobs > 1`` splits the range (``order``:
    its ``git rev-list``, computed when not given) over that many ``git log`` processes; commits
    then arrive in no fixed order. Missing blobs (partial clones) do not stop it: see the module
    docstring.
    """
    revs = [*include, *("^" + s for s in exclude)]
    if jobs > 1:
        shas = list(order) if order is not None else repo.rev_list(revs)
        yield from log_commits(repo, shas, jobs=jobs)
        return
    stdin = ("\n".join(revs) + "\n").encode()
    yield from log_with_recovery(repo, [*LOG_FLAGS, "--stdin"], stdin, lambda: repo.rev_list(revs))

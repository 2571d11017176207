"""Collect a git history into the store: commits, per-file line counts, identities, people.

Why ``git log`` and not pygit2 (measured while writing it; ``benchmarks/bench_git.py`` repeats
the comparison with git itself and, on request, PyDriller): every metric needs
per-file added/deleted lines, and libgit2 only gives those by generating each patch. One
``git log --numstat -z -M`` process, stream-parsed while git works and loaded as Arrow
batches, costs 1.19x (numpy, 42k commits) to 1.35x (rails, 99k) the time of ``git log`` alone
writing to /dev/null; pygit2 took 2.3-5.2x and 1 GB on rails, PyDriller 25-32x. Rename
detection (``-M``) is nearly free and gives ``old_path``.

How a run works (``collect_git``):

1. Two cheap git calls find the repository and its tips (HEAD, or every branch and tag with
   ``all_refs``). When they equal the tips stored in ``sync_state`` (source ``git``, endpoint
   ``HEAD``) and the stored commit count matches, nothing else runs: an unchanged repository
   returns in milliseconds.
2. Otherwise, in **one transaction**: commits that are no longer reachable (a force-push) are
   deleted with their files (``git rev-list OLD --not NEW``); ``git log NEW --not OLD`` streams
   only the new commits — split over several ``git log`` processes (``git_jobs``) when there
   are enough of them, since git's diffing is the whole cost; files go straight into
   ``commit_files`` and commits into a staging
   table in Arrow batches (bounded memory); identities are created from the staged names and
   emails; commits are inserted with their identity ids; the ``.mailmap`` at HEAD is stored;
   identities are merged into people (``collect.identities``); the new tips are recorded.
   A crash, Ctrl-C or ``kill -9`` anywhere leaves the store exactly as before the run, and the
   next run does the whole increment again. Nothing is duplicated, because the cursor and the
   rows commit together.

Merge commits get no ``commit_files`` rows (git log's default: their changes are counted on
the merged commits). Binary files, and files whose blob is missing from a partial clone, have
NULL counts. Timestamps are stored in UTC; the author's and committer's offsets are kept in
minutes.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import duckdb

from ossmetrics.collect.bots import parse_bot_list
from ossmetrics.collect.git_stage import Stager, warm_up_arrow
from ossmetrics.collect.gitlog import Commit, GitRepo, iter_commits, open_repository
from ossmetrics.collect.sync_state import get_state, set_state
from ossmetrics.errors import GitError, UsageError
from ossmetrics.store import ensure_repo, transaction
from ossmetrics.store.repos import validate_repo_name

__all__ = ["GitCollectResult", "collect_git", "git_jobs", "open_repository", "repo_name_for"]

_GITHUB_URL = re.compile(
    r"github\.com[:/]+([A-Za-z0-9][A-Za-z0-9_.-]*)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)


@dataclass
class GitCollectResult:
    repo: str
    repo_id: int
    commits_added: int
    commits_removed: int
    files_added: int
    seconds: float
    unchanged: bool = False
    full: bool = False
    commits_total: int = 0
    people: int = 0


def repo_name_for(repo: GitRepo, given: str | None = None) -> str:
    """``--repo`` if given, else owner/name from a github.com origin, else ``local/<folder>``."""
    if given:
        return validate_repo_name(given)
    url = repo.origin_url()
    if url:
        m = _GITHUB_URL.search(url)
        if m:
            return validate_repo_name(f"{m.group(1)}/{m.group(2)}")
    folder = re.sub(r"[^A-Za-z0-9_.-]+", "-", repo.name).strip("-.") or "repo"
    return validate_repo_name(f"local/{folder}")


def _load_cursor(con: duckdb.DuckDBPyConnection, repo_id: int) -> dict[str, Any] | None:
    stored, _ = get_state(con, repo_id, "git", "HEAD")
    if not stored:
        return None
    try:
        cur = json.loads(stored)
    except ValueError:
        return None
    return cur if isinstance(cur, dict) and isinstance(cur.get("tips"), list) else None


def _stored_count(con: duckdb.DuckDBPyConnection, repo_id: int) -> int:
    row = con.execute("SELECT count(*) FROM commits WHERE repo_id = ?", [repo_id]).fetchone()
    return int(row[0]) if row else 0


def collect_git(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike[str],
    repo: str | None = None,
    *,
    all_refs: bool = False,
    progress: bool = False,
    extra_bots: Sequence[str] = (),
    jobs: int | str = "auto",
    merge_people: bool = True,
) -> GitCollectResult:
    """Bring the store's copy of the history at ``path`` up to date (see the module docstring).

    ``repo`` names it (OWNER/REPO); by default the github.com ``origin`` remote or
    ``local/<folder>``. ``extra_bots`` adds bot names/emails to the built-in rules (callers pass
    the ``bots`` setting). ``jobs`` is how many ``git log`` processes share the work (a number
    or ``auto``; callers pass the ``git_jobs`` setting). ``merge_people=False`` leaves the
    store-wide identity merge to the caller: a corpus build collecting hundreds of repositories
    merges once at the end (``collect.identities.recompute_people``) instead of re-merging the
    whole, growing store after each one; the result is then ``people=0`` and the new identities
    have no ``person_id`` until that merge.
    """
    t0 = time.perf_counter()
    g = open_repository(path)
    tips, branch = g.tips(all_refs)
    name = repo_name_for(g, repo)
    mode = "all" if all_refs else "head"
    row = con.execute(
        "SELECT repo_id FROM repos WHERE lower(full_name) = lower(?)", [name]
    ).fetchone()
    repo_id = int(row[0]) if row else None
    cursor = _load_cursor(con, repo_id) if repo_id is not None else None
    stored = _stored_count(con, repo_id) if repo_id is not None else 0
    if (
        repo_id is not None
        and cursor is not None
        and cursor.get("mode") == mode
        and cursor["tips"] == tips
        and cursor.get("commits") == stored
    ):
        return GitCollectResult(
            name, repo_id, 0, 0, 0, time.perf_counter() - t0, unchanged=True, commits_total=stored
        )

    warm_up_arrow()
    old_tips: list[str] = []
    gone: list[str] = []
    full = cursor is None or cursor.get("commits") != stored
    if not full:
        assert cursor is not None
        old_tips = [str(t) for t in cursor["tips"]]
        try:
            gone = g.rev_list([*old_tips, *("^" + t for t in tips)])
        except GitError:
            full, old_tips, gone = True, [], []  # an old tip was garbage-collected: start over
    bots = parse_bot_list(extra_bots)
    n_jobs = git_jobs(jobs)
    mailmap = g.read_blob("HEAD:.mailmap")

    with transaction(con):
        platform = "local" if name.startswith("local/") else "github"
        rid = ensure_repo(con, name, platform=platform, git_path=str(g.work_tree or g.git_dir))
        con.execute("UPDATE repos SET default_branch = ? WHERE repo_id = ?", [branch, rid])
        removed = stored if full else len(gone)
        if full:
            con.execute("DELETE FROM commit_files WHERE repo_id = ?", [rid])
            con.execute("DELETE FROM commits WHERE repo_id = ?", [rid])
        elif gone:
            _delete_commits(con, rid, gone)
        order: list[str] | None = None
        if progress or n_jobs > 1:
            order = g.rev_list([*tips, *("^" + t for t in old_tips)])
        stager = Stager(con, rid, order)
        _run_log(g, tips, old_tips, stager, progress, order, n_jobs)
        new_identities = stager.finish()
        from ossmetrics.collect.identities import recompute_people
        from ossmetrics.collect.mailmap import store_mailmap

        mailmap_changed = store_mailmap(con, rid, mailmap)
        # Re-merging every identity in the store costs ~1 s per 50k identities: skip it when
        # nothing that decides a merge changed (the usual nightly increment by known authors).
        unmerged = con.execute("SELECT count(*) FROM identities WHERE person_id IS NULL").fetchone()
        if merge_people and (
            new_identities
            or mailmap_changed
            or (unmerged and unmerged[0])
            or cursor is None
            or cursor.get("bots") != list(bots)
        ):
            recompute_people(con, extra_bots=bots)
        count = _stored_count(con, rid)
        new_cursor = json.dumps({"mode": mode, "tips": tips, "commits": count, "bots": list(bots)})
        set_state(con, rid, "git", "HEAD", cursor=new_cursor, done=True)
        people = (
            con.execute(
                """SELECT count(DISTINCT i.person_id) FROM commits c
                   JOIN identities i ON i.identity_id = c.author_identity WHERE c.repo_id = ?""",
                [rid],
            ).fetchone()
            if merge_people
            else None
        )
    return GitCollectResult(
        name,
        rid,
        stager.commits,
        removed,
        stager.files,
        time.perf_counter() - t0,
        full=full,
        commits_total=count,
        people=int(people[0]) if people else 0,
    )


def _delete_commits(con: duckdb.DuckDBPyConnection, repo_id: int, shas: list[str]) -> None:
    import pyarrow as pa

    gone = pa.table({"sha": pa.array(shas, pa.string())})
    con.register("_git_gone", gone)
    try:
        con.execute(
            "DELETE FROM commit_files WHERE repo_id = ? AND sha IN (SELECT sha FROM _git_gone)",
            [repo_id],
        )
        con.execute(
            "DELETE FROM commits WHERE repo_id = ? AND sha IN (SELECT sha FROM _git_gone)",
            [repo_id],
        )
    finally:
        con.unregister("_git_gone")


def git_jobs(value: int | str) -> int:
    """How many ``git log`` processes to run: a positive number, or ``auto``.

    ``auto`` is one per CPU this process may use, at most 4: each process re-reads the trees
    at the start of its slice, so beyond the cores there are it only adds work.
    """
    text = str(value).strip().lower()
    if text in ("", "auto"):
        try:
            cpus = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cpus = os.cpu_count() or 1
        return max(1, min(cpus, 4))
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise UsageError(
        f"git jobs must be a positive number or auto, not {value!r}",
        "set --jobs / OSSMETRICS_GIT_JOBS / git_jobs to auto, 1, 2, …",
    )


def _run_log(
    g: GitRepo,
    tips: list[str],
    old_tips: list[str],
    stager: Stager,
    progress: bool,
    order: list[str] | None,
    jobs: int,
) -> None:
    # closing(): an exception or Ctrl-C here must stop the git processes at once.
    with closing(iter_commits(g, tips, old_tips, jobs=jobs, order=order)) as commits:
        if not progress:
            for c in commits:
                stager.add(c)
            return
        _with_progress(commits, stager, len(order) if order is not None else None)


def _with_progress(commits: Iterator[Commit], stager: Stager, total: int | None) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]git log[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("commits", total=total, rate="")
        t0 = time.perf_counter()
        n = 0
        for c in commits:
            stager.add(c)
            n += 1
            if n % 500 == 0:
                dt = max(time.perf_counter() - t0, 1e-9)
                bar.update(task, completed=n, rate=f"{n / dt:,.0f} commits/s")
        bar.update(task, completed=n)

"""One ``spark collect`` task: a slice of the repositories collected into one in-memory store.

The task loads its repositories' rows from their last run (``collect_rows.absorb``: so the
collector's cursor and commit count are there and a rerun reads only new commits), runs the
local git collector (``collect_git``: the same ``git log`` parse, identities and bot rules) on
each repository in turn, and, if any repository changed, writes the store as one task folder
(one Parquet file per table for all of them). A repository that fails (a missing clone, git
failing) is rolled back by the collector's transaction, recorded with its error, and never
stops the others.

Why one store and one folder per task, not per repository: per repository the folder cost
~9-15 ms of Parquet writing and the reload and emptying of the store ~3 ms, against 50-80 ms
for collecting a 150-commit history (cProfile of the task inline, docs/scale.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ossmetrics.spark.collect_rows import (
    ROW_TABLES,
    absorb,
    folder_rel,
    legacy_source,
    save_rows,
    sequences_past_max,
)

__all__ = ["Item", "run_task"]

#: (OWNER/NAME, clone path, task folder holding its last run's rows or None)
Item = tuple[str, str, str | None]

#: This Python worker's store, kept between its tasks (Spark reuses Python workers).
_WORKER: dict[str, Any] = {}


def _store(ddl: tuple[str, ...]) -> Any:
    """The worker's in-memory store, built once from ``ddl`` and emptied for each task. One
    thread: a task is one process, the job's parallelism is the tasks."""
    con = _WORKER.get("con")
    if con is None or _WORKER.get("ddl") != ddl:
        import duckdb

        con = duckdb.connect(":memory:")
        con.execute("SET TimeZone = 'UTC'; SET threads = 1")
        con.execute("; ".join(ddl))
        _WORKER.update(con=con, ddl=ddl)
    else:
        con.execute("; ".join(f'DELETE FROM "{t}"' for t in (*ROW_TABLES, "people")))
    return con


def _load(con: Any, work: Path, items: list[Item]) -> None:
    """Absorb every repository's last-run rows, one ``absorb`` per source folder. Unreadable
    rows are skipped: that repository is then collected from scratch, and the merge replaces
    its rows in the lake whole, so the outcome is the same."""
    by_folder: dict[str, list[str]] = {}
    for repo, _, rows in items:
        if rows is not None and (work / rows).is_dir():
            by_folder.setdefault(rows, []).append(repo)
            continue
        try:
            rel = legacy_source(con, work, repo)
            if rel is not None:
                _absorb_safely(con, rel, [repo])
        except Exception:  # an unreadable store file: collected from scratch
            pass
        finally:
            con.execute("DETACH DATABASE IF EXISTS prev")
    for folder, names in sorted(by_folder.items()):
        _absorb_safely(con, folder_rel(work / folder), names)
    sequences_past_max(con)


def _absorb_safely(con: Any, rel: Any, names: list[str]) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        absorb(con, rel, names)
    except Exception:
        con.execute("ROLLBACK")
    else:
        con.execute("COMMIT")


def run_task(
    items: Iterable[Item], work: str, ddl: tuple[str, ...], forgotten: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Collect ``items`` one after another into one store; never raises for a repository.

    ``forgotten``: the lake's ``forgotten_identities`` hashes. Before the rows are written,
    identities naming those people become placeholders without login, name or address and
    their ``.mailmap`` rows go (``scrub_forgotten_rows``), so a task folder never holds a
    forgotten person; a folder of an earlier run that still did is written anew.

    Returns ``repos`` (one result per repository: status, commits added, error, seconds, CPU
    seconds), ``rows`` (the task folder written, or None when nothing changed) and the task's
    own ``seconds`` / ``cpu_seconds`` (store, loading and writing included)."""
    from ossmetrics.collect.forget import scrub_forgotten_rows
    from ossmetrics.collect.git import collect_git

    t0, c0 = time.perf_counter(), cpu_seconds()
    todo = list(items)
    folder = Path(work)
    con = _store(ddl)
    _load(con, folder, todo)
    out: list[dict[str, Any]] = []
    for repo, path, _ in todo:
        t, c = time.perf_counter(), cpu_seconds()
        try:
            # merge_people=False: the driver's merge recomputes people across all repositories
            r = collect_git(con, path, repo, jobs=1, merge_people=False)
            res: dict[str, Any] = {
                "repo": repo,
                "status": "unchanged" if r.unchanged else "ok",
                "commits_added": r.commits_added,
                "error": None,
            }
        except Exception as exc:  # recorded, not raised: one repository never stops the job
            from ossmetrics.errors import OssmetricsError

            msg = (
                exc.one_line()
                if isinstance(exc, OssmetricsError)
                else f"{type(exc).__name__}: {exc}"
            )
            res = {"repo": repo, "status": "failed", "commits_added": 0, "error": str(msg)[:500]}
        res["seconds"] = time.perf_counter() - t
        res["cpu_seconds"] = cpu_seconds() - c
        out.append(res)
    rows = None
    scrubbed = scrub_forgotten_rows(con, sorted(forgotten))
    if scrubbed or any(r["status"] == "ok" for r in out):
        try:
            rows = save_rows(con, folder)
        except Exception as exc:  # e.g. a full disk: the changed repositories failed
            for done in out:
                if done["status"] == "ok":
                    done.update(
                        status="failed", commits_added=0, error=f"writing rows: {exc}"[:500]
                    )
    return {
        "repos": out,
        "rows": rows,
        "ended": time.time(),  # the driver's timeline of the job (idle cores, stragglers)
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": cpu_seconds() - c0,
    }


def cpu_seconds() -> float:
    """CPU seconds of this process and the children it waited for (git): what a task cost,
    whatever share of a core it got (on a loaded machine its wall time can be twice that)."""
    import resource

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime

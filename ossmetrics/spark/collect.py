"""``ossmetrics spark collect``: repositories fanned out over Spark tasks, merged into the lake.

The repositories are dealt into tasks (``TASKS_PER_CORE`` per core); each task
(``collect_task.run_task``) collects its slice with the local git collector into one in-memory
store and writes it as one task folder, ``DIR/_collect/task-<id>/`` (one Parquet file per table
for all of the task's repositories). The lake's manifest records, per repository, its status,
error, attempts and the task folder holding its latest rows (``collect.<repo>.rows``): a rerun
loads those rows first, so it reads only the commits added since. A repository whose
collection fails is recorded with the error, retried once in the same job, and again on the
next run; it never stops the others.

The driver then merges the repositories that changed into the lake: repository and identity
ids are mapped onto the lake's (identities by their natural key), each repository's commits,
files, mailmap and cursor rows are replaced, people are recomputed across all repositories
(``merge_identities``: one person who commits to several repositories is one person), and the
lake's incremental export rewrites only the buckets that changed. Only then does the manifest
point at the new task folders, and only then are the folders no entry names deleted: a crash at
any point leaves readers on the previous lake, and the next run collects the same increment
again (the merge replaces a repository's rows whole, so nothing is added twice).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ossmetrics.spark.collect_rows import ROW_TABLES, absorb, folder_rel, sweep, worker_ddl
from ossmetrics.spark.collect_task import Item, run_task

__all__ = ["CollectJobResult", "collect_repos", "merge_repo_rows"]

_MERGED = ("people", *ROW_TABLES)


@dataclass
class CollectJobResult:
    ok: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    commits_added: int = 0
    seconds: float = 0.0
    collect_seconds: float = 0.0
    #: summed over the tasks: wall-clock seconds, and CPU seconds (worker + git)
    task_seconds: float = 0.0
    task_cpu_seconds: float = 0.0
    tasks: int = 0


#: Spark tasks per core: each task collects a slice of the repositories one after another.
TASKS_PER_CORE = 4


def run_tasks(
    spark: Any, items: list[Item], work: str, forgotten: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """``run_task`` over ``items``: one task inline without a session, else Spark tasks.

    A Spark task costs 0.1-0.2 s of scheduling and Python hand-over here (200 empty tasks on
    local[2]: 21 s), more than collecting a small repository, so a task takes a slice of the
    repositories -- ``TASKS_PER_CORE`` slices per core (slices let a core that finishes early
    take another), dealt round-robin so that neighbours in the list (often of a size) spread
    over the slices. Each repository still succeeds or fails on its own."""
    if not items:
        return []
    ddl = worker_ddl()
    if spark is None:
        return [run_task(items, work, ddl, forgotten)]
    n = min(len(items), max(1, int(spark.sparkContext.defaultParallelism)) * TASKS_PER_CORE)
    slices = [items[i::n] for i in range(n)]  # one element per partition: one slice per task
    rdd = spark.sparkContext.parallelize(slices, n)
    return list(rdd.map(lambda part: run_task(part, work, ddl, forgotten)).collect())


def collect_repos(
    spark: Any, lake: str | Path, repos: list[tuple[str, str]], *, merge: bool = True
) -> CollectJobResult:
    """Collect ``repos`` ((OWNER/NAME, clone path) pairs) on Spark and merge them into ``lake``.

    ``merge=False`` (benchmarks) runs the tasks only; the manifest marks their repositories
    ``merged: false``, and the next run that merges takes them in even if unchanged."""
    from ossmetrics.lake.export import load_local_manifest, save_manifest
    from ossmetrics.lake.layout import empty_manifest
    from ossmetrics.store.migrations import CODE_VERSION

    t0 = time.perf_counter()
    root = Path(lake).resolve()
    work = root / "_collect"
    work.mkdir(parents=True, exist_ok=True)
    before = load_local_manifest(root)
    last = dict((before or {}).get("collect", {}))
    forgotten = _forgotten(before, root) if before is not None else ()

    def item(name: str, path: str) -> Item:
        rows = last.get(name, {}).get("rows")
        return (name, path, str(rows) if rows else None)

    t1 = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    out = CollectJobResult()
    for attempt, todo in ((1, repos), (2, None)):
        if todo is None:  # one retry within the job
            todo = [i for i in repos if results[i[0]]["status"] == "failed"]
        for task in run_tasks(spark, [item(n, p) for n, p in todo], str(work), forgotten):
            out.tasks += 1
            out.task_seconds += float(task["seconds"])
            out.task_cpu_seconds += float(task["cpu_seconds"])
            for r in task["repos"]:
                r["attempts"] = attempt
                r["rows"] = task["rows"] if r["status"] != "failed" else None
                results[r["repo"]] = r
    out.collect_seconds = time.perf_counter() - t1
    for name, r in results.items():
        if r["status"] == "failed":
            out.failed[name] = r["error"]
        elif r["status"] == "unchanged":
            out.unchanged.append(name)
        else:
            out.ok.append(name)
            out.commits_added += r["commits_added"]
    for r in results.values():  # unwritten (unchanged, failed): the last run's rows
        r["rows"] = r["rows"] or last.get(r["repo"], {}).get("rows")
        r["merged"] = r["status"] != "ok" and last.get(r["repo"], {}).get("merged", True)
    # changed, or collected earlier by a run that did not merge (``merge=False``)
    todo_merge = sorted(n for n, r in results.items() if r["rows"] and not r["merged"])
    if merge and todo_merge:
        merge_repo_rows(root, {n: str(results[n]["rows"]) for n in todo_merge})
        for n in todo_merge:
            results[n]["merged"] = True
    manifest = load_local_manifest(root) or empty_manifest(CODE_VERSION)
    section = manifest.setdefault("collect", {})
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for name, r in results.items():
        section[name] = {
            "status": r["status"],
            "error": r["error"],
            "run_at": now,
            "attempts": r["attempts"],
            "rows": r["rows"],
            "merged": r["merged"],
        }
    save_manifest(root, manifest)
    sweep(work, section)
    out.seconds = time.perf_counter() - t0
    return out


def _forgotten(manifest: dict[str, Any], root: Path) -> tuple[str, ...]:
    """The lake's ``people forget`` hashes, for the tasks (see ``run_task``): its
    ``forgotten_identities`` files, read directly (opening the whole lake cost 0.3 s). A file
    that cannot be read stops the job: collecting without the list would bring people back."""
    import duckdb

    from ossmetrics.errors import LakeError

    entry = manifest.get("tables", {}).get("forgotten_identities") or {}
    files = [
        str(root / f["path"]) for p in entry.get("partitions", {}).values() for f in p["files"]
    ]
    if not files:
        return ()
    con = duckdb.connect()
    try:
        rows = con.execute("SELECT key_hash FROM read_parquet($f)", {"f": files}).fetchall()
    except duckdb.Error as exc:
        raise LakeError(
            f"cannot read the lake's forgotten_identities ({str(exc).splitlines()[0][:160]})",
            "restore the lake or export it again from the store",
        ) from None
    finally:
        con.close()
    return tuple(sorted(str(r[0]) for r in rows))


def merge_repo_rows(root: Path, rows: dict[str, str]) -> None:
    """Merge each repository of ``rows`` (name -> task folder holding its rows) into the lake
    (see the module docstring): one ``absorb`` per task folder, in the order of each folder's
    first repository name, so the same work assigns the same ids on every run."""
    from ossmetrics.collect.forget import honour_forgotten_git
    from ossmetrics.collect.identities import merge_identities
    from ossmetrics.gharchive.fold import _replace
    from ossmetrics.lake import export_lake
    from ossmetrics.lake.export import load_local_manifest, save_manifest
    from ossmetrics.lake.layout import empty_manifest
    from ossmetrics.lake.reader import open_lake
    from ossmetrics.store.migrations import CODE_VERSION

    if load_local_manifest(root) is None:
        save_manifest(root, empty_manifest(CODE_VERSION))
    by_folder: dict[str, list[str]] = {}
    for name, folder in rows.items():
        by_folder.setdefault(folder, []).append(name)
    lk = open_lake(str(root))
    con = lk.con
    try:
        for t in _MERGED:
            _replace(con, t, f'SELECT * FROM "{t}"')  # materialise the lake's rows
        for folder, names in sorted(by_folder.items(), key=lambda kv: min(kv[1])):
            absorb(con, folder_rel(root / "_collect" / folder), names)
        # a task starts from its own last run: a person forgotten since (`people forget` on a
        # store, then exported) must not come back into the lake through it
        honour_forgotten_git(con)
        merge_identities(con)
        export_lake(con, root, tables=list(_MERGED))
    finally:
        lk.close()

"""``ossmetrics spark collect``: repositories fanned out over Spark tasks, merged into the lake.

Each task runs the local git collector (``collect_git``: the same ``git log`` parse, the same
identities and bot rules, one ``git log`` process) on one repository and writes that
repository's rows as its own partition of the work, ``DIR/_collect/<owner>__<name>/`` (one
Parquet file per table), kept between runs: a rerun loads them back first, so it reads only the
commits added since (the collector's cursor is among them). The collector runs on an in-memory
store that each Python worker migrates once and empties per repository, so a task costs what
the collection costs. A repository whose task fails (a missing clone, git failing) is recorded
with the error, retried once in the same job, and again on the next run; it never stops the
others.

The driver then merges the repositories that changed into the lake: repository and identity
ids are mapped onto the lake's (identities by their natural key), each repository's commits,
files, mailmap and cursor rows are replaced, people are recomputed across all repositories
(``merge_identities``: one person who commits to several repositories is one person), and the
lake's incremental export rewrites only the buckets that changed.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["CollectJobResult", "collect_repos", "merge_repo_stores"]

_MERGED = ("repos", "identities", "people", "git_mailmap", "sync_state", "commits", "commit_files")


@dataclass
class CollectJobResult:
    ok: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    commits_added: int = 0
    seconds: float = 0.0
    collect_seconds: float = 0.0
    #: summed over the repositories' tasks: wall-clock seconds, and CPU seconds (worker + git)
    task_seconds: float = 0.0
    task_cpu_seconds: float = 0.0


def store_name(repo: str) -> str:
    return repo.replace("/", "__") + ".duckdb"


def store_dir(repo: str) -> str:
    return repo.replace("/", "__")


#: This Python worker's store, kept between its tasks (Spark reuses Python workers).
_WORKER: dict[str, Any] = {}


def _worker_store() -> Any:
    """An in-memory store, migrated once per worker process and emptied for each repository.

    Opening a store file per repository (migrations, a cold connection, a checkpoint of ~4 MB
    on close) cost 0.13 s per repository here, more than collecting a 150-commit history
    (0.08 s): fan-out cannot pay with that in every task. One thread: a task is one process."""
    con = _WORKER.get("con")
    if con is None:
        from ossmetrics.store import connect

        con = connect(":memory:")
        con.execute("SET threads = 1")
        _WORKER["con"] = con
    return con


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _load(con: Any, work: Path, repo: str) -> None:
    """Empty the worker store, then load ``repo``'s rows from its last run (if any): its
    Parquet folder, or the store file an earlier version kept."""
    # one call for the seven statements: each call costs ~1 ms on an idle core, several on
    # a loaded one, and a task pays it per repository
    con.execute("; ".join(f'DELETE FROM "{t}"' for t in _MERGED))
    folder, old = work / store_dir(repo), work / store_name(repo)
    if folder.is_dir():
        for t in _MERGED:
            con.execute(
                f'INSERT INTO "{t}" BY NAME SELECT * FROM read_parquet(?)',
                [str(folder / f"{t}.parquet")],
            )
    elif old.exists():
        con.execute(f"ATTACH {_quote(old)} AS prev (READ_ONLY)")
        try:
            for t in _MERGED:
                con.execute(f'INSERT INTO "{t}" BY NAME SELECT * FROM prev."{t}"')
        finally:
            con.execute("DETACH prev")


def _save(con: Any, work: Path, repo: str) -> None:
    """Write ``repo``'s rows as one Parquet file per table into its folder, replacing the
    last run's folder whole (a reader or a killed task never sees half of one)."""
    final = work / store_dir(repo)
    tmp = work / f".{final.name}.{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    con.execute(
        "; ".join(f'COPY "{t}" TO {_quote(tmp / f"{t}.parquet")} (FORMAT parquet)' for t in _MERGED)
    )
    if final.exists():
        old = work / f".old-{final.name}.{uuid.uuid4().hex[:8]}"
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)
    (work / store_name(repo)).unlink(missing_ok=True)  # an earlier version's store


def _task(item: tuple[str, str], work: str) -> dict[str, Any]:
    """Collect one repository (its last run's rows loaded first); never raises."""
    from ossmetrics.collect.git import collect_git

    repo, path = item
    t0 = time.perf_counter()
    c0 = _cpu()
    try:
        con = _worker_store()
        _load(con, Path(work), repo)
        # merge_people=False: the driver's merge recomputes people across all repositories
        # (merge_identities), so a per-repository merge here was work thrown away -- 15-20% of
        # a small repository's collection (measured with cProfile, docs/scale.md)
        r = collect_git(con, path, repo, jobs=1, merge_people=False)
        if not r.unchanged:
            _save(con, Path(work), repo)
        return {
            "repo": repo,
            "status": "unchanged" if r.unchanged else "ok",
            "commits_added": r.commits_added,
            "error": None,
            "seconds": time.perf_counter() - t0,
            "cpu_seconds": _cpu() - c0,
        }
    except Exception as exc:  # recorded, not raised: one repository never stops the job
        from ossmetrics.errors import OssmetricsError

        msg = exc.one_line() if isinstance(exc, OssmetricsError) else f"{type(exc).__name__}: {exc}"
        return {
            "repo": repo,
            "status": "failed",
            "commits_added": 0,
            "error": str(msg)[:500],
            "seconds": time.perf_counter() - t0,
            "cpu_seconds": _cpu() - c0,
        }


def _cpu() -> float:
    """CPU seconds of this process and the children it waited for (git): what a task cost,
    whatever share of a core it got (on a loaded machine its wall time can be twice that)."""
    import resource

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


#: Spark tasks per core: each task collects a slice of the repositories one after another.
TASKS_PER_CORE = 4


def run_tasks(spark: Any, items: list[tuple[str, str]], work: str) -> list[dict[str, Any]]:
    """``_task`` for every repository: inline without a session, else in Spark tasks.

    A Spark task costs 0.1-0.2 s of scheduling and Python hand-over here (200 empty tasks on
    local[2]: 21 s), more than collecting a small repository, so a task takes a slice of the
    repositories -- ``TASKS_PER_CORE`` slices per core, dealt round-robin so that neighbours
    in the list (often of a size) spread over the slices. Each repository still succeeds or
    fails on its own."""
    if spark is None or not items:
        return [_task(i, work) for i in items]
    n = min(len(items), max(1, int(spark.sparkContext.defaultParallelism)) * TASKS_PER_CORE)
    dealt = [items[j] for i in range(n) for j in range(i, len(items), n)]
    rdd = spark.sparkContext.parallelize(dealt, n)
    return list(rdd.mapPartitions(lambda part: [_task(i, work) for i in part]).collect())


def collect_repos(
    spark: Any, lake: str | Path, repos: list[tuple[str, str]], *, merge: bool = True
) -> CollectJobResult:
    """Collect ``repos`` ((OWNER/NAME, clone path) pairs) on Spark and merge them into ``lake``."""
    from ossmetrics.lake.export import load_local_manifest, save_manifest

    t0 = time.perf_counter()
    root = Path(lake).resolve()
    work = root / "_collect"
    work.mkdir(parents=True, exist_ok=True)
    t1 = time.perf_counter()
    results = {r["repo"]: r for r in run_tasks(spark, repos, str(work))}
    retry = [i for i in repos if results[i[0]]["status"] == "failed"]
    for r in run_tasks(spark, retry, str(work)):  # one retry within the job
        r["attempts"] = 2
        results[r["repo"]] = r
    out = CollectJobResult(collect_seconds=time.perf_counter() - t1)
    for name, r in results.items():
        out.task_seconds += float(r.get("seconds", 0.0))
        out.task_cpu_seconds += float(r.get("cpu_seconds", 0.0))
        if r["status"] == "failed":
            out.failed[name] = r["error"]
        elif r["status"] == "unchanged":
            out.unchanged.append(name)
        else:
            out.ok.append(name)
            out.commits_added += r["commits_added"]
    if merge and out.ok:
        merge_repo_stores(root, sorted(out.ok))
    manifest = load_local_manifest(root)
    if manifest is not None:
        section = manifest.setdefault("collect", {})
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for name, r in results.items():
            section[name] = {
                "status": r["status"],
                "error": r["error"],
                "run_at": now,
                "attempts": r.get("attempts", 1),
            }
        save_manifest(root, manifest)
    out.seconds = time.perf_counter() - t0
    return out


def merge_repo_stores(root: Path, names: list[str]) -> None:
    """Merge the per-repository stores of ``names`` into the lake (see module docstring)."""
    from ossmetrics.collect.identities import merge_identities
    from ossmetrics.gharchive.fold import _replace
    from ossmetrics.lake import export_lake
    from ossmetrics.lake.export import load_local_manifest, save_manifest
    from ossmetrics.lake.layout import empty_manifest
    from ossmetrics.lake.reader import open_lake
    from ossmetrics.store.migrations import CODE_VERSION

    if load_local_manifest(root) is None:
        save_manifest(root, empty_manifest(CODE_VERSION))
    lk = open_lake(str(root))
    con = lk.con
    try:
        for t in _MERGED:
            _replace(con, t, f'SELECT * FROM "{t}"')  # materialise the lake's rows
        for name in names:
            _attach_src(con, root / "_collect", name)
            try:
                _merge_one(con, name)
            finally:
                con.execute("DROP SCHEMA IF EXISTS src CASCADE")
                con.execute("DETACH DATABASE IF EXISTS src")
        merge_identities(con)
        export_lake(con, root, tables=list(_MERGED))
    finally:
        lk.close()


def _attach_src(con: Any, work: Path, name: str) -> None:
    """Make ``src.<table>`` the rows of ``name``'s last collection (its Parquet folder, or an
    earlier version's store file)."""
    folder = work / store_dir(name)
    if not folder.is_dir():
        con.execute(f"ATTACH {_quote(work / store_name(name))} AS src (READ_ONLY)")
        return
    con.execute("CREATE SCHEMA src")
    for t in _MERGED:
        con.execute(
            f'CREATE VIEW src."{t}" AS SELECT * FROM read_parquet({_quote(folder / f"{t}.parquet")})'
        )


def _merge_one(con: Any, name: str) -> None:
    row = con.execute(
        "SELECT repo_id FROM repos WHERE lower(full_name) = lower(?)", [name]
    ).fetchone()
    if row is None:
        con.execute(
            "INSERT INTO repos SELECT * REPLACE ((SELECT coalesce(max(repo_id), 0) + 1 FROM repos) "
            "AS repo_id) FROM src.repos WHERE lower(full_name) = lower(?)",
            [name],
        )
        row = con.execute(
            "SELECT repo_id FROM repos WHERE lower(full_name) = lower(?)", [name]
        ).fetchone()
    rid = int(row[0])
    src_rid = con.execute(
        "SELECT repo_id FROM src.repos WHERE lower(full_name) = lower(?)", [name]
    ).fetchone()
    srid = int(src_rid[0]) if src_rid else -1
    con.execute(
        """INSERT INTO identities
           SELECT s.* REPLACE ((SELECT coalesce(max(identity_id), 0) FROM identities)
                               + row_number() OVER (ORDER BY s.identity_id) AS identity_id,
                               NULL AS person_id)
           FROM src.identities s
           WHERE s.identity_key NOT IN (SELECT identity_key FROM identities)"""
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE idmap AS SELECT s.identity_id AS old, i.identity_id AS new "
        "FROM src.identities s JOIN identities i USING (identity_key)"
    )
    for t in ("commits", "commit_files", "git_mailmap", "sync_state"):
        con.execute(f"DELETE FROM {t} WHERE repo_id = ?", [rid])
    con.execute(
        """INSERT INTO commits SELECT c.* REPLACE (? AS repo_id, a.new AS author_identity,
                                                   m.new AS committer_identity)
           FROM src.commits c LEFT JOIN idmap a ON a.old = c.author_identity
           LEFT JOIN idmap m ON m.old = c.committer_identity WHERE c.repo_id = ?""",
        [rid, srid],
    )
    for t in ("commit_files", "git_mailmap", "sync_state"):
        con.execute(
            f"INSERT INTO {t} SELECT * REPLACE (? AS repo_id) FROM src.{t} WHERE repo_id = ?",
            [rid, srid],
        )

"""``ossmetrics spark collect``: one Spark task per repository, then one merge into the lake.

Each task runs the local git collector (``collect_git``: the same ``git log`` parse, the same
identities and bot rules) on one repository into that repository's own store,
``DIR/_collect/<owner>__<name>.duckdb`` -- its own partition of the work, kept between runs, so
a rerun reads only the commits added since (the collector's cursor lives in that store). A
repository whose task fails (a missing clone, git failing) is recorded with the error, retried
once in the same job, and again on the next run; it never stops the others.

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


def store_name(repo: str) -> str:
    return repo.replace("/", "__") + ".duckdb"


def _empty_path(work: Path) -> Path:
    from ossmetrics.store.migrations import CODE_VERSION

    return work / f".empty-{CODE_VERSION}.duckdb"


def empty_store(work: Path) -> Path:
    """An empty store with every migration applied, made once (by the driver) per code version.

    A task's first collection of a repository copies it instead of creating a store and
    running every migration: that took 0.25-1 s per repository here, longer than collecting a
    small repository, and fan-out only pays when the tasks are mostly collection."""
    from ossmetrics.store import connect

    path = _empty_path(work)
    if not path.exists():
        tmp = work / f".tmp-empty-{uuid.uuid4().hex[:8]}.duckdb"
        connect(tmp).close()
        os.replace(tmp, path)
    return path


def _open_store(work: Path, repo: str) -> Any:
    from ossmetrics.store import connect

    store = work / store_name(repo)
    template = _empty_path(work)
    if not store.exists() and template.exists():
        tmp = work / f".{store.name}.{uuid.uuid4().hex[:8]}"
        shutil.copyfile(template, tmp)
        os.replace(tmp, store)  # whole or absent: a killed task leaves no half store
    return connect(store)  # migrates a store an older version made (or no template)


def _task(item: tuple[str, str], work: str) -> dict[str, Any]:
    """Collect one repository into its own store; never raises."""
    from ossmetrics.collect.git import collect_git

    repo, path = item
    t0 = time.perf_counter()
    try:
        con = _open_store(Path(work), repo)
        try:
            r = collect_git(con, path, repo, jobs=1)
        finally:
            con.close()
        return {
            "repo": repo,
            "status": "unchanged" if r.unchanged else "ok",
            "commits_added": r.commits_added,
            "error": None,
            "seconds": time.perf_counter() - t0,
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
        }


def run_tasks(spark: Any, items: list[tuple[str, str]], work: str) -> list[dict[str, Any]]:
    if spark is None or not items:
        return [_task(i, work) for i in items]
    rdd = spark.sparkContext.parallelize(items, len(items))
    return list(rdd.map(lambda i: _task(i, work)).collect())


def collect_repos(
    spark: Any, lake: str | Path, repos: list[tuple[str, str]], *, merge: bool = True
) -> CollectJobResult:
    """Collect ``repos`` ((OWNER/NAME, clone path) pairs) on Spark and merge them into ``lake``."""
    from ossmetrics.lake.export import load_local_manifest, save_manifest

    t0 = time.perf_counter()
    root = Path(lake).resolve()
    work = root / "_collect"
    work.mkdir(parents=True, exist_ok=True)
    fresh = empty_store(work)
    for old in work.glob(".empty-*.duckdb"):  # an older version's empty store
        if old != fresh:
            old.unlink(missing_ok=True)
    t1 = time.perf_counter()
    results = {r["repo"]: r for r in run_tasks(spark, repos, str(work))}
    retry = [i for i in repos if results[i[0]]["status"] == "failed"]
    for r in run_tasks(spark, retry, str(work)):  # one retry within the job
        r["attempts"] = 2
        results[r["repo"]] = r
    out = CollectJobResult(collect_seconds=time.perf_counter() - t1)
    for name, r in results.items():
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
            src = root / "_collect" / store_name(name)
            con.execute(f"ATTACH '{src}' AS src (READ_ONLY)")
            try:
                _merge_one(con, name)
            finally:
                con.execute("DETACH src")
        merge_identities(con)
        export_lake(con, root, tables=list(_MERGED))
    finally:
        lk.close()


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

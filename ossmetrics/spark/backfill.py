"""``ossmetrics spark backfill``: GH Archive hour files into a lake, one Spark task per file.

Each task parses one hour file (a local path or an http(s) URL) and stages its rows in the
lake (``gharchive/fold.py``); the driver records each hour's status in the manifest and folds
the staged rows into the lake's GitHub tables. Hours already read completely are skipped on a
rerun (``force`` re-reads them); an hour that was truncated or unreadable keeps its good lines,
is recorded ``incomplete`` with the reason, and is read again by the next run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["BackfillResult", "backfill", "read_hours"]


@dataclass
class BackfillResult:
    hours_read: int = 0
    hours_skipped: int = 0
    incomplete: list[tuple[str, str]] = field(default_factory=list)  # (hour, why)
    events: int = 0
    kept: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    parse_seconds: float = 0.0


def _task(source: str, lake: str, repos: list[str] | None) -> dict[str, Any]:
    """One hour file, in a Spark task (or inline): parse, stage, summarise."""
    from ossmetrics.gharchive.fold import hour_key, write_hour
    from ossmetrics.gharchive.parse import parse_hour

    t0 = time.perf_counter()
    r = parse_hour(source, set(repos) if repos is not None else None)
    key = hour_key(source)
    write_hour(Path(lake), key, r)
    return {
        "hour": key,
        "source": source,
        "complete": r.complete,
        "error": r.error,
        "events": r.events,
        "kept": r.kept,
        "bad_lines": r.bad_lines,
        "seconds": time.perf_counter() - t0,
    }


def read_hours(
    spark: Any, sources: list[str], lake: str, repos: list[str] | None
) -> list[dict[str, Any]]:
    """Run ``_task`` for every source, one Spark task each (inline without a session)."""
    if spark is None:
        return [_task(s, lake, repos) for s in sources]
    rdd = spark.sparkContext.parallelize(sources, max(1, len(sources)))
    return list(rdd.map(lambda s: _task(s, lake, repos)).collect())


def backfill(
    spark: Any,
    lake: str | Path,
    sources: list[str],
    *,
    all_repos: bool = False,
    force: bool = False,
) -> BackfillResult:
    """Backfill ``sources`` (hour files) into ``lake`` for its repositories (or all)."""
    from ossmetrics.errors import LakeError
    from ossmetrics.gharchive.fold import fold_into_lake, hour_key
    from ossmetrics.lake.export import load_local_manifest, save_manifest
    from ossmetrics.lake.reader import open_lake

    t0 = time.perf_counter()
    root = Path(lake).resolve()
    manifest = load_local_manifest(root)
    if manifest is None:
        raise LakeError(
            f"{lake} is not an ossmetrics lake", "make one with `ossmetrics export --lake DIR`"
        )
    done = manifest.get("gharchive", {})
    todo = [s for s in sources if force or done.get(hour_key(s), {}).get("status") != "complete"]
    result = BackfillResult(hours_skipped=len(sources) - len(todo))
    repos: list[str] | None = None
    if not all_repos:
        lk = open_lake(str(root))
        try:
            repos = [
                str(r[0]).lower() for r in lk.con.execute("SELECT full_name FROM repos").fetchall()
            ]
        finally:
            lk.close()
    t1 = time.perf_counter()
    summaries = read_hours(spark, todo, str(root), repos) if todo else []
    result.parse_seconds = time.perf_counter() - t1
    result.hours_read = len(summaries)
    if summaries:
        # Folding is idempotent (latest snapshot per key wins), so only the hours read now
        # need folding: earlier hours' rows are already in the tables.
        result.rows = fold_into_lake(
            root, sorted({s["hour"] for s in summaries}), all_repos=all_repos
        )
    manifest = load_local_manifest(root) or manifest
    section = manifest.setdefault("gharchive", {})
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for s in summaries:
        result.events += s["events"]
        result.kept += s["kept"]
        status = "complete" if s["complete"] else "incomplete"
        if not s["complete"]:
            result.incomplete.append((s["hour"], s["error"] or "unreadable"))
        section[s["hour"]] = {
            "status": status,
            "source": s["source"],
            "events": s["events"],
            "kept": s["kept"],
            "bad_lines": s["bad_lines"],
            "error": s["error"],
            "read_at": now,
        }
    save_manifest(root, manifest)
    result.seconds = time.perf_counter() - t0
    return result

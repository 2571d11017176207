"""Thin adapters from the nightly pipeline to each stage's public function.

Each stage is imported when first needed, not at module import: a stage that is not installed
(or not written yet) makes its step ``skipped`` with "not available", instead of breaking the
whole nightly run, and ``ossmetrics nightly`` does not pay for importing torch unless it scores.
An import error *inside* a stage (a bug or a missing dependency) is a failure, not a skip.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from ossmetrics.errors import UnknownMetric
from ossmetrics.nightly.runs import StageRecord
from ossmetrics.store import transaction
from ossmetrics.tracking import TrackedRepo

__all__ = [
    "available",
    "build_reports",
    "collect_git",
    "collect_github",
    "compute_graphs",
    "merge_identities",
    "score_risk",
    "snapshot_metrics",
]

_API = {
    "git": ("ossmetrics.collect.git", "collect_git"),
    "github": ("ossmetrics.collect.github", "collect_github"),
    "identities": ("ossmetrics.collect.identities", "merge_identities"),
    "graphs": ("ossmetrics.graph", "compute_graphs"),
    "metrics": ("ossmetrics.metrics", "run_metric"),
    "risk": ("ossmetrics.risk", "score_projects"),
    "report": ("ossmetrics.report", "build_site"),
}


def _load(stage: str) -> Callable[..., Any] | None:
    module, attr = _API[stage]
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
            return None
        raise
    fn = getattr(mod, attr, None)
    return fn if callable(fn) else None


def available(stage: str) -> Callable[..., Any] | None:
    """The stage's function, or None when that stage is not part of this installation."""
    return _load(stage)


def _unavailable(rec: StageRecord, stage: str) -> None:
    module, attr = _API[stage]
    rec.skip(f"not available ({module}.{attr} is not installed)")


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def collect_git(
    con: duckdb.DuckDBPyConnection,
    rec: StageRecord,
    repo: TrackedRepo,
    path: Path,
    jobs: str = "auto",
) -> None:
    fn = _load("git")
    if fn is None:
        _unavailable(rec, "git")
        return
    extra = {"jobs": jobs} if _accepts(fn, "jobs") else {}
    res = fn(con, str(path), repo.name, **extra)
    rec.repo_id = int(res.repo_id)
    rec.items = int(getattr(res, "commits_added", 0)) + int(getattr(res, "commits_removed", 0))


def collect_github(
    con: duckdb.DuckDBPyConnection,
    rec: StageRecord,
    repo: TrackedRepo,
    *,
    token: str | None,
    api_url: str,
    max_wait: float,
) -> None:
    fn = _load("github")
    if fn is None:
        _unavailable(rec, "github")
        return
    assert repo.name is not None
    res = fn(con, repo.name, token=token, api_url=api_url, max_wait=max_wait, stars=repo.stars)
    items = getattr(res, "items", 0)
    rec.items = int(sum(items.values()) if isinstance(items, dict) else items)
    rec.requests = int(getattr(res, "requests", 0))
    rid = getattr(res, "repo_id", None)
    if rid is not None:
        rec.repo_id = int(rid)


def merge_identities(
    con: duckdb.DuckDBPyConnection, rec: StageRecord, extra_bots: Sequence[str]
) -> None:
    fn = _load("identities")
    if fn is None:
        _unavailable(rec, "identities")
        return
    res = fn(con, extra_bots=tuple(extra_bots))
    if isinstance(res, int):
        rec.items = res


def compute_graphs(
    con: duckdb.DuckDBPyConnection,
    rec: StageRecord,
    repo_ids: list[int],
    exclude: dict[int, tuple[str, ...]],
) -> None:
    """Contributor graphs for ``repo_ids`` (and the portfolio graph, which spans the store).

    A repository's configured ``exclude`` patterns are added to the graph stage's defaults
    (documentation, licences, lock files, ...), not put in their place.
    """
    fn = _load("graphs")
    if fn is None:
        _unavailable(rec, "graphs")
        return
    kwargs: dict[str, Any] = {}
    if exclude and _accepts(fn, "exclude"):
        from ossmetrics.graph import DEFAULT_EXCLUDE

        kwargs["exclude"] = {
            rid: [*DEFAULT_EXCLUDE, *p] for rid, p in exclude.items() if rid in repo_ids
        }
    fn(con, repo_ids=repo_ids, **kwargs)
    rec.items = len(repo_ids)


def snapshot_metrics(
    con: duckdb.DuckDBPyConnection, rec: StageRecord, repo_ids: list[int], run_id: int
) -> None:
    """One ``metric_snapshots`` row per numeric ``health_summary`` column per repository.

    Written in one transaction (all repositories or none), after deleting any rows of this
    run, so the stage is idempotent within a run.
    """
    fn = _load("metrics")
    if fn is None:
        _unavailable(rec, "metrics")
        return
    import pandas as pd
    import pyarrow as pa

    try:
        df = fn(con, "health_summary")
    except UnknownMetric:
        rec.skip("not available (the health_summary metric is not installed)")
        return
    if "repo_id" in df.columns:
        ids = df["repo_id"].astype("Int64")
    else:
        key = next((c for c in ("repo", "full_name", "repository") if c in df.columns), None)
        if key is None:
            rec.skip("health_summary has no repo_id or repo column")
            return
        names = dict(con.execute("SELECT lower(full_name), repo_id FROM repos").fetchall())
        ids = df[key].map(lambda n: names.get(str(n).lower())).astype("Int64")
    df = df.assign(_rid=ids)
    df = df[df["_rid"].isin(repo_ids)]
    skip = {"repo_id", "_rid", "owner", "name", "run_id"}
    numeric = [
        c
        for c in df.columns
        if c not in skip
        and (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))
    ]
    long = df.melt(id_vars=["_rid"], value_vars=numeric, var_name="metric", value_name="value")
    long["value"] = pd.to_numeric(long["value"], errors="coerce").astype("float64")
    tbl = pa.table(
        {
            "run_id": pa.array([run_id] * len(long), pa.int32()),
            "repo_id": pa.array(long["_rid"].astype("int64").tolist(), pa.int32()),
            "metric": pa.array(long["metric"].astype(str).tolist(), pa.string()),
            "value": pa.array(long["value"].tolist(), pa.float64(), from_pandas=True),
        }
    )
    with transaction(con):
        con.execute("DELETE FROM metric_snapshots WHERE run_id = ?", [run_id])
        con.execute(
            "INSERT INTO metric_snapshots (run_id, repo_id, metric, value, computed_at)"
            " SELECT run_id, repo_id, metric, value, now() FROM tbl"
        )
    del tbl
    rec.items = len(long)


def score_risk(con: duckdb.DuckDBPyConnection, rec: StageRecord, device: str) -> None:
    fn = _load("risk")
    if fn is None:
        _unavailable(rec, "risk")
        return
    df = fn(con, device=device)
    rec.items = len(df) if df is not None else 0


def build_reports(
    con: duckdb.DuckDBPyConnection,
    rec: StageRecord,
    out_dir: Path,
    repos: list[str],
    *,
    privacy: Any = None,
) -> Path | None:
    fn = _load("report")
    if fn is None:
        _unavailable(rec, "report")
        return None
    os.makedirs(out_dir, exist_ok=True)
    index = fn(con, out_dir, repos=repos or None, privacy=privacy)
    rec.items = 1
    return Path(index)

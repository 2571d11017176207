"""``ossmetrics spark metrics``: every metric of ``queries/`` (or the ones named) as Spark SQL
over the lake, the results written to ``DIR/metric_results/metric=NAME/`` as Parquet and listed
in the manifest. (``spark graph`` is ``ossmetrics.spark.graph_job``.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["run_metrics", "spark_metrics"]


def run_metrics(
    spark: Any,
    metrics: list[Any],
    params: Callable[[Any], dict[str, Any]],
    sink: Callable[[str, Any], int],
    *,
    concurrent: int = 2,
) -> dict[str, tuple[int, float]]:
    """Run each metric's Spark SQL and hand the DataFrame to ``sink(name, df)`` (which writes
    it and returns its row count), ``concurrent`` metrics at a time; {name: (rows, seconds)}.

    Why concurrently: a metric is a chain of small stages (a few tasks each over a lake of
    this size) and seconds of single-threaded planning and code generation on the driver, so
    one query at a time leaves cores idle; two or three in flight keep them busy. The slowest
    metrics start first, so that the last one does not run alone."""
    from concurrent.futures import ThreadPoolExecutor

    from ossmetrics.spark.metric_sql import metric_spark_sql

    def one(m: Any) -> tuple[str, int, float]:
        t = time.perf_counter()
        spark.sparkContext.setLocalProperty("spark.job.description", f"metric {m.name}")
        rows = sink(m.name, spark.sql(metric_spark_sql(m, params(m))))
        return m.name, rows, time.perf_counter() - t

    order = sorted(metrics, key=lambda m: (m.name not in _SLOW, m.name))
    with ThreadPoolExecutor(max_workers=max(1, concurrent)) as pool:
        done = list(pool.map(one, order))
    return {name: (rows, secs) for name, rows, secs in sorted(done)}


#: Metrics that take longest on Spark (measured on generated lakes; docs/scale.md).
_SLOW = frozenset(
    {"health_summary", "active_contributors", "backlog_growth", "time_to_first_response"}
)


def spark_metrics(
    spark: Any,
    lake: str | Path,
    *,
    names: list[str] | None = None,
    as_of: str | None = None,
    concurrent: int = 2,
) -> dict[str, int]:
    """Run the metrics on Spark over ``lake``; returns rows written per metric. The tables the
    metrics read are cached for the run (see ``register_lake``) when more than one metric runs."""
    from ossmetrics.lake.export import load_local_manifest, parse_manifest, save_manifest
    from ossmetrics.lake.layout import MANIFEST, manifest_json
    from ossmetrics.lake.remote import is_remote, open_remote
    from ossmetrics.metrics import list_metrics
    from ossmetrics.spark.lake_views import register_lake
    from ossmetrics.spark.session import spark_url

    remote = open_remote(str(lake)) if is_remote(str(lake)) else None
    root = remote.url if remote is not None else str(Path(lake).resolve())
    chosen = [m for m in list_metrics() if not names or m.name in names]
    register_lake(spark, root, cache=len(chosen) > 1)

    def params(m: Any) -> dict[str, Any]:
        return {"as_of": as_of} if as_of and m.param("as_of") else {}

    def sink(name: str, df: Any) -> int:
        path = spark_url(f"{root}/metric_results/metric={name}")
        df.write.mode("overwrite").parquet(path)
        return int(spark.read.parquet(path).count())  # from the files' footers

    try:
        ran = run_metrics(spark, chosen, params, sink, concurrent=concurrent)
    finally:
        spark.catalog.clearCache()
    out = {name: rows for name, (rows, _) in ran.items()}
    if remote is not None:
        text = remote.read_text(MANIFEST)
        manifest = parse_manifest(text, root) if text is not None else {}
    else:
        manifest = load_local_manifest(Path(root)) or {}
    section = manifest.setdefault("metric_results", {})
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for name, rows in out.items():
        section[name] = {"path": f"metric_results/metric={name}", "rows": rows, "computed_at": now}
    if remote is not None:
        remote.put_text(MANIFEST, manifest_json(manifest))
    else:
        save_manifest(Path(root), manifest)
    return out

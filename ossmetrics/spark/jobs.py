"""``ossmetrics spark metrics`` and ``ossmetrics spark graph``: the analysis stages on Spark.

*metrics*: every metric of ``queries/`` (or the ones named) as Spark SQL over the lake, the
results written to ``DIR/metric_results/metric=NAME/`` as Parquet and listed in the manifest.

*graph*: truck factor (Avelino) and the CHAOSS bus factor per repository, as grouped pandas
tasks: Spark groups the lake's commits and changed files by repository and hands each group
to a task that runs the very same library code (``ossmetrics.graph.truck_factor``) on an
in-memory DuckDB holding that repository's rows -- one definition, two engines. Results go
into the lake's ``graph_repo_measures`` (rows of the same repositories and date replaced).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

__all__ = ["run_metrics", "spark_graph", "spark_metrics"]


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


_OUT_SCHEMA = "repo_id INT, measure STRING, value DOUBLE, detail STRING"


def _repo_task(people: Any, identities: Any, as_of: str | None) -> Any:
    """The function each grouped task runs: (commits, commit_files) of one repository ->
    its truck factor and bus factor rows."""

    def run(commits: Any, files: Any) -> Any:
        import duckdb
        import pandas as pd

        from ossmetrics.graph.truck_factor import truck_factor
        from ossmetrics.store.migrations import available

        if commits.empty:
            return pd.DataFrame(columns=["repo_id", "measure", "value", "detail"])
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        for _, _, sql in available():
            con.execute(sql)
        for name, df in (
            ("people", people),
            ("identities", identities),
            ("commits", commits),
            ("commit_files", files),
        ):
            con.register("_src", df)
            cols = ", ".join(f'"{c}"' for c in df.columns)
            con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM _src")
            con.unregister("_src")
        repo_id = int(commits["repo_id"].iloc[0])
        cut = datetime.fromisoformat(as_of) if as_of else None
        r = truck_factor(con, repo_id, cut)
        con.close()
        rows = [
            (
                repo_id,
                "truck_factor",
                None if r.truck_factor is None else float(r.truck_factor),
                json.dumps(r.to_detail()),
            ),
            (
                repo_id,
                "bus_factor_all_history",
                None if r.bus_factor_all_history is None else float(r.bus_factor_all_history),
                None,
            ),
        ]
        return pd.DataFrame(rows, columns=["repo_id", "measure", "value", "detail"])

    return run


def spark_graph(
    spark: Any, lake: str | Path, *, as_of: str | None = None
) -> dict[int, dict[str, Any]]:
    """Truck and bus factor of every repository in ``lake`` on Spark; written to the lake."""
    from ossmetrics.lake.reader import open_lake
    from ossmetrics.spark.lake_views import register_lake

    t0 = time.perf_counter()
    root = str(lake) if "://" in str(lake) else str(Path(lake).resolve())
    register_lake(spark, root)
    people = spark.sql("SELECT * FROM people").toPandas()
    identities = spark.sql("SELECT * FROM identities").toPandas()
    commits = spark.sql("SELECT * FROM commits")
    files = spark.sql("SELECT * FROM commit_files")
    result = (
        commits.groupBy("repo_id")
        .cogroup(files.groupBy("repo_id"))
        .applyInPandas(_repo_task(people, identities, as_of), schema=_OUT_SCHEMA)
        .collect()
    )
    stored = (datetime.fromisoformat(as_of).date() if as_of else date.today()).isoformat()
    by_repo: dict[int, dict[str, Any]] = {}
    for row in result:
        by_repo.setdefault(int(row.repo_id), {})[row.measure] = row.value
    lk = open_lake(root)
    try:
        con = lk.con
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "DELETE FROM graph_repo_measures WHERE as_of = CAST(? AS DATE) AND measure IN "
            "('truck_factor', 'bus_factor_all_history') AND repo_id IN (SELECT unnest(?))",
            [stored, list(by_repo)],
        )
        for row in result:
            con.execute(
                "INSERT INTO graph_repo_measures VALUES (?, CAST(? AS DATE), ?, ?, ?)",
                [int(row.repo_id), stored, row.measure, row.value, row.detail],
            )
        con.execute("COMMIT")
        lk.write_back()
    finally:
        lk.close()
    _ = time.perf_counter() - t0
    return by_repo

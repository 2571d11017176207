"""Every metric of queries/ gives the same rows on DuckDB and, transpiled, on Spark SQL.

Rows are compared in the order each engine returns them (so the metrics' ORDER BY must be a
total order: ties broken deterministically), integers and text exactly, floating-point values
to 1e-9, timestamps as UTC instants. Two lakes: the hand-computed widget history of
tests/metrics and a generated one (read through Spark's cache, as `spark metrics` reads a lake);
parameters both defaulted and given.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from ossmetrics.metrics import list_metrics
from ossmetrics.spark.lake_views import register_lake
from ossmetrics.spark.metric_sql import metric_duckdb_sql, metric_spark_sql
from ossmetrics.store import connect

METRICS = [m.name for m in list_metrics()]
AS_OF = "2024-12-01 00:00:00+00"


def _norm(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC) if v.tzinfo else v.replace(tzinfo=UTC)
    return v


def _same(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> str | None:
    if len(a) != len(b):
        return f"{len(a)} rows on DuckDB, {len(b)} on Spark"
    for i, (ra, rb) in enumerate(zip(a, b, strict=True)):
        if len(ra) != len(rb):
            return f"row {i}: {len(ra)} vs {len(rb)} columns"
        for x, y in zip(ra, rb, strict=True):
            x, y = _norm(x), _norm(y)
            if isinstance(x, float) or isinstance(y, float):
                if x is None or y is None:
                    if x is not y:
                        return f"row {i}: {ra} vs {rb}"
                elif not math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-9):
                    return f"row {i}: {ra} vs {rb}"
            elif isinstance(x, date) and isinstance(y, date):
                if x != y:
                    return f"row {i}: {ra} vs {rb}"
            elif x != y:
                return f"row {i}: {ra} vs {rb}"
    return None


def _params(name: str, given: bool) -> dict[str, Any]:
    m = next(x for x in list_metrics() if x.name == name)
    p: dict[str, Any] = {}
    if m.param("as_of"):
        p["as_of"] = AS_OF  # current_timestamp would differ between the two runs
    if given:
        p["repo"] = "acme/widget"
        if m.param("since"):
            p["since"] = "2024-03-15"
        if m.param("months"):
            p["months"] = 6
    return p


_registered: dict[str, str] = {}


def _spark_rows(spark: Any, lake: Path, sql: str, cache: bool) -> list[tuple[Any, ...]]:
    if _registered.get("lake") != str(lake):  # the cases run lake by lake: two registrations
        register_lake(spark, str(lake), cache=cache)
        _registered["lake"] = str(lake)
    return [tuple(r) for r in spark.sql(sql).collect()]


CASES = [
    (label, given, name)
    for label, given in (("widget", False), ("widget", True), ("generated", False))
    for name in METRICS
]


@pytest.mark.parametrize(
    ("label", "given", "name"),
    CASES,
    ids=[f"{n}-{lab}{'-params' if g else ''}" for lab, g, n in CASES],
)
def test_metric_identical_on_duckdb_and_spark(
    label: str,
    given: bool,
    name: str,
    spark: Any,
    widget_lake: tuple[Path, Path],
    generated_lake: tuple[Path, Path],
) -> None:
    db, lake = widget_lake if label == "widget" else generated_lake
    params = _params(name, given)
    con = connect(db, read_only=True)
    try:
        expected = con.execute(metric_duckdb_sql(name, params)).fetchall()
    finally:
        con.close()
    # the generated lake is read as `spark metrics` reads it: its tables cached in Spark
    got = _spark_rows(spark, lake, metric_spark_sql(name, params), cache=label == "generated")
    problem = _same(expected, got)
    assert problem is None, f"{name} on {label} {params}: {problem}"
    if label == "generated":
        assert expected, f"{name} returns no rows on the generated lake: nothing compared"


def test_comparison_catches_a_difference() -> None:
    """The comparison itself can fail: one ulp-scale difference passes, 1e-6 does not."""
    assert _same([(1, 0.1 + 0.2)], [(1, 0.3)]) is None
    assert _same([(1, 1.0)], [(1, 1.000001)]) is not None
    assert _same([(1, "a"), (2, "b")], [(2, "b"), (1, "a")]) is not None


def test_duckdb_only_functions_become_spark_twins() -> None:
    sql = metric_spark_sql("time_to_merge", {"repo": "o/r"})
    low = sql.lower()
    assert "epoch_us" not in low and "unix_micros" in low and "percentile(" in low
    sql = metric_spark_sql("bus_factor", {"as_of": AS_OF})
    assert "timezone(" not in sql.lower() and "make_ym_interval" in sql.lower()
    # parameters are quoted literals, never pasted text
    sql = metric_spark_sql("commits_per_month", {"repo": "o'r/x"})
    assert "'o\\'r/x'" in sql or "'o''r/x'" in sql


def test_cache_keeps_the_metrics_columns_partitioned_by_repository(
    spark: Any, generated_lake: tuple[Path, Path]
) -> None:
    """The cached lake (as `spark metrics` reads it) keeps only columns some metric names, and
    is partitioned by repo_id: a metric grouping and joining by repository plans no shuffle
    but the one gathering its result for the final ORDER BY."""
    from ossmetrics.spark.lake_views import CACHE_BATCH_ROWS, metric_columns

    cols = metric_columns()
    assert cols is not None
    assert {"repo_id", "person_id", "committed_at", "is_merge", "issue_number"} <= cols
    assert not {"sha", "title", "labels", "body_len"} & cols
    _, lake = generated_lake
    _spark_rows(spark, lake, "SELECT 1", cache=True)  # registered as the generated cases are
    assert "sha" not in spark.table("human_commits").columns
    # the session builds the cache in batches of CACHE_BATCH_ROWS rows (Spark's default:
    # 10,000; this lake is too small for the batches themselves to tell)
    assert spark.conf.get("spark.sql.inMemoryColumnarStorage.batchSize") == str(CACHE_BATCH_ROWS)
    for name in (
        "active_contributors",
        "backlog_growth",
        "time_to_first_response",
        "health_summary",
    ):
        plan = spark.sql(metric_spark_sql(name, _params(name, False)))._jdf
        text = plan.queryExecution().executedPlan().toString()
        shuffles = [ln for ln in text.splitlines() if "Exchange hashpartitioning" in ln]
        assert not [ln for ln in shuffles if "ENSURE_REQUIREMENTS" in ln], f"{name}: {shuffles}"
        # the ORDER BY sorts one partition: no range partitioning, whose sample would run
        # the whole metric a second time
        assert "rangepartitioning" not in text, name
        assert text.count("Exchange SinglePartition") == 1, name

    # items joined with their comments (and all items with the human ones) by (repo, number):
    # the cached sides are already in that order, so no sort-merge join sorts its input (this
    # lake is small enough to broadcast every table; at scale only the small ones are)
    def size(t: str) -> int:
        return int(spark.table(t)._jdf.queryExecution().optimizedPlan().stats().sizeInBytes())

    small = max(size(t) for t in ("repos", "identities", "people"))
    assert small < min(size(t) for t in ("issues", "comments", "human_issues"))
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", str(small))
    try:
        for name in ("time_to_first_response", "days_since", "review_coverage", "health_summary"):
            plan = spark.sql(metric_spark_sql(name, _params(name, False)))._jdf
            joins = [
                below
                for kind, keys, below in _joins(plan.queryExecution().executedPlan())
                if kind == "SortMergeJoin" and len(keys) == 2
            ]
            assert joins, f"{name}: no sort-merge join by item planned"
            assert not [b for b in joins if "Sort" in b], f"{name}: a join by item sorts: {joins}"
    finally:
        spark.conf.unset("spark.sql.autoBroadcastJoinThreshold")


def _joins(node: Any) -> list[tuple[str, list[str], list[str]]]:
    """Every join of a Spark physical plan (the metric's own plan, not the plans its cached
    relations were built by): its node name, its left keys' column names and the names of
    the nodes directly below it."""
    if node.getClass().getSimpleName() == "AdaptiveSparkPlanExec":
        return _joins(node.executedPlan())
    kids = node.children()
    children = [kids.apply(i) for i in range(kids.size())]
    out: list[tuple[str, list[str], list[str]]] = []
    kind = str(node.nodeName())
    if kind in ("SortMergeJoin", "ShuffledHashJoin", "BroadcastHashJoin"):
        lk = node.leftKeys()
        keys = [str(lk.apply(i)).split("#")[0] for i in range(lk.size())]
        out.append((kind, keys, [str(c.nodeName()) for c in children]))
    for c in children:
        out += _joins(c)
    return out


def test_joins_with_each_persons_first_commit_sort_no_commit(
    spark: Any, generated_lake: tuple[Path, Path]
) -> None:
    """Three metrics join the commits with one row per person (the first commit): their
    ``SHUFFLE_HASH`` hints make that a hash join built per partition of the cached lake, with
    neither a sort of every commit nor a shuffle below it. Without the hint Spark took the
    persons for as large as the commits (its estimate of an aggregate is its input's) and
    sorted both sides: 3.6 s of newcomer_retention_by_quarter's 7 s at 20 M commits."""
    _, lake = generated_lake
    _spark_rows(spark, lake, "SELECT 1", cache=True)  # registered as the generated cases are
    for name in ("contributor_retention", "newcomer_retention_by_quarter", "health_summary"):
        plan = spark.sql(metric_spark_sql(name, _params(name, False)))._jdf
        joins = [
            (kind, below)
            for kind, keys, below in _joins(plan.queryExecution().executedPlan())
            if keys == ["repo_id", "person_id"]
        ]
        assert [kind for kind, _ in joins] == ["ShuffledHashJoin"], f"{name}: {joins}"
        assert not {"Sort", "Exchange"} & set(joins[0][1]), f"{name}: {joins}"

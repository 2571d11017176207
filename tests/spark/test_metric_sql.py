"""The transpiler's own rules, without a Spark session: join hints written as comments, and the
columns a cache for the metric suite keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from ossmetrics.errors import MetricDefinitionError
from ossmetrics.metrics.library import Metric, parse_metric
from ossmetrics.spark.lake_views import metric_columns
from ossmetrics.spark.metric_sql import metric_duckdb_sql, metric_spark_sql

HEADER = """-- name: {name}
-- description: A test metric for the transpiler's rules, one row per repository with a count
--   of something.
-- params: $repo VARCHAR
-- returns: repo, n
-- grain: repo
-- reference: https://example.org/{name}

"""


def _metric(tmp_path: Path, name: str, body: str) -> Metric:
    p = tmp_path / f"{name}.sql"
    p.write_text(HEADER.format(name=name) + body, encoding="utf-8")
    return parse_metric(p)


JOINED = """WITH firsts AS (
    SELECT repo_id, person_id, min(committed_at) AS first_at FROM human_commits GROUP BY repo_id, person_id
)
SELECT {hint} r.full_name AS repo, count(*) AS n
FROM human_commits c
JOIN firsts f ON f.repo_id = c.repo_id AND f.person_id = c.person_id
JOIN repos r ON r.repo_id = c.repo_id
WHERE $repo IS NULL OR r.full_name = $repo
GROUP BY r.full_name
ORDER BY repo
"""


def test_a_hint_comment_becomes_a_spark_hint_and_stays_a_comment_for_duckdb(
    tmp_path: Path,
) -> None:
    m = _metric(tmp_path, "hinted", JOINED.format(hint="/*+ SHUFFLE_HASH(f) */"))
    assert "/*+ SHUFFLE_HASH(f) */" in metric_duckdb_sql(m)  # DuckDB's file, as written
    spark = metric_spark_sql(m)
    # the outermost SELECT keeps its one-partition sort beside the metric's own hint
    assert "SELECT /*+ REPARTITION(1), SHUFFLE_HASH(f) */" in spark
    assert "/* +" not in spark  # not left behind as a comment as well
    # a SELECT without one gets none
    plain = metric_spark_sql(_metric(tmp_path, "plain", JOINED.format(hint="")))
    assert "SHUFFLE_HASH" not in plain and "/*+ REPARTITION(1) */" in plain


@pytest.mark.parametrize(
    "hint",
    ["/*+ SHUFFLE_HASH(g) */", "/*+ SHUFFEL_HASH(f) */", "/*+ REPARTITION(4) */", "/*+ */"],
    ids=["unknown-relation", "misspelt-strategy", "not-a-join-hint", "empty"],
)
def test_a_hint_spark_would_drop_silently_is_an_error(tmp_path: Path, hint: str) -> None:
    m = _metric(tmp_path, "badhint", JOINED.format(hint=hint))
    with pytest.raises(MetricDefinitionError) as err:
        metric_spark_sql(m)
    assert "badhint" in str(err.value)


def test_cache_columns_keep_everything_only_for_a_selected_star(tmp_path: Path) -> None:
    """``count(*)`` names no column; ``c.*`` from a cached view needs every one of them."""
    counted = _metric(tmp_path, "counted", JOINED.format(hint=""))
    cols = metric_columns([counted])
    assert cols is not None and {"repo_id", "person_id", "committed_at", "full_name"} <= cols
    assert "sha" not in cols
    star = _metric(
        tmp_path,
        "starred",
        "SELECT c.*, 1 AS n FROM human_commits c JOIN repos r ON r.repo_id = c.repo_id\n"
        "WHERE $repo IS NULL OR r.full_name = $repo ORDER BY c.sha",
    )
    assert metric_columns([counted, star]) is None
    # the shipped metrics select no star from a cached table: their cache keeps named columns
    assert metric_columns() is not None

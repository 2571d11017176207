"""time_to_first_response takes its quantiles by rank (Spark's ``percentile`` was its slowest
part): they must equal DuckDB's own ``quantile_cont`` over the same items, for groups of every
size, odd and even, with and without responses."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ossmetrics.lake.synthetic import generate_store
from ossmetrics.spark.metric_sql import metric_duckdb_sql
from ossmetrics.store import connect


@pytest.mark.parametrize("by_type", [True, False])
def test_quantiles_by_rank_equal_quantile_cont(tmp_path: Path, by_type: bool) -> None:
    con = connect(tmp_path / "g.duckdb")
    try:
        generate_store(con, repos=12, commits=1500, seed=5, issues_per_repo=120)
        sql = metric_duckdb_sql("time_to_first_response", {"by_type": by_type})
        # the metric's own per-item hours (CTE h), then DuckDB's quantile_cont over them
        head = sql[: sql.index("ranked AS (")]
        head = head[: head.rindex("\n),") + 2]  # through the end of CTE h
        expected = con.execute(
            head + " SELECT r.full_name, h.item_type, h.month, count(*), count(hours),"
            " quantile_cont(hours, 0.5), quantile_cont(hours, 0.9)"
            " FROM h JOIN r ON r.repo_id = h.repo_id"
            " GROUP BY r.full_name, h.item_type, h.month ORDER BY 1, 2, 3"
        ).fetchall()
        got = con.execute(sql).fetchall()
    finally:
        con.close()
    assert len(got) == len(expected) > 100
    sizes = Counter(row[4] for row in expected)
    # the comparison covers no responses, one, and both parities of larger groups
    assert sizes[0] and sizes[1] and any(n % 2 == 0 for n in sizes if n > 1)
    assert any(n % 2 == 1 for n in sizes if n > 1)
    for g, e in zip(got, expected, strict=True):
        assert g[:5] == e[:5]
        for a, b in zip(g[5:], e[5:], strict=True):
            assert (a is None and b is None) or a == pytest.approx(b, rel=1e-12, abs=1e-9), (g, e)

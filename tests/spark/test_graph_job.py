"""``spark graph`` stores exactly the rows ``ossmetrics graph`` stores: every person and
repository measure, the key people's cross-load (computed across the lake in Spark SQL) and the
portfolio measures, on a generated history with shared people, aliases, bots, issues, comments
and changed files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ossmetrics.graph.compute import compute_graphs, stored_as_of
from ossmetrics.lake import export_lake, open_lake
from ossmetrics.lake.synthetic import generate_store
from ossmetrics.spark.graph_job import spark_graph
from ossmetrics.store import connect

_PERSON = (
    "SELECT repo_id, person_id, graph, measure, value FROM graph_person_measures "
    "WHERE as_of = ? ORDER BY ALL"
)
_REPO = (
    "SELECT repo_id, measure, value, detail FROM graph_repo_measures WHERE as_of = ? ORDER BY ALL"
)


@pytest.fixture(scope="module")
def store_and_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("glake")
    con = connect(tmp / "s.duckdb")
    counts = generate_store(con, repos=6, commits=1200, seed=3, files_per_commit=2)
    assert counts["commit_files"] == 2400
    export_lake(con, tmp / "lake", buckets=4)
    con.close()
    return tmp / "s.duckdb", tmp / "lake"


@pytest.mark.parametrize("as_of", [date(2023, 6, 30), None], ids=["cut", "all-history"])
def test_spark_graph_stores_the_rows_of_the_graph_command(
    spark: Any, store_and_lake: tuple[Path, Path], as_of: date | None
) -> None:
    db, lake = store_and_lake
    day = stored_as_of(as_of)
    con = connect(db)
    try:
        compute_graphs(con, as_of=as_of)
        want_p = con.execute(_PERSON, [day]).fetchall()
        want_r = con.execute(_REPO, [day]).fetchall()
    finally:
        con.close()
    got = spark_graph(spark, lake, as_of=as_of)
    lk = open_lake(str(lake))
    try:
        got_p = lk.con.execute(_PERSON, [day]).fetchall()
        got_r = lk.con.execute(_REPO, [day]).fetchall()
    finally:
        lk.close()

    # not vacuous: every kind of row is there, and the cross-repository parts are non-zero
    graphs = {r[2] for r in want_p}
    assert graphs == {"collaboration", "authorship", "portfolio"}
    measures = {r[3] for r in want_p}
    assert {"betweenness", "pagerank", "core_number", "community", "files_authored"} <= measures
    cross = {r[0]: r[2] for r in want_r if r[1] == "key_people_cross_load"}
    assert len(cross) == 6 and max(v for v in cross.values() if v is not None) > 0
    assert all((r[2] or 0) >= 1 for r in want_r if r[1] == "truck_factor")

    assert [r[:4] for r in got_p] == [r[:4] for r in want_p]
    for g, w in zip(got_p, want_p, strict=True):
        assert g[4] == pytest.approx(w[4], abs=1e-9), g
    assert [r[:2] for r in got_r] == [r[:2] for r in want_r]
    for g, w in zip(got_r, want_r, strict=True):
        assert (g[2] is None) == (w[2] is None) and (
            w[2] is None or g[2] == pytest.approx(w[2], abs=1e-9)
        ), g
        assert (json.loads(g[3]) if g[3] else None) == (json.loads(w[3]) if w[3] else None), g
    assert got == {
        rid: {m: v for r, m, v, _ in want_r if r == rid} for rid in {r[0] for r in want_r}
    }

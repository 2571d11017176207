"""Truck factors at many cut dates, stored: what the risk model reads for its snapshots.

Why here: the truck factor is the graph stage's measure, and the risk model's key people are
that measure's key people at each snapshot date. The risk stage reads them from
``graph_repo_measures`` and never computes them itself, so the definition lives in one place
(``graph/truck_factor.py``) and a failure of it is a failure, not a silent fallback.

``store_truck_factors(con, dates_by_repo)`` replays each repository's history once
(``truck_factor_series``) and writes, per (repository, date), the rows ``compute_graphs``
writes for the same measures: ``truck_factor`` (detail: key people, files, authors, the
all-history bus factor) and ``bus_factor_all_history``. Other measures stored at those dates
are left alone. One transaction per repository, so an interrupted run keeps what it finished
and a rerun gives the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime

import duckdb
import pyarrow as pa

from ossmetrics.graph.truck_factor import truck_factor_series
from ossmetrics.store import transaction

__all__ = ["SERIES_MEASURES", "store_truck_factors"]

#: The measures a stored series holds at each date.
SERIES_MEASURES = ("truck_factor", "bus_factor_all_history")


def store_truck_factors(
    con: duckdb.DuckDBPyConnection, dates_by_repo: Mapping[int, Sequence[date]]
) -> int:
    """Compute and store the truck factor of each repository at each of its dates; rows written."""
    written = 0
    for repo_id, dates in dates_by_repo.items():
        # a datetime is a date too: the day it falls on is the stored as_of
        days = sorted({d.date() if isinstance(d, datetime) else d for d in dates})
        if not days:
            continue
        results = truck_factor_series(con, repo_id, days)
        rows: list[tuple[date, str, float | None, str | None]] = []
        for d, tf in zip(days, results, strict=True):
            detail = tf.to_detail()
            detail["definition"] = "Avelino et al. 2016 degree-of-authorship truck factor"
            rows.append(
                (
                    d,
                    "truck_factor",
                    None if tf.truck_factor is None else float(tf.truck_factor),
                    json.dumps(detail, sort_keys=True),
                )
            )
            bus = tf.bus_factor_all_history
            rows.append(
                (
                    d,
                    "bus_factor_all_history",
                    None if bus is None else float(bus),
                    json.dumps({"definition": "CHAOSS: fewest people with >= 50% of commits"}),
                )
            )
        tbl = pa.table(
            {
                "repo_id": pa.array([repo_id] * len(rows), type=pa.int32()),
                "as_of": pa.array([r[0] for r in rows], type=pa.date32()),
                "measure": pa.array([r[1] for r in rows], type=pa.string()),
                "value": pa.array([r[2] for r in rows], type=pa.float64()),
                "detail": pa.array([r[3] for r in rows], type=pa.string()),
            }
        )
        with transaction(con):
            con.execute(
                """DELETE FROM graph_repo_measures WHERE repo_id = ? AND list_contains(?, as_of)
                   AND list_contains(?, measure)""",
                [repo_id, days, list(SERIES_MEASURES)],
            )
            con.register("_series_rows", tbl)
            try:
                con.execute(
                    "INSERT INTO graph_repo_measures (repo_id, as_of, measure, value, detail) "
                    "SELECT * FROM _series_rows"
                )
            finally:
                con.unregister("_series_rows")
        written += len(rows)
    return written

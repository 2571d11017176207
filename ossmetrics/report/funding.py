"""The funding view of the report: key people through the report's people display helpers
(so any masking they apply reaches the plan too)."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from ossmetrics.report import data_people

__all__ = ["key_people_names"]


def key_people_names(con: duckdb.DuckDBPyConnection) -> Callable[[int], list[str]]:
    """repo_id -> the names of its truck-factor people, in removal order."""

    def names(repo_id: int) -> list[str]:
        g = data_people.graph_measures(con, [repo_id])
        tf = g[g["measure"] == "truck_factor"] if len(g) else g
        ids = data_people.key_people(tf["detail"].iloc[0]) if len(tf) else []
        shown = data_people.person_names(con, ids)
        return [shown[p] for p in ids if p in shown]

    return names

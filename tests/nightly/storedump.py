"""Canonical dumps of a store, to compare two stores table by table.

Surrogate ids differ between stores that did the same work in different steps (a rolled-back
transaction may use up sequence values), so each id is replaced by its natural key: repo_id by
full_name, identity ids by identity_key, person_id by the smallest identity_key of the person.
Run bookkeeping (timestamps of when something was collected or computed, run ids, timings) is
left out; everything else is compared exactly (floats to 9 decimals).
"""

from __future__ import annotations

from typing import Any

import duckdb

SKIP_TABLES = {"runs", "nightly_state", "schema_migrations"}
BOOKKEEPING = {
    "collected_at",
    "computed_at",
    "scored_at",
    "last_success_at",
    "run_id",
    "started_at",
    "finished_at",
    "seconds",
    "applied_at",
    "created_at_local",
}
PER_TABLE = {"sync_state": {"updated_at"}, "identity_overrides": {"created_at"}}
DISTINCT = {"metric_snapshots"}  # one row per run: compare which values were recorded


def _expr(table: str, col: str, dtype: str) -> str | None:
    if col in BOOKKEEPING or col in PER_TABLE.get(table, set()):
        return None
    q = f'"{col}"'
    if col == "repo_id":
        if table == "repos":
            return None
        return f"(SELECT full_name FROM repos z WHERE z.repo_id = t.{q}) AS {q}"
    if col == "identity_id" and table == "identities":
        return None
    if col == "identity_id" or col.endswith("_identity"):
        return f"(SELECT identity_key FROM identities z WHERE z.identity_id = t.{q}) AS {q}"
    if col == "person_id":
        return f"(SELECT min(identity_key) FROM identities z WHERE z.person_id = t.{q}) AS {q}"
    if dtype in ("DOUBLE", "FLOAT", "REAL"):
        return f"round(t.{q}, 9) AS {q}"
    return f"t.{q}"


def dump(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            " AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
        if r[0] not in SKIP_TABLES
    ]
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in tables:
        cols = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
        exprs = [e for e in (_expr(table, c, d) for c, d in cols) if e]
        distinct = "DISTINCT " if table in DISTINCT else ""
        sql = f'SELECT {distinct}{", ".join(exprs)} FROM "{table}" t ORDER BY ALL'
        out[table] = con.execute(sql).fetchall()
    return out


def differences(
    a: dict[str, list[tuple[Any, ...]]], b: dict[str, list[tuple[Any, ...]]]
) -> list[str]:
    """Tables whose contents differ, with a short description of the first difference."""
    out = []
    for table in sorted(set(a) | set(b)):
        ra, rb = a.get(table), b.get(table)
        if ra != rb:
            sa, sb = set(ra or []), set(rb or [])
            out.append(
                f"{table}: {len(ra or [])} vs {len(rb or [])} rows; only in first {sorted(sa - sb, key=str)[:2]};"
                f" only in second {sorted(sb - sa, key=str)[:2]}"
            )
    return out

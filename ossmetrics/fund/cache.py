"""``fund_cache``: the raw answers of every service ``fund enrich`` asks, by source and key.

One row per (source, key) with the HTTP status (404: the service does not know it), the JSON
payload and when it was fetched; every write is its own transaction, so an interrupted run
keeps what it fetched and the next one completes the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from ossmetrics.store import transaction

__all__ = ["CacheWriter", "cached_payload", "fresh_keys", "save_cache"]


def fresh_keys(con: duckdb.DuckDBPyConnection, source: str, since: datetime) -> set[str]:
    """Keys of ``source`` fetched at or after ``since`` (not to be fetched again)."""
    rows = con.execute(
        "SELECT key FROM fund_cache WHERE source = ? AND fetched_at >= ?", [source, since]
    ).fetchall()
    return {r[0] for r in rows}


def save_cache(con: duckdb.DuckDBPyConnection, source: str, rows: Iterable[tuple[str, Any]]) -> int:
    """Upsert (key, payload) answers; a payload of None records a 404."""
    now = datetime.now(UTC)
    data = [
        (source, k, 200 if v is not None else 404, None if v is None else json.dumps(v), now)
        for k, v in rows
    ]
    if not data:
        return 0
    df = pd.DataFrame(data, columns=["source", "key", "status", "payload", "fetched_at"])
    with transaction(con):
        con.register("_fund_cache", df)
        try:
            con.execute("INSERT OR REPLACE INTO fund_cache SELECT * FROM _fund_cache")
        finally:
            con.unregister("_fund_cache")
    return len(data)


def cached_payload(con: duckdb.DuckDBPyConnection, source: str, key: str) -> Any:
    """The cached JSON answer (None when absent, a 404, or not JSON)."""
    row = con.execute(
        "SELECT payload FROM fund_cache WHERE source = ? AND key = ?", [source, key]
    ).fetchone()
    if not row or not row[0]:
        return None
    try:
        return json.loads(row[0])
    except ValueError:
        return None


class CacheWriter:
    """Buffers the answers of one-request-a-package endpoints and writes them ``every`` rows at
    a time (one transaction each), so thousands of small answers do not cost thousands of
    transactions; ``flush`` (call it in a ``finally``) writes the rest, so an interrupted run
    keeps everything it fetched."""

    def __init__(self, con: duckdb.DuckDBPyConnection, every: int = 200) -> None:
        self.con = con
        self.every = every
        self.pending: dict[str, list[tuple[str, Any]]] = {}

    def add(self, source: str, rows: Iterable[tuple[str, Any]]) -> None:
        self.pending.setdefault(source, []).extend(rows)
        if sum(len(v) for v in self.pending.values()) >= self.every:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, {}
        for source, rows in pending.items():
            save_cache(self.con, source, rows)

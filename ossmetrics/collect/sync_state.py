"""``sync_state`` I/O shared by the collectors: one row per (repository, source, endpoint).

A collector keeps its high-water mark (``cursor``), the ETag of its last conditional request
and the outcome of its last run here; the next run starts from it. Every writer here runs in
the caller's transaction, so a page's rows and its cursor commit together (or not at all).
"""

from __future__ import annotations

import duckdb

__all__ = ["get_state", "mark_done", "record_error", "set_state"]


def get_state(
    con: duckdb.DuckDBPyConnection, repo_id: int, source: str, endpoint: str
) -> tuple[str | None, str | None]:
    """(cursor, etag) of one endpoint, (None, None) before its first run."""
    row = con.execute(
        "SELECT cursor, etag FROM sync_state WHERE repo_id = ? AND source = ? AND endpoint = ?",
        [repo_id, source, endpoint],
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def set_state(
    con: duckdb.DuckDBPyConnection,
    repo_id: int,
    source: str,
    endpoint: str,
    *,
    cursor: str | None,
    etag: str | None = None,
    done: bool = False,
) -> None:
    """Store an endpoint's cursor and ETag; ``done`` also stamps ``last_success_at``."""
    con.execute(
        """
        INSERT INTO sync_state (repo_id, source, endpoint, cursor, etag, last_success_at, last_error, updated_at)
        VALUES (?, ?, ?, ?, ?, CASE WHEN ? THEN now() END, NULL, now())
        ON CONFLICT (repo_id, source, endpoint) DO UPDATE SET
            cursor = excluded.cursor, etag = excluded.etag, last_error = NULL,
            last_success_at = coalesce(excluded.last_success_at, sync_state.last_success_at),
            updated_at = excluded.updated_at
        """,
        [repo_id, source, endpoint, cursor, etag, done],
    )


def mark_done(con: duckdb.DuckDBPyConnection, repo_id: int, source: str, endpoint: str) -> None:
    """The endpoint finished without moving its cursor (a ``304``, nothing newer)."""
    con.execute(
        "UPDATE sync_state SET last_success_at = now(), last_error = NULL WHERE repo_id = ? AND source = ? AND endpoint = ?",
        [repo_id, source, endpoint],
    )


def record_error(
    con: duckdb.DuckDBPyConnection, repo_id: int, source: str, endpoint: str, message: str
) -> None:
    """Keep why the endpoint stopped (already redacted); its cursor stays where it was."""
    con.execute(
        """
        INSERT INTO sync_state (repo_id, source, endpoint, last_error, updated_at)
        VALUES (?, ?, ?, ?, now())
        ON CONFLICT (repo_id, source, endpoint) DO UPDATE SET last_error = excluded.last_error,
            updated_at = excluded.updated_at
        """,
        [repo_id, source, endpoint, message],
    )

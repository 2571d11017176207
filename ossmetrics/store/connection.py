"""Open the DuckDB store, turning DuckDB's failures into one-line, actionable errors.

Every stage gets its connection here, so the time zone, the migrations and the error
translation are the same everywhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ossmetrics.errors import StoreCorrupt, StoreError, StoreLocked, StoreReadOnly
from ossmetrics.store.migrations import migrate, pending

__all__ = ["connect", "transaction"]

_PID = re.compile(r"PID (\d+)")


def connect(
    path: str | os.PathLike[str], *, read_only: bool = False, migrate_schema: bool = True
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store at ``path`` and bring its schema up to date.

    A read-only connection to a store made by an older ossmetrics first upgrades it through a
    short writable connection, so upgrading the code never leaves read-only commands (query,
    train, risk explain) refusing every existing store. When that cannot be done (another
    process has the store open, or the file cannot be written) it refuses the store in one line
    naming the missing migration, and never reads a schema older than the code.
    """
    p = Path(path)
    if read_only and not p.exists():
        raise StoreError(
            f"database {p} does not exist",
            "collect something first, e.g. `ossmetrics collect git PATH`",
        )
    if p.exists() and p.is_dir():
        raise StoreError(
            f"database path {p} is a directory", "point --db at a file, e.g. ./ossmetrics.duckdb"
        )
    if not read_only and not p.parent.exists():
        raise StoreError(
            f"folder {p.parent} for database {p.name} does not exist",
            "create it first or choose another --db",
        )
    try:
        con = duckdb.connect(str(p), read_only=read_only)
    except duckdb.IOException as exc:
        raise _translate(p, exc) from None
    except duckdb.Error as exc:
        raise _translate(p, exc) from None
    try:
        con.execute("SET TimeZone = 'UTC'")
        if migrate_schema:
            missing = pending(con) if read_only else []
            if missing:
                con.close()
                _upgrade(p, missing)
                return connect(p, read_only=True, migrate_schema=migrate_schema)
            migrate(con, str(p), read_only=read_only)
    except BaseException:
        con.close()
        raise
    return con


def _upgrade(p: Path, missing: list[str]) -> None:
    """Apply ``missing`` migrations through a writable connection, closed at once."""
    try:
        w = duckdb.connect(str(p))
    except duckdb.Error as exc:
        why = _translate(p, exc).message
        raise StoreError(
            f"database {p} lacks {', '.join(missing)}, which this ossmetrics needs, and cannot "
            f"be upgraded now ({why})",
            "close the other program using it, or run any collect command once to upgrade it",
        ) from None
    try:
        w.execute("SET TimeZone = 'UTC'")
        migrate(w, str(p))
    finally:
        w.close()


def _translate(p: Path, exc: Exception) -> StoreError:
    text = str(exc)
    low = text.lower()
    if "lock" in low:
        m = _PID.search(text)
        return StoreLocked(str(p), int(m.group(1)) if m else None)
    if "read-only" in low or "readonly" in low or "permission denied" in low:
        return StoreReadOnly(
            f"database {p} cannot be written ({text.splitlines()[0]})",
            "check the file's permissions and the disk",
        )
    if (
        "not a valid duckdb" in low
        or "corrupt" in low
        or "magic" in low
        or "serializ" in low
        or "checksum" in low
    ):
        return StoreCorrupt(
            f"database {p} is not a readable DuckDB file",
            "restore it from a backup, or move it away and collect again",
        )
    return StoreError(
        f"cannot open database {p}: {text.splitlines()[0] if text else type(exc).__name__}",
        "check the path and that it is a DuckDB file",
    )


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All-or-nothing writes: a crash or an exception inside leaves the store as it was."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")

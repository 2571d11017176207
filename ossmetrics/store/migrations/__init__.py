"""Ordered schema migrations, recorded in ``schema_migrations``.

Migrations are the numbered ``NNNN_name.sql`` files beside this module, applied in order, each
in its own transaction. Which ones a store has is the set of numbers recorded, not only the
highest, so a migration added later in a lower range (0210 after 0550) is still applied on
upgrade. A store whose highest applied number is above the highest file here was written by a
newer ossmetrics and is refused rather than silently misread.

Number ranges keep the stages' migrations apart: 0001-0099 core/collectors, 0100-0199 GitHub,
0200-0299 metrics, 0300-0399 graphs, 0400-0499 risk, 0500-0599 nightly/reports.
"""

from __future__ import annotations

import re
from importlib import resources

import duckdb

from ossmetrics.errors import StoreError, StoreTooNew

__all__ = ["CODE_VERSION", "available", "migrate", "pending", "schema_version"]

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def available() -> list[tuple[int, str, str]]:
    """(number, filename, sql) for every migration shipped with this version, in order."""
    out = []
    for entry in resources.files(__package__).iterdir():
        m = _NAME.match(entry.name)
        if m:
            out.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(out)


CODE_VERSION = max(n for n, _, _ in available())


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _missing(con: duckdb.DuckDBPyConnection, current: int) -> list[tuple[int, str, str]]:
    """The migrations whose number the store has not recorded (any range, not only above)."""
    applied = set()
    if current:
        applied = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
    return [m for m in available() if m[0] not in applied]


def pending(con: duckdb.DuckDBPyConnection) -> list[str]:
    """File names of the migrations this store lacks ([] too for a newer store: ``migrate``
    refuses that one)."""
    current = schema_version(con)
    if current > CODE_VERSION:
        return []
    return [name for _, name, _ in _missing(con, current)]


def migrate(con: duckdb.DuckDBPyConnection, path: str = "", *, read_only: bool = False) -> int:
    """Apply pending migrations; return the resulting schema version."""
    current = schema_version(con)
    if current > CODE_VERSION:
        raise StoreTooNew(path, current, CODE_VERSION)
    todo = _missing(con, current)
    if not todo:
        return current
    if read_only:
        # A migration numbered below the store's version (a later one in another stage's range)
        # leaves the version as it was, so the message names what is missing.
        missing = ", ".join(name for _, name, _ in todo)
        raise StoreError(
            f"database {path} has schema {current} without {missing}, which this ossmetrics needs",
            "open it once without read-only access (any collect command) to upgrade it",
        )
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ DEFAULT now())"
    )
    for number, name, sql in todo:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [number, name]
            )
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    return max(current, *(n for n, _, _ in todo))

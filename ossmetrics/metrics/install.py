"""Install the metric library into a store as DuckDB table macros.

After ``install(con)`` any DuckDB client can run ``FROM bus_factor('owner/repo')`` on the file,
with no Python. Each metric becomes two macros: ``NAME__impl`` (the body, with parameter names
that cannot collide with columns) and ``NAME`` (the public signature with its defaults). Two more
describe what is installed: ``ossmetrics_metrics()`` lists the metrics with their definitions,
and the one-row table ``metric_library`` records the digest of the files they came from.

``install`` is called by ``ossmetrics init`` and after every collection, so it must be cheap: it
compares the digest in ``metric_library`` with the files' digest and writes nothing when they
match (``force=True``, as ``ossmetrics init`` passes, re-creates them regardless, e.g. after a
macro was dropped by hand). When files changed, it re-creates the macros of
those metrics and drops those of metrics that no longer exist. On a read-only connection
it creates the same macros as TEMP ones, which last for that connection.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ossmetrics.metrics.library import Metric, list_metrics

__all__ = ["InstallResult", "install", "library_digest"]

# Bump when the way macros are generated changes, so old stores are reinstalled.
_FORMAT = "1"
_TEMP_DIGEST = "ossmetrics_temp_library_digest"
_LIST_MACRO = "ossmetrics_metrics"
_RECORD = "INSERT INTO metric_library VALUES (?, ?, now())"


@dataclass(frozen=True)
class InstallResult:
    """What install did: ``installed`` metrics (0 when already current), where, how long."""

    installed: int
    dropped: int
    up_to_date: bool
    temporary: bool
    digest: str
    seconds: float


def library_digest(metrics: list[Metric]) -> str:
    h = hashlib.sha256(_FORMAT.encode())
    for m in metrics:
        h.update(f"{m.name}:{m.digest()}\n".encode())
    return h.hexdigest()[:16]


def _sql_str(text: str) -> str:
    """A string literal for our own header text (never user input)."""
    return "'" + text.replace("'", "''") + "'"


def _recorded(con: duckdb.DuckDBPyConnection) -> tuple[str | None, dict[str, str]]:
    """(library digest, {metric: file digest}) installed in the store, from metric_library."""
    row = con.execute("SELECT digest, metrics FROM metric_library LIMIT 1").fetchone()
    if not row:
        return None, {}
    entries = (str(e).partition(":") for e in row[1])
    return str(row[0]), {name: d for name, _, d in entries}


def _present_macros(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the table macros in the store and in this connection's temp catalog (slow:
    duckdb_functions() takes ~70 ms, so only the refresh path asks)."""
    rows = con.execute(
        "SELECT function_name FROM duckdb_functions() "
        "WHERE function_type IN ('table_macro', 'macro') AND schema_name = 'main' "
        "AND database_name IN (current_database(), 'temp')"
    ).fetchall()
    return {r[0] for r in rows}


def _is_read_only(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return bool(row and row[0])


def install(
    con: duckdb.DuckDBPyConnection,
    *,
    force: bool = False,
    directory: str | Path | None = None,
) -> InstallResult:
    """Create or refresh the metric macros in the store; a no-op when they are current."""
    t0 = time.perf_counter()
    metrics = list_metrics(directory)
    digest = library_digest(metrics)
    have_digest, recorded = _recorded(con)
    if not force and have_digest == digest:
        return InstallResult(0, 0, True, False, digest, time.perf_counter() - t0)
    temp = _is_read_only(con)
    present = _present_macros(con)
    if temp and not force and _TEMP_DIGEST in present:
        row = con.execute(f"SELECT {_TEMP_DIGEST}()").fetchone()
        if row and row[0] == digest:
            return InstallResult(0, 0, True, True, digest, time.perf_counter() - t0)
    kw = "TEMP MACRO" if temp else "MACRO"
    stale = sorted(set(recorded) - {m.name for m in metrics} - {"_format"})
    # Only the metrics whose file changed are re-created (binding a macro costs ~10 ms), unless
    # forced, on a read-only store (temp macros), or when the generated form changed.
    same_format = have_digest is not None and recorded.get("_format") == _FORMAT
    todo = [
        m
        for m in metrics
        if force
        or temp
        or not same_format
        or recorded.get(m.name) != m.digest()
        or m.name not in present
    ]
    listing = (
        ", ".join(
            "("
            + ", ".join(
                _sql_str(x)
                for x in (
                    m.name,
                    m.description,
                    ", ".join(p.signature() for p in m.params),
                    ", ".join(m.returns),
                    ", ".join(m.grain),
                    m.reference,
                )
            )
            + ")"
            for m in metrics
        )
        or "(NULL, NULL, NULL, NULL, NULL, NULL)"
    )
    statements: list[str] = []
    for name in stale:
        for fn in (name, f"{name}__impl"):
            if fn in present:
                statements.append(f'DROP MACRO TABLE IF EXISTS "{fn}"')
    for m in todo:
        statements.extend(m.macro_sql(temp=temp))
    statements.append(
        f"CREATE OR REPLACE {kw} {_LIST_MACRO}() AS TABLE "
        f"SELECT * FROM (VALUES {listing}) t(name, description, params, returns, grain, reference) "
        "WHERE name IS NOT NULL"
    )
    if temp:
        # A read-only store keeps its (stale or missing) macros; these shadow them for this
        # connection only.
        statements.append(f"CREATE OR REPLACE TEMP MACRO {_TEMP_DIGEST}() AS {_sql_str(digest)}")
        for s in statements:
            if not s.startswith("DROP"):
                con.execute(s)
    else:
        # No BEGIN of our own: inside a caller's transaction a failed BEGIN would abort it, and
        # each CREATE OR REPLACE is atomic anyway. The record comes last, so an interrupted
        # install is simply redone next time.
        for s in statements:
            con.execute(s)
        con.execute("DELETE FROM metric_library")
        entries = [f"_format:{_FORMAT}"] + [f"{m.name}:{m.digest()}" for m in metrics]
        con.execute(_RECORD, [digest, entries])
    return InstallResult(
        len(todo), len(stale) if not temp else 0, False, temp, digest, time.perf_counter() - t0
    )

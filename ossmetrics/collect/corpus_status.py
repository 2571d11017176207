"""The parts of a corpus beyond git: each repository's ecosystem and its status events.

A multi-ecosystem corpus (issue 19) adds an ``ecosystem`` column to ``repos.parquet`` and may
ship ``status_events.parquet``: dated "archived" / "unmaintained" / "deprecated" events its build
detected (GitHub's archive flag, README or description notices). The risk stage reads them from
the store (``repos.ecosystem``, ``status_events``, ``status_coverage``); a corpus without them
leaves the ecosystem to be mapped from the language and the status label NULL.

``status_events.parquet`` columns: ``repo``; a time (``at``, else ``event_at``, ``detected_at``,
``observed_at``, ``date`` or ``ts``); a kind (``kind``, else ``status`` or ``event``); optional
``source`` and ``detail`` (else ``evidence``). Every event is kept, whatever its kind — a later
``cleared`` (notice removed) ends an earlier ``unmaintained`` — and the risk stage reads the
state at a date from the latest event before it. Every repository of the corpus counts as covered by the status source
(an absent event then means "not archived"), checked up to the corpus' newest commit.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ossmetrics.errors import UsageError

__all__ = ["load_corpus_status"]

_TIME = ("at", "event_at", "detected_at", "observed_at", "date", "ts")
_KIND = ("kind", "status", "event")


def _columns(con: duckdb.DuckDBPyConnection, path: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]


def load_corpus_status(con: duckdb.DuckDBPyConnection, corpus_dir: Path) -> tuple[int, int]:
    """Fill ``repos.ecosystem`` and the status tables for the corpus repositories in ``_c_ids``.

    Runs inside ``load_corpus``'s transaction (temp tables ``_c_repos`` and ``_c_ids``).
    Returns (repositories given an ecosystem, status events loaded).
    """
    n_eco = 0
    if "ecosystem" in [r[0] for r in con.execute("DESCRIBE _c_repos").fetchall()]:
        con.execute(
            """UPDATE repos SET ecosystem = r.ecosystem FROM _c_repos r
               WHERE repos.full_name = r.repo AND r.ecosystem IS NOT NULL"""
        )
        row = con.execute("SELECT count(*) FROM _c_repos WHERE ecosystem IS NOT NULL").fetchone()
        n_eco = int(row[0]) if row else 0
    path = corpus_dir / "status_events.parquet"
    if not path.exists():
        return n_eco, 0
    p = str(path).replace("'", "''")
    cols = _columns(con, p)
    tcol = next((c for c in _TIME if c in cols), None)
    kcol = next((c for c in _KIND if c in cols), None)
    if "repo" not in cols or tcol is None or kcol is None:
        raise UsageError(
            f"{path} lacks a repo, time or kind column (has: {', '.join(cols)})",
            "give it the columns repo, at and kind (see ossmetrics/collect/corpus_status.py)",
        )
    src = "source" if "source" in cols else "'corpus'"
    det = "detail" if "detail" in cols else "evidence" if "evidence" in cols else "NULL"
    con.execute("DELETE FROM status_events WHERE repo_id IN (SELECT repo_id FROM _c_ids)")
    con.execute("DELETE FROM status_coverage WHERE repo_id IN (SELECT repo_id FROM _c_ids)")
    con.execute(
        f"""INSERT OR REPLACE INTO status_events (repo_id, event_at, kind, source, detail)
            SELECT i.repo_id, e."{tcol}"::TIMESTAMPTZ AS t, lower(e."{kcol}"),
                   any_value({src})::VARCHAR, any_value({det})::VARCHAR
            FROM read_parquet('{p}') e JOIN _c_ids i ON i.full_name = e.repo
            WHERE e."{tcol}" IS NOT NULL AND e."{kcol}" IS NOT NULL
            GROUP BY ALL"""
    )
    con.execute(
        """INSERT INTO status_coverage (repo_id, checked_at, source)
           SELECT i.repo_id, (SELECT max(committed_at) FROM commits), 'corpus'
           FROM _c_ids i"""
    )
    row = con.execute(
        "SELECT count(*) FROM status_events WHERE repo_id IN (SELECT repo_id FROM _c_ids)"
    ).fetchone()
    return n_eco, int(row[0]) if row else 0

"""Load a lake back into a DuckDB store: the other half of the lossless round trip.

Every table the lake holds replaces the store's in one transaction (all or nothing), and the
id sequences are moved past the largest imported id, so a collection after the import never
hands out an id the lake already uses. A table the lake's manifest does not list at all (a lake
written before that table joined the layout) is left as the store has it: replacing it with
nothing would, for ``forgotten_identities``, let forgotten people back in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb

from ossmetrics.errors import LakeError
from ossmetrics.lake.layout import TABLES
from ossmetrics.lake.reader import Skipped, open_lake
from ossmetrics.store import transaction

__all__ = ["ImportResult", "import_lake"]

# sequence -> (table, id column) it numbers
_SEQUENCES = {
    "repo_id_seq": ("repos", "repo_id"),
    "identity_id_seq": ("identities", "identity_id"),
    "run_id_seq": ("runs", "run_id"),
    "fund_doc_id_seq": ("fund_documents", "doc_id"),
}


@dataclass
class ImportResult:
    rows: dict[str, int] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    #: tables the lake does not hold (written by an older version): the store's kept
    absent: list[str] = field(default_factory=list)
    seconds: float = 0.0


def import_lake(con: duckdb.DuckDBPyConnection, url: str, *, replace: bool = False) -> ImportResult:
    """Copy every table of the lake at ``url`` into the store behind ``con``.

    A store that already holds repositories is refused unless ``replace`` (its tables are then
    replaced by the lake's). A lake with skipped partitions is refused too: importing part of a
    table would lose data silently.
    """
    t0 = time.perf_counter()
    row = con.execute("SELECT count(*) FROM repos").fetchone()
    if row and row[0] and not replace:
        raise LakeError(
            f"the store already holds {row[0]} repositories",
            "import into a new --db, or pass --replace to overwrite its tables",
        )
    lake = open_lake(url)
    skipped = list(lake.skipped)
    scratch = lake.scratch / "lake.duckdb"
    lake.con.close()
    try:
        if skipped:
            raise LakeError(
                f"{len(skipped)} partition(s) of the lake cannot be read ({skipped[0].line()})",
                "repair or re-export those partitions before importing",
            )
        result = ImportResult(skipped=skipped)
        if lake.remote is not None:  # the lake's views read s3:// (...) URLs
            lake.remote.register(con)
        con.execute(f"ATTACH '{scratch}' AS lake_src (READ_ONLY)")
        try:
            with transaction(con):
                for spec in TABLES:
                    if spec.name not in lake.manifest["tables"]:
                        result.absent.append(spec.name)
                        continue
                    cols = [
                        str(r[0])
                        for r in con.execute(
                            "SELECT column_name FROM information_schema.columns "
                            "WHERE table_name = ? AND table_catalog = current_database() "
                            "AND table_schema = 'main' ORDER BY ordinal_position",
                            [spec.name],
                        ).fetchall()
                    ]
                    names = ", ".join(f'"{c}"' for c in cols)
                    con.execute(f'DELETE FROM "{spec.name}"')
                    con.execute(
                        f'INSERT INTO "{spec.name}" ({names}) '
                        f'SELECT {names} FROM lake_src.main."{spec.name}"'
                    )
                    n = con.execute(f'SELECT count(*) FROM "{spec.name}"').fetchone()
                    result.rows[spec.name] = int(n[0]) if n else 0
                for seq, (table, col) in _SEQUENCES.items():
                    top = con.execute(f'SELECT max("{col}") FROM "{table}"').fetchone()
                    if top and top[0]:
                        # Sequences cannot be reset in place: draw values until past the top.
                        v = con.execute(f"SELECT nextval('{seq}')").fetchone()
                        gap = int(top[0]) - int(v[0]) if v else 0
                        if gap > 0:
                            con.execute(f"SELECT max(nextval('{seq}')) FROM range({gap})")
        except duckdb.Error as exc:
            if lake.remote is None:
                raise
            raise lake.remote.error(exc, "importing the lake") from None
        finally:
            con.execute("DETACH lake_src")
            if lake.remote is not None:
                lake.remote.unregister(con)
    finally:
        lake.close()
    result.seconds = time.perf_counter() - t0
    return result

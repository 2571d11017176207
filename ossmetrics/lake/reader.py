"""Open a lake as a DuckDB connection that every read-only command can use unchanged.

The connection's database is a scratch DuckDB file holding the store schema, in which each
collected table is replaced by a view over the lake's Parquet files (read in place, through
DuckDB's Parquet reader; over ``s3://``, ``gs://``, ``az://`` or ``https://`` through an fsspec
filesystem registered on the connection, see ``remote.py``). The tables commands write their results to (graphs, risk scores, metric snapshots,
runs) are small, so they are loaded as real tables; :meth:`Lake.write_back` exports the ones
that changed back into the lake (a folder or an object-store prefix). Metric macros install as usual, so ``query``, ``metrics``,
``graph``, ``score`` and ``report`` need no lake-specific code.

Bad input: a lake from a newer ossmetrics is refused with both versions named; a listed file
that is missing, is not Parquet, or holds fewer rows than the manifest says (a partial upload)
is named, its partition is left out and reported in :attr:`Lake.skipped`, and the rest is read.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ossmetrics.errors import LakeError
from ossmetrics.lake.export import export_lake, parse_manifest
from ossmetrics.lake.layout import MANIFEST, TABLES
from ossmetrics.lake.remote import Remote, open_remote
from ossmetrics.store.migrations import migrate

__all__ = ["Lake", "Skipped", "open_lake"]


@dataclass(frozen=True)
class Skipped:
    """A partition left out of the lake view, and why."""

    table: str
    partition: str
    file: str
    reason: str

    def line(self) -> str:
        where = self.table if not self.partition else f"{self.table} partition {self.partition}"
        return f"lake {where} skipped: {self.file} {self.reason}"


@dataclass
class Lake:
    """An open lake: ``con`` answers SQL as a store would."""

    url: str
    con: duckdb.DuckDBPyConnection
    manifest: dict[str, Any]
    scratch: Path
    skipped: list[Skipped] = field(default_factory=list)
    remote: Remote | None = None
    _loaded: dict[str, str] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        return self.remote is None

    def write_back(self, con: duckdb.DuckDBPyConnection | None = None) -> list[str]:
        """Export the result tables that changed since opening into the lake (a folder or an
        object-store prefix; never an https:// one, which is read-only); returns their names."""
        c = con or self.con
        try:
            c.execute("SELECT 1")
        except duckdb.Error:  # the command closed it: reopen the scratch database
            c = self.con = duckdb.connect(str(self.scratch / "lake.duckdb"))
            if self.remote is not None:
                self.remote.register(c)
        changed = [t for t, digest in self._loaded.items() if _digest(c, t) != digest]
        if changed and self.writable:
            export_lake(c, self.url, tables=changed)
        return changed

    @property
    def writable(self) -> bool:
        return self.remote is None or self.remote.scheme not in ("http", "https")

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _digest(con: duckdb.DuckDBPyConnection, table: str) -> str:
    row = con.execute(f'SELECT count(*), CAST(sum(hash(t)) AS VARCHAR) FROM "{table}" t').fetchone()
    return f"{row[0]}:{row[1]}" if row else ""


@contextmanager
def _reading(remote: Remote | None, table: str) -> Iterator[None]:
    """DuckDB's error for an object it could not fetch, as the store's one-line LakeError."""
    if remote is None:
        yield
        return
    try:
        yield
    except duckdb.Error as exc:
        raise remote.error(exc, f"reading table {table}") from None


def _sql_list(items: list[str]) -> str:
    return "[" + ", ".join("'" + i.replace("'", "''") + "'" for i in items) + "]"


def _read_manifest(url: str, remote: Remote | None) -> dict[str, Any]:
    if remote is None:
        p = Path(url)
        text = (p / MANIFEST).read_text(encoding="utf-8") if (p / MANIFEST).exists() else None
    else:
        remote.check_bucket()
        text = remote.read_text(MANIFEST)
    if text is None:
        raise LakeError(
            f"{url} is not an ossmetrics lake (no {MANIFEST})",
            "make one with `ossmetrics export --lake DIR`",
        )
    return parse_manifest(text, url)


def _check_files(
    con: duckdb.DuckDBPyConnection,
    url: str,
    table: str,
    entry: dict[str, Any],
    remote: Remote | None = None,
) -> tuple[list[str], list[Skipped]]:
    """The readable files of a table, and the partitions left out. On an object store a read
    that fails for the store's own reasons (access, network) is an error, not a skip."""
    base = url.rstrip("/")
    listed: list[tuple[str, str, int]] = []
    for part, pinfo in sorted(entry.get("partitions", {}).items()):
        for f in pinfo["files"]:
            listed.append((part, f"{base}/{f['path']}", int(f["rows"])))
    if not listed:
        return [], []
    rows: dict[str, int] = {}
    try:
        found = con.execute(
            "SELECT file_name, num_rows FROM parquet_file_metadata(?)", [[p for _, p, _ in listed]]
        ).fetchall()
        rows = {str(f): int(n) for f, n in found}
    except duckdb.Error:
        for _, p, _ in listed:  # one bad file fails the whole call: find which
            try:
                r = con.execute("SELECT num_rows FROM parquet_file_metadata(?)", [p]).fetchone()
                rows[p] = int(r[0]) if r else -1
            except duckdb.Error:
                rows[p] = -1
    bad_parts: dict[str, Skipped] = {}
    for part, p, n in listed:
        got = rows.get(p)
        if got is None or got == -1:
            if remote is None:
                missing = not Path(p).exists()
            else:
                missing = not remote.exists(p[len(base) + 1 :])
            why = "is missing" if missing else "is not a readable Parquet file (corrupt or partial)"
        elif got != n:
            why = f"holds {got} rows, the manifest says {n} (partial write)"
        else:
            continue
        bad_parts.setdefault(part, Skipped(table, part, p, why))
    good = [p for part, p, _ in listed if part not in bad_parts]
    return good, list(bad_parts.values())


def open_lake(url: str) -> Lake:
    """Open the lake at ``url`` (a folder, or an s3://, gs://, az://, https:// prefix)."""
    remote = open_remote(url) if "://" in url else None
    if remote is not None:
        url = remote.url
    scratch = Path(tempfile.mkdtemp(prefix="ossmetrics-lake-"))
    con = duckdb.connect(str(scratch / "lake.duckdb"))
    try:
        con.execute("SET TimeZone = 'UTC'")
        manifest = _read_manifest(url, remote)
        if remote is not None:
            remote.register(con)
        migrate(con, str(scratch / "lake.duckdb"))
        lake = Lake(url, con, manifest, scratch, remote=remote)
        types = {
            (str(t), str(c)): str(d)
            for t, c, d in con.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'main'"
            ).fetchall()
        }
        for spec in TABLES:
            entry = manifest["tables"].get(spec.name)
            files: list[str] = []
            if entry is not None:
                files, bad = _check_files(con, url, spec.name, entry, remote)
                lake.skipped.extend(bad)
            order = [
                str(r[0])
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "AND table_schema = 'main' ORDER BY ordinal_position",
                    [spec.name],
                ).fetchall()
            ]
            have = set(entry.get("columns", order)) if entry else set()
            select = ", ".join(
                f"CAST({q if c in have else 'NULL'} AS {types[(spec.name, c)]}) AS {q}"
                for c in order
                for q in [f'"{c}"']
            )
            source = f"read_parquet({_sql_list(files)}, hive_partitioning = false)"
            if spec.writable:
                if files:
                    with _reading(remote, spec.name):
                        con.execute(f'INSERT INTO "{spec.name}" SELECT {select} FROM {source}')
                lake._loaded[spec.name] = _digest(con, spec.name)
            elif files:
                con.execute(f'DROP TABLE "{spec.name}"')
                con.execute(f'CREATE VIEW "{spec.name}" AS SELECT {select} FROM {source}')
        return lake
    except BaseException:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
        raise

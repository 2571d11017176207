"""Open a lake as a DuckDB connection that every read-only command can use unchanged.

The connection's database is a scratch DuckDB file holding the store schema, in which each
collected table is replaced by a view over the lake's Parquet files (read in place, through
DuckDB's Parquet reader; over ``s3://``, ``gs://`` or ``https://`` through its httpfs
extension). The tables commands write their results to (graphs, risk scores, metric snapshots,
runs) are small, so they are loaded as real tables; :meth:`Lake.write_back` exports the ones
that changed back into a local lake. Metric macros install as usual, so ``query``, ``metrics``,
``graph``, ``score`` and ``report`` need no lake-specific code.

Bad input: a lake from a newer ossmetrics is refused with both versions named; a listed file
that is missing, is not Parquet, or holds fewer rows than the manifest says (a partial upload)
is named, its partition is left out and reported in :attr:`Lake.skipped`, and the rest is read.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ossmetrics.errors import LakeError
from ossmetrics.lake.export import _check_version, export_lake
from ossmetrics.lake.layout import MANIFEST, TABLES
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
    _loaded: dict[str, str] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        return "://" not in self.url

    def write_back(self, con: duckdb.DuckDBPyConnection | None = None) -> list[str]:
        """Export the result tables that changed since opening into the (local) lake; returns
        their names. A remote lake is left as it is (export locally, then sync)."""
        c = con or self.con
        try:
            c.execute("SELECT 1")
        except duckdb.Error:  # the command closed it: reopen the scratch database
            c = self.con = duckdb.connect(str(self.scratch / "lake.duckdb"))
        changed = [t for t, digest in self._loaded.items() if _digest(c, t) != digest]
        if changed and self.is_local:
            export_lake(c, self.url, tables=changed)
        return changed

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _digest(con: duckdb.DuckDBPyConnection, table: str) -> str:
    row = con.execute(f'SELECT count(*), CAST(sum(hash(t)) AS VARCHAR) FROM "{table}" t').fetchone()
    return f"{row[0]}:{row[1]}" if row else ""


def _sql_list(items: list[str]) -> str:
    return "[" + ", ".join("'" + i.replace("'", "''") + "'" for i in items) + "]"


def _read_manifest(con: duckdb.DuckDBPyConnection, url: str) -> dict[str, Any]:
    if "://" not in url:
        p = Path(url)
        if not (p / MANIFEST).exists():
            raise LakeError(
                f"{url} is not an ossmetrics lake (no {MANIFEST})",
                "make one with `ossmetrics export --lake DIR`",
            )
        text = (p / MANIFEST).read_text(encoding="utf-8")
    else:
        _load_httpfs(con)
        try:
            row = con.execute(
                "SELECT content FROM read_text(?)", [url.rstrip("/") + "/" + MANIFEST]
            ).fetchone()
        except duckdb.Error as exc:
            raise LakeError(
                f"cannot read {url}/{MANIFEST} ({str(exc).splitlines()[0]})",
                "check the URL and the credentials in the environment (AWS_*, GCS keys)",
            ) from None
        text = str(row[0]) if row else ""
    try:
        manifest: dict[str, Any] = json.loads(text)
    except ValueError:
        raise LakeError(
            f"the manifest of lake {url} is not valid JSON", "restore it or export the lake again"
        ) from None
    _check_version(manifest, url)
    return manifest


def _load_httpfs(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("LOAD httpfs")
    except duckdb.Error:
        try:
            con.execute("INSTALL httpfs")
            con.execute("LOAD httpfs")
        except duckdb.Error:
            raise LakeError(
                "reading a lake from a URL needs DuckDB's httpfs extension",
                "run `python -c \"import duckdb; duckdb.sql('INSTALL httpfs')\"` once online",
            ) from None


def _check_files(
    con: duckdb.DuckDBPyConnection, url: str, table: str, entry: dict[str, Any]
) -> tuple[list[str], list[Skipped]]:
    """The readable files of a table, and the partitions left out."""
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
            missing = "://" not in p and not Path(p).exists()
            why = "is missing" if missing else "is not a readable Parquet file (corrupt or partial)"
        elif got != n:
            why = f"holds {got} rows, the manifest says {n} (partial write)"
        else:
            continue
        bad_parts.setdefault(part, Skipped(table, part, p, why))
    good = [p for part, p, _ in listed if part not in bad_parts]
    return good, list(bad_parts.values())


def open_lake(url: str) -> Lake:
    """Open the lake at ``url`` (a folder, or an s3://, gs://, https:// prefix)."""
    scratch = Path(tempfile.mkdtemp(prefix="ossmetrics-lake-"))
    con = duckdb.connect(str(scratch / "lake.duckdb"))
    try:
        con.execute("SET TimeZone = 'UTC'")
        manifest = _read_manifest(con, url)
        migrate(con, str(scratch / "lake.duckdb"))
        lake = Lake(url, con, manifest, scratch)
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
                files, bad = _check_files(con, url, spec.name, entry)
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

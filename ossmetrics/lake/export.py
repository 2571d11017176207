"""Write the store's tables into a lake, rewriting only the partitions whose rows changed.

Incremental: each partition's rows are summarised as (row count, order-independent sum of
row hashes); a partition whose summary matches the manifest is left alone, so a nightly export
after one day's collection rewrites a few buckets and months, not the lake. Crash-safe: new
files get new names, the manifest is replaced atomically (write + rename) after they are all in
place, and only then are the files it no longer lists deleted -- a reader, which trusts only the
manifest, sees the old lake or the new one, never a mix. The same holds on an object store
(``s3://BUCKET/PREFIX``, ``remote.py``): files are written in a local staging folder, uploaded
under new names, and the manifest goes up last in one PUT (an object is replaced whole).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ossmetrics.errors import LakeError
from ossmetrics.lake.layout import (
    DEFAULT_BUCKETS,
    LAKE_FORMAT,
    MANIFEST,
    TABLES,
    TableSpec,
    empty_manifest,
    manifest_json,
    partition_expr,
)
from ossmetrics.lake.remote import Remote, is_remote, open_remote
from ossmetrics.store.migrations import CODE_VERSION, schema_version

__all__ = [
    "ExportResult",
    "export_lake",
    "file_sha256",
    "load_local_manifest",
    "parse_manifest",
    "save_manifest",
]


@dataclass
class ExportResult:
    """What an export did: per table, partitions rewritten / unchanged / removed, and rows."""

    lake: Path | str
    rewritten: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def files_written(self) -> int:
        return sum(self.rewritten.values())


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_local_manifest(lake: Path) -> dict[str, Any] | None:
    p = lake / MANIFEST
    if not p.exists():
        return None
    try:
        data: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LakeError(
            f"lake manifest {p} cannot be read ({exc})",
            "restore it, or export again into an empty folder",
        ) from None
    _check_version(data, str(lake))
    return data


def _check_version(manifest: dict[str, Any], where: str) -> None:
    if manifest.get("format") != "ossmetrics-lake":
        raise LakeError(
            f"{where} has no ossmetrics lake manifest", "point --lake at a folder made by export"
        )
    sv = int(manifest.get("schema_version", 0))
    lf = int(manifest.get("lake_format", 0))
    if sv > CODE_VERSION or lf > LAKE_FORMAT:
        from ossmetrics.errors import LakeTooNew

        raise LakeTooNew(where, sv, CODE_VERSION, lf, LAKE_FORMAT)


def save_manifest(lake: Path, manifest: dict[str, Any]) -> None:
    """Replace the manifest atomically (a reader never sees half of one)."""
    tmp = lake / f".{MANIFEST}.{uuid.uuid4().hex[:8]}"
    tmp.write_text(manifest_json(manifest), encoding="utf-8")
    os.replace(tmp, lake / MANIFEST)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [str(r[0]) for r in rows]


def _summaries(
    con: duckdb.DuckDBPyConnection, spec: TableSpec, buckets: int
) -> dict[str, tuple[int, str]]:
    expr = partition_expr(spec, buckets)
    rows = con.execute(
        f"SELECT {expr} AS p, count(*), CAST(sum(hash(t)) AS VARCHAR) "
        f'FROM "{spec.name}" t GROUP BY p'
    ).fetchall()
    return {str(p): (int(n), f"{n}:{d}") for p, n, d in rows}


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class _Local:
    """A lake folder: files are moved in from a staging folder on the same file system."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.staging = root / f".staging-{uuid.uuid4().hex[:8]}"

    def load_manifest(self) -> dict[str, Any] | None:
        return load_local_manifest(self.root)

    def place(self, src: Path, rel: str) -> None:
        (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, self.root / rel)

    def flush(self) -> None:
        pass

    def save(self, manifest: dict[str, Any]) -> None:
        save_manifest(self.root, manifest)

    def remove(self, rels: list[str]) -> None:
        for rel in rels:
            p = self.root / rel
            p.unlink(missing_ok=True)
            if p.parent != self.root and p.parent.exists() and not any(p.parent.iterdir()):
                p.parent.rmdir()

    def sweep(self, tables: list[str], listed: set[str]) -> list[str]:
        return []  # a folder keeps no leftovers: staging is removed, files moved in by rename


class _Bucket:
    """A lake on an object store: files staged locally, uploaded, the manifest PUT last."""

    def __init__(self, remote: Remote) -> None:
        self.remote = remote
        remote.check_bucket()
        self.staging = Path(tempfile.mkdtemp(prefix="ossmetrics-export-"))
        self.pending: list[tuple[Path, str]] = []

    def load_manifest(self) -> dict[str, Any] | None:
        text = self.remote.read_text(MANIFEST)
        if text is None:
            return None
        return parse_manifest(text, self.remote.url)

    def place(self, src: Path, rel: str) -> None:
        self.pending.append((src, rel))

    def flush(self) -> None:
        """Upload a table's new files together (concurrent PUTs), before the manifest."""
        if not self.pending:
            return
        self.remote.put_files(self.pending)
        for src, _ in self.pending:
            src.unlink()
        self.pending = []

    def save(self, manifest: dict[str, Any]) -> None:
        self.remote.put_text(MANIFEST, manifest_json(manifest))

    def remove(self, rels: list[str]) -> None:
        self.remote.remove(rels)

    def sweep(self, tables: list[str], listed: set[str]) -> list[str]:
        """Data files a crashed export uploaded but never listed (readers never see them)."""
        stale: list[str] = []
        for t in tables:
            stale += [
                r for r in self.remote.list_files(t) if r.endswith(".parquet") and r not in listed
            ]
        self.remote.remove(stale)
        return stale


def parse_manifest(text: str, where: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(text)
    except ValueError:
        raise LakeError(
            f"the manifest of lake {where} is not valid JSON", "restore it or export the lake again"
        ) from None
    _check_version(data, where)
    return data


def export_lake(
    con: duckdb.DuckDBPyConnection,
    lake: str | os.PathLike[str],
    *,
    buckets: int | None = None,
    tables: list[str] | None = None,
) -> ExportResult:
    """Write every store table (or ``tables``) into the lake at ``lake``: a local folder, or an
    object-store prefix such as ``s3://BUCKET/PREFIX`` (credentials from the environment)."""
    t0 = time.perf_counter()
    target: _Local | _Bucket
    if is_remote(str(lake)):
        target = _Bucket(open_remote(str(lake), writing=True))
        where: Path | str = target.remote.url
    else:
        target = _Local(Path(lake))
        where = Path(lake)
    try:
        manifest = target.load_manifest()
        if manifest is None:
            manifest = empty_manifest(schema_version(con), buckets or DEFAULT_BUCKETS)
        elif buckets is not None and buckets != manifest["buckets"]:
            raise LakeError(
                f"lake {where} has {manifest['buckets']} buckets, not {buckets}",
                "leave out --buckets, or export into an empty folder",
            )
        n_buckets = int(manifest["buckets"])
        manifest["schema_version"] = schema_version(con)
        result = ExportResult(where)
        obsolete: list[str] = []
        done: list[str] = []
        for spec in TABLES:
            if tables is not None and spec.name not in tables:
                continue
            _export_table(con, target, spec, n_buckets, manifest, result, obsolete)
            target.flush()
            done.append(spec.name)
        target.save(manifest)  # last: until now readers see the previous lake whole
    finally:
        shutil.rmtree(target.staging, ignore_errors=True)
    listed = {
        f["path"]
        for t in manifest["tables"].values()
        for p in t.get("partitions", {}).values()
        for f in p["files"]
    }
    target.remove(sorted(set(obsolete) - listed))
    target.sweep(done, listed)
    result.seconds = time.perf_counter() - t0
    return result


def _export_table(
    con: duckdb.DuckDBPyConnection,
    target: _Local | _Bucket,
    spec: TableSpec,
    buckets: int,
    manifest: dict[str, Any],
    result: ExportResult,
    obsolete: list[str],
) -> None:
    cols = _columns(con, spec.name)
    if not cols:
        return
    entry: dict[str, Any] = manifest["tables"].setdefault(
        spec.name, {"key": spec.key, "partitions": {}}
    )
    entry["key"] = spec.key
    entry["columns"] = cols
    have: dict[str, Any] = entry["partitions"]
    now = _summaries(con, spec, buckets)
    changed = sorted(p for p, (_, d) in now.items() if have.get(p, {}).get("digest") != d)
    gone = sorted(set(have) - set(now))
    for p in gone:
        obsolete.extend(f["path"] for f in have.pop(p)["files"])
    result.removed[spec.name] = len(gone)
    result.unchanged[spec.name] = len(now) - len(changed)
    result.rewritten[spec.name] = len(changed)
    result.rows[spec.name] = sum(n for n, _ in now.values())
    entry["rows"] = result.rows[spec.name]
    if not changed:
        return
    expr = partition_expr(spec, buckets)
    select = ", ".join(f'"{c}"' for c in cols)
    tmp = target.staging / spec.name
    tmp.mkdir(parents=True)
    if spec.key is None:
        con.execute(
            f'COPY (SELECT {select} FROM "{spec.name}" ORDER BY {spec.order}) '
            f"TO {_quote(tmp / 'data_0.parquet')} (FORMAT parquet, COMPRESSION zstd)"
        )
    else:
        placeholders = ", ".join("?" for _ in changed)
        # One pass over the table writes every changed partition (PARTITION_BY leaves the key
        # out of the file: it lives in the folder name, as Hive readers expect).
        con.execute(
            f'COPY (SELECT {select}, {expr} AS "{spec.key}" FROM "{spec.name}" t '
            f"WHERE {expr} IN ({placeholders}) ORDER BY {spec.order}) "
            f'TO {_quote(tmp)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY ("{spec.key}"))',
            changed,
        )
    for p in changed:
        folder = tmp if spec.key is None else tmp / f"{spec.key}={p}"
        src_files = sorted(folder.glob("*.parquet"))
        rel_dir = spec.name if spec.key is None else f"{spec.name}/{spec.key}={p}"
        files = []
        for i, src in enumerate(src_files):
            sha = file_sha256(src)
            rel = f"{rel_dir}/part-{sha[:12]}-{i}.parquet"
            rows = con.execute(
                f"SELECT num_rows FROM parquet_file_metadata({_quote(src)})"
            ).fetchone()
            target.place(src, rel)
            files.append({"path": rel, "rows": int(rows[0]) if rows else 0, "sha256": sha})
        old = have.get(p, {}).get("files", [])
        keep = {f["path"] for f in files}
        obsolete.extend(f["path"] for f in old if f["path"] not in keep)
        have[p] = {"digest": now[p][1], "rows": now[p][0], "files": files}

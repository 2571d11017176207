"""``fund ingest``: SBOMs and purl lists into the store, all or nothing.

Every file is read and checked before anything is written, then one transaction replaces the
documents of the same path (or the same content) and inserts the rest, so a malformed file
among many leaves the store as it was, and ingesting the same file twice changes nothing.
Rows go in as DataFrames (one INSERT per table), never row by row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ossmetrics.errors import SbomError
from ossmetrics.fund.links import save_links, sbom_and_module_links
from ossmetrics.fund.sbom import Document, read_document
from ossmetrics.store import transaction

__all__ = ["IngestResult", "expand_paths", "ingest"]

_SUFFIXES = {".json", ".txt", ".purl", ".purls", ".cdx", ".spdx", ".sbom"}


@dataclass
class IngestResult:
    documents: int = 0
    components: int = 0
    edges: int = 0
    flat: int = 0
    skipped_components: int = 0
    replaced: int = 0
    repos: list[str] = field(default_factory=list)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, folders expanded to their SBOM-looking files (sorted, hidden ones skipped)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and f.suffix.lower() in _SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        elif p.exists():
            out.append(p)
        else:
            raise SbomError(str(p), "does not exist", "check the path")
    if not out:
        raise SbomError(", ".join(map(str, paths)) or "(none)", "no SBOM or purl list found")
    return out


def ingest(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | Path],
    *,
    org_repo: str | None = None,
) -> IngestResult:
    """Read every file, then store them in one transaction; return what was stored."""
    files = expand_paths(paths)
    docs: list[tuple[Document, str]] = []
    digests: set[str] = set()
    for f in files:
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        doc = read_document(f, org_repo=org_repo)
        if digest not in digests:  # the same content under two names is one document
            digests.add(digest)
            docs.append((doc, digest))
    now = datetime.now(UTC)
    res = IngestResult()
    comp_rows: list[tuple[object, ...]] = []
    edge_rows: list[tuple[object, ...]] = []
    with transaction(con):
        paths = [str(Path(d.path).resolve()) for d, _ in docs]
        old = [
            r[0]
            for r in con.execute(
                "SELECT doc_id FROM fund_documents WHERE list_contains(?, path) OR list_contains(?, sha256)",
                [paths, [h for _, h in docs]],
            ).fetchall()
        ]
        if old:  # earlier versions of these files (same path or same content) are replaced
            res.replaced = len(old)
            for table in ("fund_components", "fund_edges", "fund_documents"):
                con.execute(f"DELETE FROM {table} WHERE list_contains(?, doc_id)", [old])
        for (doc, digest), path in zip(docs, paths, strict=True):
            row = con.execute(
                "INSERT INTO fund_documents (path, sha256, format, spec_version, org_repo, flat, "
                "components, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING doc_id",
                [
                    path,
                    digest,
                    doc.format,
                    doc.spec_version,
                    doc.org_repo,
                    doc.flat,
                    len(doc.components),
                    now,
                ],
            ).fetchone()
            assert row is not None
            doc_id = int(row[0])
            for c in doc.components:
                p = c.purl
                comp_rows.append(
                    (
                        doc_id,
                        c.ref,
                        p.package,
                        p.purl,
                        p.ecosystem,
                        p.name,
                        p.version,
                        c.scope,
                        c.weight,
                    )
                )
            seen: set[tuple[str | None, str, str]] = set()
            for e in doc.edges:
                if e not in seen:
                    seen.add(e)
                    edge_rows.append((doc_id, *e))
            res.documents += 1
            res.components += len(doc.components)
            res.edges += len(seen)
            res.flat += int(doc.flat)
            res.skipped_components += doc.skipped
            if doc.org_repo:
                res.repos.append(doc.org_repo)
        comps = pd.DataFrame(
            comp_rows,
            columns=[
                "doc_id",
                "ref",
                "package",
                "purl",
                "ecosystem",
                "name",
                "version",
                "scope",
                "weight",
            ],
        ).astype({"weight": "float64"})
        edges = pd.DataFrame(edge_rows, columns=["doc_id", "parent", "child", "kind"])
        con.register("_fund_comps", comps)
        con.register("_fund_edges", edges)
        try:
            con.execute("INSERT INTO fund_components SELECT * FROM _fund_comps")
            con.execute("INSERT INTO fund_edges SELECT * FROM _fund_edges")
        finally:
            con.unregister("_fund_comps")
            con.unregister("_fund_edges")
        save_links(con, sbom_and_module_links([d for d, _ in docs]), now)
    res.repos = sorted(set(res.repos))
    return res

"""The corpus manifest: which public repositories a training corpus is built from.

Why a module of its own: the manifest (CSV: ``repo``, ``ecosystem``, ``why``, optional
``source``, ``commit``, ``family``, ``expected_fate``) is read by the build, checked by the
tests of the committed ``corpus/manifest.csv`` and pinned by the build afterwards (each built
repository's HEAD written into its empty ``commit`` cell); none of that needs git or a store.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from ossmetrics.errors import UsageError
from ossmetrics.store.repos import validate_repo_name

__all__ = ["ManifestRow", "fill_commits", "read_manifest", "reserved"]


@dataclass(frozen=True)
class ManifestRow:
    repo: str
    ecosystem: str
    why: str = ""
    source: str = ""
    commit: str = ""
    family: str = ""
    expected_fate: str = ""


def reserved(repo: str) -> bool:
    """Apache Software Foundation repositories are kept for independent validation."""
    return repo.lower().startswith("apache/")


def read_manifest(path: str | os.PathLike[str]) -> list[ManifestRow]:
    """Rows of a manifest CSV; refuses a file without ``repo``/``ecosystem`` or with duplicates."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"manifest {p} not found", "give a CSV with columns repo,ecosystem,why")
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        cols = set(reader.fieldnames or [])
        if not {"repo", "ecosystem"} <= cols:
            raise UsageError(
                f"manifest {p} has no 'repo' and 'ecosystem' columns",
                "the first line must name the columns, e.g. repo,ecosystem,why,commit",
            )
        rows: list[ManifestRow] = []
        seen: dict[str, int] = {}
        for n, rec in enumerate(reader, start=2):
            name = (rec.get("repo") or "").strip()
            if not name:
                continue
            try:
                name = validate_repo_name(name)
            except UsageError as exc:
                raise UsageError(f"manifest {p} line {n}: {exc.message}", exc.hint) from None
            if name.lower() in seen:
                raise UsageError(
                    f"manifest {p} names {name} twice (lines {seen[name.lower()]} and {n})",
                    "keep one row per repository",
                )
            seen[name.lower()] = n
            rows.append(
                ManifestRow(
                    repo=name,
                    ecosystem=(rec.get("ecosystem") or "").strip() or "unknown",
                    why=(rec.get("why") or "").strip(),
                    source=(rec.get("source") or "").strip(),
                    commit=(rec.get("commit") or "").strip(),
                    family=(rec.get("family") or "").strip(),
                    expected_fate=(rec.get("expected_fate") or "").strip(),
                )
            )
    if not rows:
        raise UsageError(f"manifest {p} names no repository", "add rows: owner/name,ecosystem,why")
    return rows


def fill_commits(manifest: str | os.PathLike[str], heads: dict[str, str]) -> int:
    """Write each built repository's HEAD into the manifest's empty ``commit`` cells."""
    p = Path(manifest)
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        recs = list(reader)
    if "commit" not in fields:
        fields.append("commit")
    n = 0
    for r in recs:
        head = heads.get((r.get("repo") or "").strip())
        if head and not (r.get("commit") or "").strip():
            r["commit"] = head
            n += 1
    tmp = p.with_name(p.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(recs)
    tmp.replace(p)
    return n

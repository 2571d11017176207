"""Which ecosystem each repository belongs to, and which repositories are reserved.

Why: the risk model is judged on ecosystems it never saw (leave-one-ecosystem-out), so every
snapshot needs an ecosystem. A corpus manifest states it (``repos.ecosystem``, filled by
``ossmetrics collect corpus`` when the corpus has an ``ecosystem`` column); otherwise it is
mapped from the primary language (``LANGUAGE_ECOSYSTEM``): the package world a project of that
language most likely ships to. Unknown languages fall in ``"other"``.

Projects of the Apache Software Foundation (every ``apache/*`` repository) are reserved for
independent validation: ``is_reserved`` says so, and no training, tuning or selection step may
see them (``evaluate`` and ``train_from_store`` drop them from every training side and assert it).
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import numpy as np

__all__ = [
    "LANGUAGE_ECOSYSTEM",
    "canonical_ecosystem",
    "ecosystem_of_language",
    "is_reserved",
    "repo_ecosystems",
    "reserved_mask",
]

#: Primary language -> ecosystem (7 ecosystems). Keys are lower-case.
LANGUAGE_ECOSYSTEM: dict[str, str] = {
    "python": "PyPI",
    "javascript": "npm",
    "typescript": "npm",
    "coffeescript": "npm",
    "rust": "crates",
    "go": "Go",
    "ruby": "gems",
    "java": "JVM",
    "kotlin": "JVM",
    "scala": "JVM",
    "groovy": "JVM",
    "clojure": "JVM",
    "c": "systems",
    "c++": "systems",
    "objective-c": "systems",
    "assembly": "systems",
}

OTHER = "other"

#: Other spellings a corpus manifest may use, lower-case -> the names above.
ALIASES: dict[str, str] = {
    "pypi": "PyPI",
    "python": "PyPI",
    "npm": "npm",
    "crates": "crates",
    "crates.io": "crates",
    "cargo": "crates",
    "go": "Go",
    "golang": "Go",
    "gems": "gems",
    "rubygems": "gems",
    "jvm": "JVM",
    "maven": "JVM",
    "systems": "systems",
    "c-cpp": "systems",
    "c/c++": "systems",
}


def canonical_ecosystem(name: str) -> str:
    """A manifest's ecosystem name in this module's spelling (unknown names kept as given)."""
    return ALIASES.get(name.strip().lower(), name.strip())


def ecosystem_of_language(language: str | None) -> str:
    """``LANGUAGE_ECOSYSTEM`` of ``language`` (case-insensitive), ``"other"`` if unknown."""
    if not language:
        return OTHER
    return LANGUAGE_ECOSYSTEM.get(language.strip().lower(), OTHER)


def is_reserved(repo: str) -> bool:
    """True for ``apache/*`` repositories (independent validation only, never trained on)."""
    return repo.strip().lower().startswith("apache/")


def reserved_mask(repos: Iterable[str]) -> np.ndarray:
    """``is_reserved`` of each name, as a boolean array."""
    return np.array([is_reserved(r) for r in repos], dtype=bool)


def repo_ecosystems(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """repo_id -> ecosystem: the stored ``repos.ecosystem`` where set, else from the language."""
    has_col = con.execute(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'repos' AND column_name = 'ecosystem'"
    ).fetchone()
    col = "ecosystem" if has_col and has_col[0] else "NULL::VARCHAR"
    rows = con.execute(f"SELECT repo_id, {col}, language FROM repos").fetchall()
    return {
        int(rid): (canonical_ecosystem(str(eco)) if eco else ecosystem_of_language(lang))
        for rid, eco, lang in rows
    }

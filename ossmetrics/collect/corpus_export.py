"""Write a corpus build's store as pseudonymised Parquet, in the shared corpus's format.

Why a separate step: collection keeps raw names and emails in the build store (the identity
merge needs them); what leaves the build folder must not. Every person-identifying value is
replaced here by ``sha256(salt + value)`` cut to 16 hex digits, one salt for the whole corpus,
so a person who commits to several repositories has the same pseudonym in all of them.

Columns follow ``../shared/corpus/README.md`` so the corpus loader (``collect.corpus``) and
every consumer of the shared corpus read a build unchanged; ``ecosystem`` is added to
``repos`` and ``commits``. Differences, all documented in docs/corpus.md:

- ``author_mailmap_id`` is the pseudonym of the *person's* primary email after the store's
  identity merge (the repository's ``.mailmap`` plus the collector's name/email rules, across
  all repositories), hashed like ``author_id``: a stronger merge than the mailmap alone, under
  the same column name, so the corpus loader makes one person of it.
- ``author_name_id`` hashes the name lowercased with whitespace collapsed (DuckDB ``lower``,
  close to but not exactly Python's ``casefold``).
- ``diff_fallback`` is NULL: the collector does not record which commits lost a blob.
- ``status_events.parquet`` is new: README notices over time (``collect.readme_status``).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

__all__ = ["export_corpus"]

_FATE_TO_CATEGORY = (
    "CASE m.expected_fate WHEN 'thriving' THEN 'thriving' "
    "WHEN 'dormant' THEN 'unmaintained' WHEN 'archived' THEN 'unmaintained' "
    "WHEN '' THEN NULL WHEN NULL THEN NULL ELSE 'in_between' END"
)

_COMMITS = """
SELECT m.repo, c.sha, c.n_parents::TINYINT AS n_parents,
       _pz(lower(trim(ai.email))) AS author_id,
       _pz(lower(regexp_replace(trim(ai.name), '\\s+', ' ', 'g'))) AS author_name_id,
       _pz(coalesce(lower(trim(ap.primary_email)), lower(trim(ai.email))))
           AS author_mailmap_id,
       c.author_tz_offset_min::SMALLINT AS author_tz_offset_min, c.authored_at,
       _pz(lower(trim(ci.email))) AS committer_id,
       _pz(lower(regexp_replace(trim(ci.name), '\\s+', ' ', 'g'))) AS committer_name_id,
       c.committer_tz_offset_min::SMALLINT AS committer_tz_offset_min, c.committed_at,
       coalesce(ai.is_bot OR coalesce(ap.is_bot, false), false) AS is_bot_like,
       coalesce(ci.is_bot OR coalesce(cp.is_bot, false), false) AS committer_is_bot_like,
       coalesce(c.files_changed, 0)::INTEGER AS n_files,
       coalesce(c.lines_added, 0)::BIGINT AS lines_added,
       coalesce(c.lines_deleted, 0)::BIGINT AS lines_deleted,
       NULL::BOOLEAN AS diff_fallback, m.ecosystem
FROM commits c
JOIN _ids m ON m.repo_id = c.repo_id
LEFT JOIN identities ai ON ai.identity_id = c.author_identity
LEFT JOIN people ap ON ap.person_id = ai.person_id
LEFT JOIN identities ci ON ci.identity_id = c.committer_identity
LEFT JOIN people cp ON cp.person_id = ci.person_id
ORDER BY m.repo, c.committed_at, c.sha
"""

_FILES = """
SELECT m.repo, f.sha, f.path, f.old_path, f.added::INTEGER AS added, f.deleted::INTEGER AS deleted
FROM commit_files f
JOIN _ids m ON m.repo_id = f.repo_id
JOIN commits c ON c.repo_id = f.repo_id AND c.sha = f.sha
ORDER BY m.repo, c.committed_at, f.sha, f.path
"""

_REPOS = f"""
SELECT m.repo, m.ecosystem, r.default_branch, m.head_sha,
       count(c.sha)::INTEGER AS n_commits,
       count(DISTINCT lower(trim(ai.email)))::INTEGER AS n_authors,
       min(c.committed_at) AS first_commit_at, max(c.committed_at) AS last_commit_at,
       {_FATE_TO_CATEGORY} AS category, m.why AS category_reason,
       NULL::VARCHAR AS primary_language, m.snapshot_mb::FLOAT AS snapshot_mb,
       m.family, m.expected_fate, m.build_seconds::FLOAT AS build_seconds
FROM _ids m JOIN repos r ON r.repo_id = m.repo_id
LEFT JOIN commits c ON c.repo_id = m.repo_id
LEFT JOIN identities ai ON ai.identity_id = c.author_identity
GROUP BY ALL ORDER BY m.ecosystem, m.repo
"""

_EVENTS = """
SELECT e.repo, e."at", e.kind, e.evidence, e.sha, m.ecosystem
FROM corpus_status_events e JOIN _ids m ON m.repo = e.repo
ORDER BY e.repo, e."at", e.kind
"""


def _copy(con: duckdb.DuckDBPyConnection, sql: str, dest: Path) -> int:
    """COPY ``sql`` to ``dest`` through a temporary name; return its row count."""
    tmp = dest.with_name(dest.name + ".tmp")
    q = str(tmp).replace("'", "''")
    con.execute(f"COPY ({sql}) TO '{q}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)")
    n = con.execute(f"SELECT count(*) FROM read_parquet('{q}')").fetchone()
    os.replace(tmp, dest)
    return int(n[0]) if n else 0


def export_corpus(con: duckdb.DuckDBPyConnection, out: Path, salt: str) -> dict[str, int]:
    """Write repos/commits/commit_files/status_events.parquet into ``out``; row counts back."""
    con.execute("SET enable_progress_bar = false")  # a log file is no terminal
    lit = salt.replace("'", "''")
    con.execute(
        f"CREATE OR REPLACE TEMP MACRO _pz(x) AS "
        f"CASE WHEN x IS NULL OR x = '' THEN NULL ELSE substr(sha256('{lit}' || x), 1, 16) END"
    )
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _ids AS
        SELECT m.*, r.repo_id FROM corpus_manifest m
        JOIN repos r ON lower(r.full_name) = lower(m.repo)""")
    counts = {
        "repos": _copy(con, _REPOS, out / "repos.parquet"),
        "commits": _copy(con, _COMMITS, out / "commits.parquet"),
        "commit_files": _copy(con, _FILES, out / "commit_files.parquet"),
        "status_events": _copy(con, _EVENTS, out / "status_events.parquet"),
    }
    con.execute("DROP MACRO IF EXISTS _pz")
    con.execute("DROP TABLE IF EXISTS _ids")
    return counts

"""Load the shared pseudonymised corpus (Parquet) into the store.

The corpus (a folder of ``repos``/``commits``/``commit_files`` Parquet files, distributed beside
the project, not inside the package; see its README) holds git metadata of 130 public
repositories with identities replaced by pseudonyms. Loading it gives the metrics, graph and risk stages real
history to benchmark and train on, through the very tables the git collector fills.

Identity mapping: one identity per ``author_mailmap_id`` (the email after the repository's own
.mailmap), keyed ``corpus:<pseudonym>``; each identity is its own person (the corpus cannot be
merged further without raw names). ``is_bot_like`` flags bots. Pseudonyms are comparable across
repositories, so a person active in several projects is one person here too.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import duckdb

from ossmetrics.collect.corpus_status import load_corpus_status
from ossmetrics.errors import UsageError
from ossmetrics.store import transaction

__all__ = ["default_corpus_dir", "load_corpus"]


def default_corpus_dir() -> Path:
    """``$OSSMETRICS_CORPUS``; there is no default folder (an installed package has no place
    the corpus could be assumed to be), so without it this raises a one-line ``UsageError``."""
    env = os.environ.get("OSSMETRICS_CORPUS")
    if env:
        return Path(env)
    raise UsageError(
        "no corpus folder given",
        "pass the folder holding repos/commits/commit_files.parquet as PATH, "
        "or set OSSMETRICS_CORPUS",
    )


def load_corpus(
    con: duckdb.DuckDBPyConnection,
    corpus_dir: str | os.PathLike[str] | None = None,
    repos: Sequence[str] | None = None,
) -> int:
    """Insert (or replace) the corpus repositories ``repos`` (all if None); return how many."""
    d = Path(corpus_dir) if corpus_dir else default_corpus_dir()
    files = {t: d / f"{t}.parquet" for t in ("repos", "commits", "commit_files")}
    missing = [str(p) for p in files.values() if not p.exists()]
    if missing:
        raise UsageError(
            f"corpus file {missing[0]} not found",
            "give the folder holding repos/commits/commit_files.parquet "
            "(as the argument, or in OSSMETRICS_CORPUS)",
        )
    f = {k: str(v).replace("'", "''") for k, v in files.items()}
    names = list(repos) if repos else None
    with transaction(con):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _c_repos AS SELECT * FROM read_parquet('{f['repos']}') WHERE $names::VARCHAR[] IS NULL OR list_contains($names::VARCHAR[], repo)",
            {"names": names},
        )
        n = con.execute("SELECT count(*) FROM _c_repos").fetchone()
        if not n or not n[0]:
            raise UsageError(
                "no corpus repository matched", "check the names against the corpus README"
            )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _c_commits AS SELECT c.* FROM read_parquet('{f['commits']}') c SEMI JOIN _c_repos r ON c.repo = r.repo"
        )
        con.execute("""
            INSERT INTO repos (full_name, platform, owner, name, default_branch, language, url)
            SELECT repo, 'github', split_part(repo, '/', 1), split_part(repo, '/', 2), default_branch, primary_language,
                   'https://github.com/' || repo
            FROM _c_repos r WHERE NOT EXISTS (SELECT 1 FROM repos x WHERE x.full_name = r.repo)
            ORDER BY repo""")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _c_ids AS SELECT repo_id, full_name FROM repos WHERE full_name IN (SELECT repo FROM _c_repos)"
        )
        # identities: authors by mailmap pseudonym, committers by committer pseudonym. Repositories
        # and identities are numbered in name/key order: a hash GROUP BY hands rows over in no
        # fixed order, and the truck factor breaks ties by person id, so unordered ids made two
        # loads of one corpus train different models.
        con.execute("""
            INSERT INTO identities (identity_key, source, email, is_bot, first_seen_at)
            SELECT 'corpus:' || k, 'corpus', k || '@corpus.invalid', bool_or(bot), min(ts) FROM (
                SELECT author_mailmap_id AS k, is_bot_like AS bot, authored_at AS ts FROM _c_commits WHERE author_mailmap_id IS NOT NULL
                UNION ALL
                SELECT committer_id, committer_is_bot_like, committed_at FROM _c_commits WHERE committer_id IS NOT NULL)
            GROUP BY k
            HAVING NOT EXISTS (SELECT 1 FROM identities i WHERE i.identity_key = 'corpus:' || k)
            ORDER BY k""")
        con.execute(
            "UPDATE identities SET person_id = identity_id WHERE person_id IS NULL AND source = 'corpus'"
        )
        con.execute("""
            INSERT INTO people (person_id, display_name, primary_email, is_bot)
            SELECT identity_id, substr(identity_key, 8, 8), email, is_bot FROM identities i
            WHERE source = 'corpus' AND NOT EXISTS (SELECT 1 FROM people p WHERE p.person_id = i.person_id)""")
        con.execute("DELETE FROM commit_files WHERE repo_id IN (SELECT repo_id FROM _c_ids)")
        con.execute("DELETE FROM commits WHERE repo_id IN (SELECT repo_id FROM _c_ids)")
        con.execute("""
            INSERT INTO commits (repo_id, sha, author_identity, committer_identity, authored_at, author_tz_offset_min,
                                 committed_at, committer_tz_offset_min, parents, n_parents, files_changed,
                                 lines_added, lines_deleted, message_len)
            SELECT r.repo_id, c.sha, a.identity_id, m.identity_id, c.authored_at, c.author_tz_offset_min,
                   c.committed_at, c.committer_tz_offset_min, NULL, c.n_parents, c.n_files,
                   c.lines_added, c.lines_deleted, NULL
            FROM _c_commits c JOIN _c_ids r ON r.full_name = c.repo
            LEFT JOIN identities a ON a.identity_key = 'corpus:' || c.author_mailmap_id
            LEFT JOIN identities m ON m.identity_key = 'corpus:' || c.committer_id""")
        con.execute(f"""
            INSERT INTO commit_files (repo_id, sha, path, old_path, added, deleted)
            SELECT r.repo_id, f.sha, f.path, f.old_path, f.added, f.deleted
            FROM read_parquet('{f["commit_files"]}') f JOIN _c_ids r ON r.full_name = f.repo""")
        con.execute("""
            INSERT OR REPLACE INTO sync_state (repo_id, source, endpoint, cursor, last_success_at, updated_at)
            SELECT repo_id, 'corpus', 'HEAD', NULL, now(), now() FROM _c_ids""")
        count = con.execute("SELECT count(*) FROM _c_ids").fetchone()
        load_corpus_status(con, d)  # ecosystem column, status_events.parquet (issue 19)
        con.execute("DROP TABLE _c_commits")
        con.execute("DROP TABLE _c_ids")
        con.execute("DROP TABLE _c_repos")
    return int(count[0]) if count else 0

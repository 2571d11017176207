"""Hour files -> staged Parquet in the lake -> the lake's GitHub tables.

Each hour file is parsed into its own staging folder ``DIR/_gharchive/hour=YYYY-MM-DD-H/``
(one Parquet file per table), written under a temporary name and renamed into place, so
re-running an hour replaces exactly that hour: backfill is idempotent per hour file. The
manifest's ``gharchive`` section records each hour's status (``complete``, or ``incomplete``
with the reason: retried on the next run), its event counts and when it was read.

Forks: one row per fork (``forks`` table, migration 0120), its first-seen date kept.

Folding turns the staged event snapshots of *all* hours into table rows and merges them with
what the lake already holds (rows collected from the REST API included): per natural key the
most recently updated snapshot wins, except that a merge date or a creation date once known is
never erased by a later, thinner snapshot (the trimmed 2025 payloads carry neither). The merged
tables are written back through the lake's incremental export, so only the months that changed
are rewritten.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ossmetrics.gharchive.parse import (
    COMMENT_COLS,
    FORK_COLS,
    ISSUE_COLS,
    RELEASE_COLS,
    STAR_COLS,
    HourResult,
)

__all__ = ["STAGING", "fold_into_lake", "hour_key", "write_hour"]

STAGING = "_gharchive"
_TABLES: dict[str, tuple[str, ...]] = {
    "issues": ISSUE_COLS,
    "comments": COMMENT_COLS,
    "stargazers": STAR_COLS,
    "releases": RELEASE_COLS,
    "forks": FORK_COLS,
}
_LIST_COLS = {"labels"}
_INT_COLS = {"number", "issue_number", "comments", "body_len"}
_BIG_COLS = {"github_id", "comment_id"}
_BOOL_COLS = {"is_pull", "draft", "locked", "prerelease"}


def hour_key(source: str) -> str:
    """'2015-01-01-12' for .../2015-01-01-12.json.gz (path or URL)."""
    name = source.rstrip("/").rsplit("/", 1)[-1]
    for suffix in (".json.gz", ".gz", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _arrow_type(col: str) -> pa.DataType:
    if col in _LIST_COLS:
        return pa.list_(pa.string())
    if col in _INT_COLS:
        return pa.int32()
    if col in _BIG_COLS:
        return pa.int64()
    if col in _BOOL_COLS:
        return pa.bool_()
    return pa.string()


def write_hour(lake: Path, key: str, result: HourResult) -> None:
    """Stage one hour's rows (replacing an earlier run of the same hour atomically)."""
    final = lake / STAGING / f"hour={key}"
    tmp = lake / STAGING / f".hour={key}.{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    for table, cols in _TABLES.items():
        rows: list[tuple[Any, ...]] = getattr(result, table)
        schema = pa.schema([(c, _arrow_type(c)) for c in cols])
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in cols]
        arrays = [pa.array(list(v), type=schema.field(i).type) for i, v in enumerate(columns)]
        pq.write_table(pa.Table.from_arrays(arrays, schema=schema), tmp / f"{table}.parquet")
    if final.exists():
        old = final.with_name(f".old-{final.name}.{uuid.uuid4().hex[:8]}")
        os.replace(final, old)
        os.replace(tmp, final)
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
    else:
        os.replace(tmp, final)


def _staged(lake: Path, table: str, hours: list[str]) -> str:
    files = [str(lake / STAGING / f"hour={h}" / f"{table}.parquet") for h in hours]
    files = [f for f in files if os.path.exists(f)]
    if not files:
        cols = ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in _TABLES[table])
        return f"(SELECT {cols} WHERE false)"
    listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    # by name: hours staged by an older version may lack a column added since (forks.github_id)
    return f"read_parquet([{listing}], union_by_name = true)"


def _replace(con: Any, table: str, select: str) -> None:
    """Make ``table`` (a view over the lake or a table) a table holding ``select``'s rows,
    with the store's column types and order."""
    cols = [
        str(r[0])
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = 'main' AND table_catalog = current_database() "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
    ]
    names = ", ".join(f'"{c}"' for c in cols)
    # the rows first: ``select`` may read the very view being replaced
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{table}__rows" AS {select}')
    con.execute(f'CREATE TABLE "{table}__typed" AS SELECT {names} FROM "{table}" LIMIT 0')
    kind = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal", [table]
    ).fetchone()
    con.execute(f'DROP {"VIEW" if kind and kind[0] else "TABLE"} "{table}"')
    con.execute(f'ALTER TABLE "{table}__typed" RENAME TO "{table}"')
    con.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{table}__rows"')
    con.execute(f'DROP TABLE "{table}__rows"')


def fold_into_lake(lake: Path, hours: list[str], *, all_repos: bool) -> dict[str, int]:
    """Merge the staged rows of ``hours`` into the lake's tables; returns rows per table."""
    from ossmetrics.lake import export_lake, open_lake

    lk = open_lake(str(lake))
    con = lk.con
    try:
        if all_repos:
            con.execute(
                f"""CREATE TEMP TABLE new_repos AS
                SELECT DISTINCT repo_name FROM (
                    SELECT repo_name FROM {_staged(lake, "issues", hours)} UNION ALL
                    SELECT repo_name FROM {_staged(lake, "comments", hours)} UNION ALL
                    SELECT repo_name FROM {_staged(lake, "stargazers", hours)} UNION ALL
                    SELECT repo_name FROM {_staged(lake, "releases", hours)} UNION ALL
                    SELECT repo_name FROM {_staged(lake, "forks", hours)}) s
                WHERE repo_name IS NOT NULL AND lower(repo_name) NOT IN
                      (SELECT lower(full_name) FROM repos)"""
            )
            con.execute("CREATE TABLE repos_new AS FROM repos")
            con.execute(
                """INSERT INTO repos_new (repo_id, full_name, owner, name, platform)
                SELECT (SELECT coalesce(max(repo_id), 0) FROM repos)
                       + row_number() OVER (ORDER BY repo_name),
                       repo_name, split_part(repo_name, '/', 1), split_part(repo_name, '/', 2),
                       'github'
                FROM new_repos"""
            )
            _replace(con, "repos", "SELECT * FROM repos_new")
        con.execute("CREATE TEMP TABLE ids AS SELECT lower(full_name) AS name, repo_id FROM repos")
        merged: dict[str, str] = {
            "issues": f"""
                WITH ev AS (
                    SELECT ids.repo_id, CAST(s.number AS INTEGER) AS number,
                           bool_or(s.is_pull) OVER w AS is_pull_any,
                           s.*, CAST(s.created_at AS TIMESTAMPTZ) AS c_at,
                           CAST(s.updated_at AS TIMESTAMPTZ) AS u_at,
                           CAST(s.closed_at AS TIMESTAMPTZ) AS cl_at,
                           CAST(s.merged_at AS TIMESTAMPTZ) AS m_at
                    FROM {_staged(lake, "issues", hours)} s
                    JOIN ids ON ids.name = lower(s.repo_name)
                    WHERE s.number IS NOT NULL
                    WINDOW w AS (PARTITION BY ids.repo_id, s.number)
                ),
                snap AS (
                    SELECT repo_id, number, is_pull_any AS is_pull, github_id, NULL AS author_identity,
                           author_login, author_association, title, state, NULL AS state_reason,
                           draft, locked, labels, NULL AS assignees, comments,
                           c_at AS created_at, u_at AS updated_at, cl_at AS closed_at,
                           m_at AS merged_at, merged_by_login
                    FROM ev
                    UNION ALL BY NAME
                    SELECT * FROM issues
                ),
                ranked AS (
                    SELECT *, row_number() OVER (PARTITION BY repo_id, number
                               ORDER BY updated_at DESC NULLS LAST,
                                        (author_identity IS NOT NULL) DESC,
                                        closed_at DESC NULLS LAST, state) AS rk,
                           min(created_at) OVER k AS first_created,
                           max(merged_at) OVER k AS any_merged,
                           arg_min(author_login, coalesce(created_at, updated_at)) OVER k
                               AS first_author,
                           bool_or(is_pull) OVER k AS pull
                    FROM snap
                    WINDOW k AS (PARTITION BY repo_id, number)
                )
                SELECT * EXCLUDE (rk, first_created, any_merged, first_author, pull)
                         REPLACE (pull AS is_pull, first_created AS created_at,
                                  coalesce(merged_at, any_merged) AS merged_at,
                                  coalesce(author_login, first_author) AS author_login)
                FROM ranked WHERE rk = 1""",
            "comments": f"""
                WITH snap AS (
                    SELECT ids.repo_id, CAST(s.issue_number AS INTEGER) AS issue_number,
                           s.comment_id, s.kind, NULL AS author_identity, s.author_login,
                           s.author_association, s.review_state,
                           CAST(s.created_at AS TIMESTAMPTZ) AS created_at,
                           CAST(s.updated_at AS TIMESTAMPTZ) AS updated_at, s.body_len
                    FROM {_staged(lake, "comments", hours)} s
                    JOIN ids ON ids.name = lower(s.repo_name)
                    WHERE s.comment_id IS NOT NULL
                    UNION ALL BY NAME SELECT * FROM comments
                )
                SELECT * EXCLUDE (rk) FROM (
                    SELECT *, row_number() OVER (PARTITION BY repo_id, kind, comment_id
                        ORDER BY (author_identity IS NOT NULL) DESC,
                                 updated_at DESC NULLS LAST, created_at) AS rk
                    FROM snap) WHERE rk = 1""",
            "stargazers": f"""
                SELECT repo_id, login, min(starred_at) AS starred_at FROM (
                    SELECT ids.repo_id, s.login, CAST(s.starred_at AS TIMESTAMPTZ) AS starred_at
                    FROM {_staged(lake, "stargazers", hours)} s
                    JOIN ids ON ids.name = lower(s.repo_name)
                    WHERE s.login IS NOT NULL
                    UNION ALL SELECT repo_id, login, starred_at FROM stargazers
                ) GROUP BY repo_id, login""",
            "releases": f"""
                WITH snap AS (
                    SELECT ids.repo_id, s.tag, s.name, s.github_id, s.author_login,
                           CAST(s.created_at AS TIMESTAMPTZ) AS created_at,
                           CAST(s.published_at AS TIMESTAMPTZ) AS published_at,
                           s.prerelease, s.draft
                    FROM {_staged(lake, "releases", hours)} s
                    JOIN ids ON ids.name = lower(s.repo_name)
                    WHERE s.tag IS NOT NULL
                    UNION ALL BY NAME SELECT * FROM releases
                )
                SELECT * EXCLUDE (rk) FROM (
                    SELECT *, row_number() OVER (PARTITION BY repo_id, tag
                        ORDER BY published_at DESC NULLS LAST, github_id DESC NULLS LAST) AS rk
                    FROM snap) WHERE rk = 1""",
            # a fork keeps its first date and the latest-seen spelling, actor and id
            "forks": f"""
                SELECT repo_id, arg_max(forkee, seen) AS forkee,
                       arg_max(login, seen) AS login, max(github_id) AS github_id,
                       min(forked_at) AS forked_at
                FROM (
                    SELECT ids.repo_id, s.forkee, s.login, CAST(s.github_id AS BIGINT) AS github_id,
                           CAST(s.forked_at AS TIMESTAMPTZ) AS forked_at,
                           CAST(s.forked_at AS TIMESTAMPTZ) AS seen
                    FROM {_staged(lake, "forks", hours)} s
                    JOIN ids ON ids.name = lower(s.repo_name)
                    WHERE s.forkee IS NOT NULL
                    UNION ALL SELECT repo_id, forkee, login, github_id, forked_at,
                                     CAST('-infinity' AS TIMESTAMPTZ) FROM forks
                ) GROUP BY repo_id, lower(forkee)""",
        }
        counts: dict[str, int] = {}
        for table, sql in merged.items():
            con.execute(f"CREATE TEMP TABLE {table}_merged AS {sql}")
            _replace(con, table, f"SELECT * FROM {table}_merged")
            row = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            counts[table] = int(row[0]) if row else 0
        tables = list(merged) + (["repos"] if all_repos else [])
        export_lake(con, lake, tables=tables)
        return counts
    finally:
        lk.close()

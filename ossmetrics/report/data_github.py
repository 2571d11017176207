"""Responsiveness and releases, from the GitHub tables (issues, comments, releases).

A repository whose GitHub data was never collected must read as "not collected", never as
"zero issues": ``github_collected`` tells the two apart from ``sync_state`` and the rows.

First response: the earliest comment or review on an issue or pull request by someone other
than its author, bots excluded (people.is_bot through the identity, else a ``[bot]`` login).
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from ossmetrics.report.data import MONTHS_BEFORE_REF

__all__ = ["github_collected", "portfolio_github", "releases", "responsiveness", "waiting"]

_NOT_BOT_COMMENT = """
    NOT coalesce((SELECT bool_or(p.is_bot) FROM identities i JOIN people p USING (person_id)
                  WHERE i.identity_id = m.author_identity), false)
    AND coalesce(m.author_login, '') NOT LIKE '%[bot]'
"""

_FIRST_RESPONSE = f"""
    SELECT x.repo_id, x.number, x.is_pull, x.created_at, x.closed_at, x.merged_at,
           (SELECT min(m.created_at) FROM comments m
             WHERE m.repo_id = x.repo_id AND m.issue_number = x.number
               AND m.created_at >= x.created_at
               AND coalesce(m.author_login, '') <> coalesce(x.author_login, '-')
               AND {_NOT_BOT_COMMENT}) AS first_response_at
    FROM issues x WHERE list_contains($ids, x.repo_id)
"""


def github_collected(con: duckdb.DuckDBPyConnection, ids: list[int]) -> set[int]:
    """Repositories with any GitHub collection on record (a sync or at least one row)."""
    rows = con.execute(
        """SELECT repo_id FROM sync_state WHERE source = 'github' AND list_contains($ids, repo_id)
           UNION SELECT repo_id FROM issues WHERE list_contains($ids, repo_id)
           UNION SELECT repo_id FROM releases WHERE list_contains($ids, repo_id)""",
        {"ids": ids},
    ).fetchall()
    return {int(r[0]) for r in rows}


def responsiveness(con: duckdb.DuckDBPyConnection, ids: list[int]) -> pd.DataFrame:
    """Monthly per repo: median hours to first response, to merge, and the open backlog."""
    return con.execute(
        f"""WITH fr AS ({_FIRST_RESPONSE}),
            resp AS (
                SELECT repo_id, date_trunc('month', created_at)::DATE AS month,
                       median(epoch(first_response_at - created_at) / 3600.0) AS first_response_h,
                       count(*) AS opened
                FROM fr GROUP BY ALL),
            merged AS (
                SELECT repo_id, date_trunc('month', merged_at)::DATE AS month,
                       median(epoch(merged_at - created_at) / 3600.0) AS merge_h,
                       count(*) AS merged
                FROM fr WHERE is_pull AND merged_at IS NOT NULL GROUP BY ALL),
            months AS (
                SELECT repo_id, unnest(generate_series(
                    date_trunc('month', min(created_at)),
                    date_trunc('month', greatest(max(created_at), max(coalesce(closed_at, created_at)))),
                    INTERVAL 1 MONTH))::DATE AS month
                FROM fr GROUP BY repo_id),
            backlog AS (
                SELECT m.repo_id, m.month, count(f.number) AS backlog
                FROM months m LEFT JOIN fr f ON f.repo_id = m.repo_id
                 AND f.created_at < m.month + INTERVAL 1 MONTH
                 AND (f.closed_at IS NULL OR f.closed_at >= m.month + INTERVAL 1 MONTH)
                GROUP BY ALL)
        SELECT b.repo_id, b.month, r.first_response_h, r.opened, g.merge_h, g.merged, b.backlog
        FROM backlog b LEFT JOIN resp r USING (repo_id, month) LEFT JOIN merged g USING (repo_id, month)
        ORDER BY 1, 2""",
        {"ids": ids},
    ).df()


def waiting(con: duckdb.DuckDBPyConnection, ids: list[int], limit: int = 5) -> pd.DataFrame:
    """Per repo, the open issues and pull requests waiting longest for any first response."""
    return con.execute(
        f"""WITH fr AS ({_FIRST_RESPONSE})
        SELECT f.repo_id, f.number, f.is_pull, x.title, x.labels, f.created_at
        FROM fr f JOIN issues x USING (repo_id, number)
        WHERE f.first_response_at IS NULL AND f.closed_at IS NULL
        QUALIFY row_number() OVER (PARTITION BY f.repo_id ORDER BY f.created_at, f.number) <= $limit
        ORDER BY 1, f.created_at""",
        {"ids": ids, "limit": limit},
    ).df()


def releases(con: duckdb.DuckDBPyConnection, ids: list[int]) -> pd.DataFrame:
    """Published, non-draft releases, newest first."""
    return con.execute(
        """SELECT repo_id, tag, name, coalesce(published_at, created_at) AS published_at,
                  coalesce(prerelease, false) AS prerelease
           FROM releases WHERE list_contains($ids, repo_id) AND NOT coalesce(draft, false)
           ORDER BY repo_id, published_at DESC NULLS LAST""",
        {"ids": ids},
    ).df()


def portfolio_github(con: duckdb.DuckDBPyConnection, ids: list[int], ref: datetime) -> pd.DataFrame:
    """Per repo: median first-response hours (last 12 months), last release, open backlog.

    The windows are health_summary's: items opened in ``(ref - 12 months, ref]`` that got a
    response by ``ref``; pull requests merged in that window.
    """
    y1 = MONTHS_BEFORE_REF.format(n=12)
    return con.execute(
        f"""WITH fr AS ({_FIRST_RESPONSE})
        SELECT r.repo_id,
               (SELECT median(epoch(first_response_at - created_at) / 3600.0) FROM fr
                 WHERE fr.repo_id = r.repo_id AND fr.created_at > {y1} AND fr.created_at <= $ref
                   AND fr.first_response_at <= $ref) AS first_response_h,
               (SELECT median(epoch(merged_at - created_at) / 3600.0) FROM fr
                 WHERE fr.repo_id = r.repo_id AND fr.merged_at > {y1} AND fr.merged_at <= $ref)
                   AS merge_h,
               (SELECT count(*) FROM fr WHERE fr.repo_id = r.repo_id AND fr.closed_at IS NULL)
                   AS open_items,
               (SELECT max(coalesce(published_at, created_at)) FROM releases l
                 WHERE l.repo_id = r.repo_id AND NOT coalesce(draft, false)) AS last_release_at
        FROM (SELECT unnest($ids) AS repo_id) r ORDER BY 1""",
        {"ids": ids, "ref": ref},
    ).df()

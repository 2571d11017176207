"""Responsiveness and releases, from the GitHub tables (issues, comments, releases).

A repository whose GitHub data was never collected must read as "not collected", never as
"zero issues": ``github_collected`` tells the two apart from ``sync_state`` and the rows.

The monthly figures are the metrics' (``time_to_first_response`` with ``by_type := false``,
``time_to_merge``, ``backlog_growth``); the list of items waiting for a first response uses the
same rule as ``time_to_first_response``: items opened by humans (``human_issues``), a response
being a non-pending comment or review by a non-bot other than the author.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from ossmetrics.report.data import RepoInfo, by_repo_id, metric

__all__ = ["github_collected", "releases", "responsiveness", "waiting"]

_FIRST_RESPONSE = """
    SELECT x.repo_id, x.number, x.is_pull, x.created_at, x.closed_at, x.state,
           (SELECT min(m.created_at) FROM comments m
             LEFT JOIN identities ci ON ci.identity_id = m.author_identity
             LEFT JOIN people cp ON cp.person_id = ci.person_id
             WHERE m.repo_id = x.repo_id AND m.issue_number = x.number
               AND m.created_at >= x.created_at
               AND coalesce(m.review_state, '') <> 'PENDING'
               AND NOT coalesce(cp.is_bot OR ci.is_bot, false)
               AND NOT coalesce(ends_with(lower(m.author_login), '[bot]'), false)
               AND NOT coalesce(ci.person_id = x.author_person,
                                lower(m.author_login) = x.author_login_lc, false)
           ) AS first_response_at
    FROM human_issues x WHERE list_contains($ids, x.repo_id)
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


def responsiveness(con: duckdb.DuckDBPyConnection, infos: list[RepoInfo]) -> pd.DataFrame:
    """Monthly per repo: median hours to first response (issues and pull requests together,
    by month opened), to merge (by month merged) and the open-issue backlog at month end."""
    fr = by_repo_id(metric(con, "time_to_first_response", by_type=False), infos)
    tm = by_repo_id(metric(con, "time_to_merge"), infos)
    bl = by_repo_id(metric(con, "backlog_growth"), infos)
    fr = fr.rename(columns={"median_hours": "first_response_h", "items": "opened"})
    tm = tm.rename(columns={"median_hours": "merge_h"})
    bl = bl.rename(columns={"open_at_month_end": "backlog"})
    df = (
        fr[["repo_id", "month", "first_response_h", "opened"]]
        .merge(tm[["repo_id", "month", "merge_h", "merged"]], on=["repo_id", "month"], how="outer")
        .merge(bl[["repo_id", "month", "backlog"]], on=["repo_id", "month"], how="outer")
    )
    df["month"] = pd.to_datetime(df["month"]).dt.date
    return df.sort_values(["repo_id", "month"], ignore_index=True)


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

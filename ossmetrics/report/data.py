"""Everything the pages show, read from the store in a few bulk queries.

Why bulk: a portfolio of a hundred projects must render in well under a minute, so each query
covers every selected repository at once and pandas splits the result per project, instead of
one round of queries per project.

Definitions (also in docs/report.md), all on non-bot commits, against a reference date ``ref``
(the newest commit in the selected repositories, so a sample or an old snapshot reads as of its
own "now"):

- active contributors: distinct people with a commit in the period;
- newcomer: a person's first commit in that repository; *retained* if they commit again between
  30 and 365 days after it; the portfolio figure covers newcomers of the year before the last;
- trend: active contributors in the last 12 months against the 12 months before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd

__all__ = [
    "RepoInfo",
    "activity_frames",
    "materialize_commits",
    "portfolio_activity",
    "reference_date",
    "select_repos",
]

#: The commits every figure counts: the metric library's (the ``human_commits`` view, merges
#: left out), so a page's numbers and its ``health_summary`` row agree. (They counted merges
#: before: sharkdp/bat showed 420 commits in the year beside health_summary's 281.)
HUMAN_COMMITS = """
    FROM human_commits c
    WHERE NOT c.is_merge AND list_contains($ids, c.repo_id)
"""

#: ``$ref`` shifted by whole months in UTC wall-clock time, exactly as the metric library's
#: windows are: ``(ref - 12 months, ref]`` here is health_summary's window.
MONTHS_BEFORE_REF = "timezone('UTC', timezone('UTC', $ref) - INTERVAL {n} MONTH)"


@dataclass
class RepoInfo:
    """One repository's descriptive row, as stored by the collectors."""

    repo_id: int
    full_name: str
    url: str | None = None
    description: str | None = None
    language: str | None = None
    license: str | None = None
    stars: int | None = None
    archived: bool | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """File-name form: OWNER__REPO (repository names allow only [A-Za-z0-9_.-])."""
        return self.full_name.replace("/", "__")


def select_repos(con: duckdb.DuckDBPyConnection, repos: list[str] | None) -> list[RepoInfo]:
    """The repositories to report on: all in the store, or those named (raises if unknown)."""
    from ossmetrics.store import get_repo_id
    from ossmetrics.store.repos import validate_repo_name

    ids: list[int] | None = None
    if repos:
        ids = [get_repo_id(con, validate_repo_name(r)) for r in repos]
    rows = con.execute(
        """SELECT repo_id, full_name, url, description, language, license, stars, archived
           FROM repos WHERE $ids::INT[] IS NULL OR list_contains($ids::INT[], repo_id)
           ORDER BY lower(full_name)""",
        {"ids": ids},
    ).fetchall()
    return [
        RepoInfo(
            repo_id=int(r[0]),
            full_name=r[1],
            url=r[2],
            description=r[3],
            language=r[4],
            license=r[5],
            stars=None if r[6] is None else int(r[6]),
            archived=r[7],
        )
        for r in rows
    ]


def reference_date(con: duckdb.DuckDBPyConnection, ids: list[int]) -> datetime:
    """The newest commit among ``ids`` (day-truncated, UTC), else now."""
    row = con.execute(
        "SELECT max(committed_at) FROM commits WHERE list_contains($ids, repo_id)", {"ids": ids}
    ).fetchone()
    ts = row[0] if row and row[0] is not None else datetime.now().astimezone()
    day: datetime = pd.Timestamp(ts).tz_convert("UTC").normalize().to_pydatetime()
    return day


def materialize_commits(con: duckdb.DuckDBPyConnection, ids: list[int]) -> None:
    """TEMP table ``_report_commits`` (repo_id, ts, person_id, first_ts): the non-bot, non-merge
    commits of ``ids`` with each author's first commit there. Read once; the activity queries share it
    (a temp table also works on a read-only connection)."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _report_commits AS
        WITH c AS (SELECT c.repo_id, c.committed_at AS ts, c.person_id {HUMAN_COMMITS}),
             f AS (SELECT repo_id, person_id, min(ts) AS first_ts FROM c GROUP BY ALL)
        SELECT c.repo_id, c.ts, c.person_id, f.first_ts FROM c JOIN f USING (repo_id, person_id)""",
        {"ids": ids},
    )


def activity_frames(con: duckdb.DuckDBPyConnection, ids: list[int]) -> dict[str, pd.DataFrame]:
    """Monthly commits/contributors, quarterly new-vs-returning and newcomer cohorts, all repos.

    Returns frames keyed ``monthly`` (repo_id, month, commits, contributors, new_contributors),
    ``quarterly`` (repo_id, quarter, new, returning) and ``cohorts`` (repo_id, quarter,
    newcomers, retained, complete). Needs ``materialize_commits`` first.
    """
    monthly = con.execute(
        """SELECT repo_id, date_trunc('month', ts)::DATE AS month, count(*) AS commits,
               count(DISTINCT person_id) AS contributors,
               count(DISTINCT person_id) FILTER (
                   WHERE date_trunc('month', first_ts) = date_trunc('month', ts)) AS new_contributors
        FROM _report_commits GROUP BY ALL ORDER BY 1, 2"""
    ).df()
    quarterly = con.execute(
        """WITH q AS (SELECT DISTINCT repo_id, person_id, date_trunc('quarter', ts)::DATE AS quarter,
                             date_trunc('quarter', first_ts)::DATE AS fq FROM _report_commits)
        SELECT repo_id, quarter, count(*) FILTER (WHERE quarter = fq) AS new,
               count(*) FILTER (WHERE quarter > fq) AS returning
        FROM q GROUP BY ALL ORDER BY 1, 2"""
    ).df()
    cohorts = con.execute(
        """WITH kept AS (SELECT repo_id, person_id, min(first_ts) AS first_ts,
                            bool_or(ts >= first_ts + INTERVAL 30 DAY
                                    AND ts <= first_ts + INTERVAL 365 DAY) AS retained
                     FROM _report_commits GROUP BY ALL),
            lim AS (SELECT max(ts) AS last_ts FROM _report_commits)
        SELECT repo_id, date_trunc('quarter', first_ts)::DATE AS quarter,
               count(*) AS newcomers, count(*) FILTER (WHERE retained) AS retained,
               max(first_ts) + INTERVAL 365 DAY <= any_value(lim.last_ts) AS complete
        FROM kept, lim GROUP BY ALL ORDER BY 1, 2"""
    ).df()
    return {"monthly": monthly, "quarterly": quarterly, "cohorts": cohorts}


def portfolio_activity(
    con: duckdb.DuckDBPyConnection, ids: list[int], ref: datetime
) -> pd.DataFrame:
    """Per repository: the headline activity figures of the portfolio table, as of ``ref``.

    Windows are health_summary's: the last year is ``(ref - 12 months, ref]``, the year before
    ``(ref - 24 months, ref - 12 months]``. The last commit counts merges, as ``days_since``
    does (a merge is activity, not authorship).
    """
    y1 = MONTHS_BEFORE_REF.format(n=12)
    y2 = MONTHS_BEFORE_REF.format(n=24)
    return con.execute(
        f"""WITH c AS (SELECT * FROM _report_commits),
            newcomers AS (
                SELECT repo_id, person_id,
                       bool_or(ts >= first_ts + INTERVAL 30 DAY
                               AND ts <= first_ts + INTERVAL 365 DAY) AS retained
                FROM c WHERE first_ts > {y2} AND first_ts <= {y1} GROUP BY ALL)
        SELECT r.repo_id,
               count(*) FILTER (WHERE c.ts > {y1} AND c.ts <= $ref) AS commits_12m,
               count(*) FILTER (WHERE c.ts > {y2} AND c.ts <= {y1}) AS commits_prev_12m,
               count(DISTINCT c.person_id) FILTER (WHERE c.ts > {y1} AND c.ts <= $ref)
                   AS contributors_12m,
               count(DISTINCT c.person_id) FILTER (WHERE c.ts > {y2} AND c.ts <= {y1})
                   AS contributors_prev_12m,
               count(DISTINCT c.person_id) AS contributors_all,
               (SELECT max(h.committed_at) FROM human_commits h WHERE h.repo_id = r.repo_id)
                   AS last_commit_at,
               (SELECT count(*) FROM newcomers n WHERE n.repo_id = r.repo_id) AS newcomers_prev_year,
               (SELECT count(*) FROM newcomers n WHERE n.repo_id = r.repo_id AND n.retained)
                   AS newcomers_retained
        FROM (SELECT unnest($ids) AS repo_id) r LEFT JOIN c USING (repo_id)
        GROUP BY r.repo_id ORDER BY r.repo_id""",
        {"ids": ids, "ref": ref},
    ).df()

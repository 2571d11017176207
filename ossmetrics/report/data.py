"""Everything the pages show, read from the store in a few bulk queries.

Why bulk: a portfolio of a hundred projects must render in well under a minute, so each query
covers every selected repository at once and pandas splits the result per project, instead of
one round of queries per project.

**Numbers defined once.** A figure that a metric of the SQL library defines is read from that
metric, called by name (``metric(con, "health_summary", as_of=ref)``, as dbt's ``ref()``
does), never re-derived here (the charts' series too: the quarters of new and returning people
are ``new_returning_by_quarter``'s); docs/report.md says which metric each figure comes from.
What is done here is only reshaping: repository ids, column names, dates.

All figures are as of a reference date ``ref`` (the newest commit in the selected repositories,
so a sample or an old snapshot reads as of its own "now").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

__all__ = [
    "RepoInfo",
    "by_repo_id",
    "headline_figures",
    "metric",
    "monthly_activity",
    "new_returning",
    "newcomer_cohorts",
    "reference_date",
    "select_repos",
]


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


def metric(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pd.DataFrame:
    """The rows of the library metric ``name`` (``queries/NAME.sql``) for every repository.

    The report's ``ref()``: the one way a page gets a number a metric defines.
    """
    from ossmetrics.metrics import run_metric

    return run_metric(con, name, params=params or None)


def months_before(ref: datetime, n: int) -> datetime:
    """``ref`` shifted back ``n`` calendar months in UTC, as the metrics' windows shift."""
    shifted: datetime = (
        pd.Timestamp(ref).tz_convert("UTC") - pd.DateOffset(months=n)
    ).to_pydatetime()
    return shifted


def by_repo_id(df: pd.DataFrame, infos: list[RepoInfo]) -> pd.DataFrame:
    """A metric's rows keyed by ``repo_id`` (metrics name repositories by ``repo``), for ``infos``."""
    ids = {r.full_name.lower(): r.repo_id for r in infos}
    out = df[df["repo"].str.lower().isin(ids)].drop(columns=["repo_id"], errors="ignore")
    out.insert(0, "repo_id", out["repo"].str.lower().map(ids).astype(int))
    return out.drop(columns=["repo"]).reset_index(drop=True)


def headline_figures(
    con: duckdb.DuckDBPyConnection,
    infos: list[RepoInfo],
    ref: datetime,
    *,
    summary: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per repository, every headline figure of the portfolio table, each from its metric:

    - commits_12m, contributors_12m, first_response_h, merge_h: ``health_summary`` as of
      ``ref`` (commits_12m, active_contributors_12m, median_first_response_hours,
      median_merge_hours); contributors_prev_12m: the same metric as of ``ref`` - 12 months;
    - newcomers_prev_year, newcomer_retention: ``newcomer_retention`` as of ``ref``;
    - last_commit_at, last_release_at: ``days_since`` as of the end of ``ref``'s day.

    ``summary``: ``health_summary`` as of ``ref`` when the caller already ran it (the site
    shows the same rows), so the metric is not run twice.
    """
    cols = [
        "repo_id", "commits_12m", "contributors_12m", "contributors_prev_12m",
        "newcomers_prev_year", "newcomer_retention", "first_response_h", "merge_h",
        "last_commit_at", "last_release_at",
    ]  # fmt: skip
    if not infos:
        return pd.DataFrame(columns=cols)
    now_rows = summary if summary is not None else metric(con, "health_summary", as_of=ref)
    now = by_repo_id(now_rows, infos)
    before = by_repo_id(metric(con, "health_summary", as_of=months_before(ref, 12)), infos)
    new = by_repo_id(metric(con, "newcomer_retention", as_of=ref), infos)
    # ref is the newest commit's day at 00:00 UTC; the last commit is that day's, so the dates
    # are read as of the day's end (a commit at 00:01 on it is the last commit, not the one before)
    since = by_repo_id(metric(con, "days_since", as_of=ref + timedelta(days=1)), infos)
    df = (
        now[["repo_id", "commits_12m", "active_contributors_12m", "median_first_response_hours",
             "median_merge_hours"]]
        .merge(before[["repo_id", "active_contributors_12m"]], on="repo_id", suffixes=("", "_prev"))
        .merge(new[["repo_id", "newcomers", "retention"]], on="repo_id")
        .merge(since[["repo_id", "last_commit_at", "last_release_at"]], on="repo_id")
    )  # fmt: skip
    df = df.rename(
        columns={
            "active_contributors_12m": "contributors_12m",
            "active_contributors_12m_prev": "contributors_prev_12m",
            "median_first_response_hours": "first_response_h",
            "median_merge_hours": "merge_h",
            "newcomers": "newcomers_prev_year",
            "retention": "newcomer_retention",
        }
    )
    return df[cols].sort_values("repo_id", ignore_index=True)


def newcomer_cohorts(
    con: duckdb.DuckDBPyConnection, infos: list[RepoInfo], ref: datetime
) -> pd.DataFrame:
    """The retention chart's cohorts: ``newcomer_retention_by_quarter`` as of the end of
    ``ref``'s day (repo_id, quarter, newcomers, retained, complete)."""
    df = by_repo_id(
        metric(con, "newcomer_retention_by_quarter", as_of=ref + timedelta(days=1)), infos
    )
    df["quarter"] = pd.to_datetime(df["quarter"]).dt.date
    return df


def new_returning(
    con: duckdb.DuckDBPyConnection, infos: list[RepoInfo], ref: datetime
) -> pd.DataFrame:
    """The new-vs-returning chart's quarters: ``new_returning_by_quarter`` as of the end of
    ``ref``'s day (repo_id, quarter, new, returning: people active in the quarter, by whether it
    holds their first commit)."""
    df = by_repo_id(metric(con, "new_returning_by_quarter", as_of=ref + timedelta(days=1)), infos)
    df = df.rename(columns={"new_contributors": "new", "returning_contributors": "returning"})
    df["quarter"] = pd.to_datetime(df["quarter"])  # a time axis for the chart, as before
    return df[["repo_id", "quarter", "new", "returning"]].sort_values(
        ["repo_id", "quarter"], ignore_index=True
    )


def monthly_activity(con: duckdb.DuckDBPyConnection, infos: list[RepoInfo]) -> pd.DataFrame:
    """Per repository and UTC month: commits and contributors (``active_contributors``) and
    first-time contributors (``new_contributors``), gaps filled with 0 by the metrics."""
    act = by_repo_id(metric(con, "active_contributors"), infos)
    new = by_repo_id(metric(con, "new_contributors"), infos)
    df = act.merge(
        new[["repo_id", "month", "new_contributors"]], on=["repo_id", "month"], how="left"
    )
    df = df.rename(columns={"active_contributors": "contributors"})
    df["new_contributors"] = df["new_contributors"].fillna(0).astype(int)
    df["month"] = pd.to_datetime(df["month"]).dt.date
    return df[["repo_id", "month", "commits", "contributors", "new_contributors"]].sort_values(
        ["repo_id", "month"], ignore_index=True
    )

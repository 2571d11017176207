"""Tabular features and labels of (project, date) snapshots, in DuckDB SQL (the features
themselves are defined in ``features``).

Why SQL: a corpus has ~700k commits and ~6,000 (project, date) pairs; every feature is a
windowed count, so one range join of commits to snapshot windows does all of them in seconds,
where a Python loop per snapshot would take minutes.

Every feature of a snapshot at T reads only commits with ``committed_at < cut(T)`` (see
``snapshots``); labels read ``cut <= committed_at < cut + 12 months``. The two are computed by
separate queries, so no feature can see a label's window (``tests/risk`` checks this by
appending future commits and comparing features).

The snapshot table always holds **every** repository of the store at each date asked for
(context rows), so cross-project features ("the main author also carries 3 other projects")
see the whole portfolio at T, whichever projects are being scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ossmetrics.risk.features import FEATURES
from ossmetrics.risk.graph_features import GRAPH_SQL
from ossmetrics.risk.snapshots import NONBOT_COMMITS_SQL, cut_of

__all__ = ["build_labels", "build_person_table", "build_project_table", "register"]


def register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """``con.register`` that first finishes any half-read result (DuckDB 2.0 refuses otherwise)."""
    con.execute("SELECT 1").fetchall()
    con.register(name, table)


def _register_snapshots(
    con: duckdb.DuckDBPyConnection, dates: Sequence[date], exclude_people: Sequence[int]
) -> None:
    dates = sorted(set(dates))
    snaps = pa.table(
        {
            "as_of": pa.array(dates, pa.date32()),
            "cut": pa.array([cut_of(d) for d in dates], pa.timestamp("us", tz="UTC")),
        }
    )
    register(con, "_rk_dates_arrow", snaps)
    excl = pa.table({"person_id": pa.array(list(exclude_people), pa.int64())})
    register(con, "_rk_excl_arrow", excl)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _rk_c AS
            SELECT * FROM ({NONBOT_COMMITS_SQL}) x
            WHERE person_id NOT IN (SELECT person_id FROM _rk_excl_arrow)"""
    )
    con.execute("""CREATE OR REPLACE TEMP TABLE _rk_first AS
        SELECT repo_id, person_id, min(ts) AS first_ts FROM _rk_c GROUP BY ALL""")
    # Context rows: every repository with a commit before the cut, at every date.
    con.execute("""CREATE OR REPLACE TEMP TABLE _rk_s AS
        SELECT r.repo_id, d.as_of, d.cut, r.first_ts
        FROM (SELECT repo_id, min(ts) AS first_ts FROM _rk_c GROUP BY 1) r, _rk_dates_arrow d
        WHERE r.first_ts < d.cut""")
    # (snapshot, person) activity in the 24 months before the cut.
    con.execute("""CREATE OR REPLACE TEMP TABLE _rk_sp AS
        SELECT s.repo_id, s.as_of, c.person_id,
               count(*) FILTER (WHERE c.ts >= s.cut - INTERVAL 12 MONTH) AS n12,
               count(*) FILTER (WHERE c.ts <  s.cut - INTERVAL 12 MONTH) AS nprev,
               count(*) FILTER (WHERE c.ts >= s.cut - INTERVAL 3 MONTH) AS n3,
               sum(c.lines) FILTER (WHERE c.ts >= s.cut - INTERVAL 12 MONTH) AS lines12,
               date_diff('day', max(c.ts), s.cut) AS days_since,
               any_value(f.first_ts) AS first_ts, any_value(s.cut) AS cut
        FROM _rk_s s
        JOIN _rk_c c ON c.repo_id = s.repo_id AND c.ts >= s.cut - INTERVAL 24 MONTH AND c.ts < s.cut
        JOIN _rk_first f ON f.repo_id = c.repo_id AND f.person_id = c.person_id
        GROUP BY s.repo_id, s.as_of, c.person_id, s.cut""")
    # How many *other* projects each person works on at the same date.
    con.execute("""CREATE OR REPLACE TEMP TABLE _rk_spx AS
        SELECT a.repo_id, a.as_of, a.person_id,
               count(b.repo_id) FILTER (WHERE b.n12 > 0) AS other12,
               coalesce(sum(b.n12), 0) AS other_commits12,
               coalesce(sum(b.nprev), 0) AS other_commits_prev12
        FROM _rk_sp a LEFT JOIN _rk_sp b
          ON b.as_of = a.as_of AND b.person_id = a.person_id AND b.repo_id <> a.repo_id
        GROUP BY ALL""")


def _register_keys(con: duckdb.DuckDBPyConnection, keys: pd.DataFrame | None) -> None:
    if keys is None or keys.empty:
        keys = pd.DataFrame(
            {
                "repo_id": pd.Series([], dtype="int64"),
                "as_of": pd.Series([], dtype="datetime64[s]"),
                "person_id": pd.Series([], dtype="int64"),
            }
        )
    tbl = pa.table(
        {
            "repo_id": pa.array(keys["repo_id"].astype("int64").to_numpy()),
            "as_of": pa.array(pd.to_datetime(keys["as_of"]).dt.date.tolist(), pa.date32()),
            "person_id": pa.array(keys["person_id"].astype("int64").to_numpy()),
        }
    )
    register(con, "_rk_keys_arrow", tbl)
    con.execute("CREATE OR REPLACE TEMP TABLE _rk_keys AS SELECT * FROM _rk_keys_arrow")


_PROJECT_SQL = """
WITH sp AS (
    SELECT sp.*, x.other12, x.other_commits12,
           row_number() OVER (PARTITION BY sp.repo_id, sp.as_of ORDER BY sp.n12 DESC, sp.nprev DESC, sp.first_ts, sp.person_id) AS rnk,
           sum(sp.n12) OVER (PARTITION BY sp.repo_id, sp.as_of ORDER BY sp.n12 DESC, sp.person_id
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS cum_before,
           sum(sp.n12) OVER (PARTITION BY sp.repo_id, sp.as_of) AS tot12
    FROM _rk_sp sp JOIN _rk_spx x USING (repo_id, as_of, person_id)
),
agg AS (
    SELECT repo_id, as_of,
           sum(n12) AS c12, sum(nprev) AS cprev, sum(n3) AS c3,
           count(*) FILTER (WHERE n12 > 0) AS a12,
           count(*) FILTER (WHERE nprev > 0) AS aprev,
           count(*) FILTER (WHERE n3 > 0) AS a3,
           count(*) FILTER (WHERE n12 > 0 AND first_ts >= cut - INTERVAL 12 MONTH) AS newcomers12,
           count(*) FILTER (WHERE n12 > 0 AND nprev > 0) AS retained,
           max(n12) AS top1_n12,
           sum(n12 * n12) AS sumsq12,
           count(*) FILTER (WHERE n12 > 0 AND coalesce(cum_before, 0) * 2 < tot12) AS bus12_raw,
           count(*) FILTER (WHERE n12 > 0 AND coalesce(cum_before, 0) < 0.51 * tot12) AS dep51_raw,
           coalesce(sum(lines12), 0) AS lines12,
           min(days_since) AS days_since_last_24m,
           any_value(CASE WHEN rnk = 1 THEN date_diff('day', first_ts, cut) / 365.25 END) AS top1_tenure_years,
           any_value(CASE WHEN rnk = 1 THEN days_since END) AS top1_days_since,
           any_value(CASE WHEN rnk = 1 THEN other12 END) AS top1_other_projects,
           any_value(CASE WHEN rnk = 1 THEN person_id END) AS top1_person,
           avg(other12) FILTER (WHERE n12 > 0) AS mean_other_projects,
           sum(n12) FILTER (WHERE other12 > 0) AS shared_c12,
           median(date_diff('day', first_ts, cut) / 365.25) FILTER (WHERE n12 > 0) AS median_tenure_years
    FROM sp
    GROUP BY repo_id, as_of
),
months AS (
    SELECT s.repo_id, s.as_of, least(count(DISTINCT date_trunc('month', c.ts)), 12) AS months12,
           count(DISTINCT c.person_id) FILTER (WHERE c.ts >= s.cut - INTERVAL 3 MONTH) AS authors_90d
    FROM _rk_s s JOIN _rk_c c ON c.repo_id = s.repo_id AND c.ts >= s.cut - INTERVAL 12 MONTH AND c.ts < s.cut
    GROUP BY ALL
),
last_any AS (
    SELECT s.repo_id, s.as_of, max(c.ts) AS last_ts, count(DISTINCT c.person_id) AS authors_all
    FROM _rk_s s JOIN _rk_c c ON c.repo_id = s.repo_id AND c.ts < s.cut
    GROUP BY ALL
),
win AS (  -- the last 12 months' commits of each snapshot, for the trajectory features
    SELECT s.repo_id, s.as_of, s.cut, c.ts
    FROM _rk_s s JOIN _rk_c c ON c.repo_id = s.repo_id AND c.ts >= s.cut - INTERVAL 12 MONTH AND c.ts < s.cut
),
recent AS (  -- the last 6 months against the 6 before; the longest silence (to the cut included)
    SELECT repo_id, as_of,
           count(*) FILTER (WHERE ts >= cut - INTERVAL 6 MONTH) AS c6,
           count(*) FILTER (WHERE ts < cut - INTERVAL 6 MONTH) AS c6prev,
           greatest(max(gap), date_diff('day', any_value(cut) - INTERVAL 12 MONTH, min(ts))) AS longest_gap
    FROM (SELECT *, date_diff('day', ts, coalesce(lead(ts) OVER (PARTITION BY repo_id, as_of ORDER BY ts), cut)) AS gap
          FROM win)
    GROUP BY ALL
),
slope AS (  -- OLS slope of ln(1 + commits) over the 12 months (x = -k, k = 0 the latest; a month
            -- without commits has y = 0 and adds nothing): sum((5.5 - k) y_k) / 143, per year;
            -- summed in month order (a parallel sum of doubles may change in the last bit)
    SELECT repo_id, as_of,
           12 * list_sum(list((5.5 - k) * ln(1 + n) ORDER BY k)) / 143.0 AS monthly_slope
    FROM (SELECT repo_id, as_of, least(floor(date_diff('day', ts, cut) / 30.44), 11) AS k, count(*) AS n
          FROM win GROUP BY ALL)
    GROUP BY ALL
),
keys AS (
    SELECT k.repo_id, k.as_of, count(*) AS tf,
           sum(coalesce(sp.n12, 0)) AS key_c12,
           sum(coalesce(sp.nprev, 0)) AS key_cprev,
           sum(coalesce(sp.n3, 0)) AS key_c3,
           avg(CASE WHEN coalesce(sp.n3, 0) > 0 THEN 1.0 ELSE 0.0 END) AS key_active_3m,
           max(coalesce(sp.days_since, 730)) AS key_max_days_since,
           max(coalesce(x.other12, 0)) AS key_other_projects
    FROM _rk_keys k
    LEFT JOIN _rk_sp sp USING (repo_id, as_of, person_id)
    LEFT JOIN _rk_spx x USING (repo_id, as_of, person_id)
    GROUP BY ALL
)
SELECT s.repo_id, r.full_name AS repo, s.as_of,
       coalesce(a.c12, 0) AS commits_12m, coalesce(a.cprev, 0) AS commits_prev_12m,
       coalesce(a.c3, 0) AS commits_3m, coalesce(a.a12, 0) AS authors_12m,
       coalesce(a.aprev, 0) AS authors_prev_12m, coalesce(m.authors_90d, 0) AS authors_90d,
       coalesce(a.newcomers12, 0) AS newcomers_12m, coalesce(a.retained, 0) AS retained,
       coalesce(a.top1_n12, 0) AS top1_commits_12m, coalesce(a.sumsq12, 0) AS sumsq12,
       coalesce(a.bus12_raw, 0) AS bus_factor_12m, coalesce(a.dep51_raw, 0) AS dependency_51_12m, coalesce(a.lines12, 0) AS lines_12m,
       coalesce(m.months12, 0) AS months_active,
       date_diff('day', l.last_ts, s.cut) AS days_since_last,
       date_diff('day', s.first_ts, s.cut) / 365.25 AS age_years,
       l.authors_all,
       a.top1_tenure_years, a.top1_days_since, coalesce(a.top1_other_projects, 0) AS top1_other_projects,
       a.top1_person,
       coalesce(a.mean_other_projects, 0) AS mean_other_projects,
       coalesce(a.shared_c12, 0) AS shared_c12,
       a.median_tenure_years,
       coalesce(k.tf, 0) AS truck_factor, coalesce(k.key_c12, 0) AS key_c12,
       k.key_active_3m, k.key_max_days_since, coalesce(k.key_other_projects, 0) AS key_other_projects,
       coalesce(k.key_cprev, 0) AS key_cprev, coalesce(k.key_c3, 0) AS key_c3,
       coalesce(rc.c6, 0) AS commits_6m, coalesce(rc.c6prev, 0) AS commits_prev_6m,
       coalesce(rc.longest_gap, 365) AS longest_gap_12m, coalesce(sl.monthly_slope, 0) AS monthly_slope
FROM _rk_s s
JOIN repos r ON r.repo_id = s.repo_id
LEFT JOIN agg a ON a.repo_id = s.repo_id AND a.as_of = s.as_of
LEFT JOIN months m ON m.repo_id = s.repo_id AND m.as_of = s.as_of
LEFT JOIN last_any l ON l.repo_id = s.repo_id AND l.as_of = s.as_of
LEFT JOIN keys k ON k.repo_id = s.repo_id AND k.as_of = s.as_of
LEFT JOIN recent rc ON rc.repo_id = s.repo_id AND rc.as_of = s.as_of
LEFT JOIN slope sl ON sl.repo_id = s.repo_id AND sl.as_of = s.as_of
ORDER BY s.repo_id, s.as_of
"""

_GITHUB_SQL = """
SELECT s.repo_id, s.as_of,
       (SELECT count(*) FROM issues i WHERE i.repo_id = s.repo_id AND i.closed_at < s.cut
              AND i.closed_at >= s.cut - INTERVAL 90 DAY) AS closed_issues_90d,
       (SELECT count(*) FROM issues i WHERE i.repo_id = s.repo_id AND i.created_at < s.cut
              AND greatest(i.created_at, coalesce(i.closed_at, i.created_at)) >= s.cut - INTERVAL 90 DAY) AS updated_issues_90d,
       (SELECT count(*) FROM comments c WHERE c.repo_id = s.repo_id AND c.created_at < s.cut
              AND c.created_at >= s.cut - INTERVAL 90 DAY AND c.kind = 'issue') AS comments_90d,
       (SELECT count(*) FROM comments c WHERE c.repo_id = s.repo_id AND c.created_at < s.cut
              AND c.created_at >= s.cut - INTERVAL 90 DAY AND c.kind <> 'issue') AS review_comments_90d,
       (SELECT count(*) FROM issues i WHERE i.repo_id = s.repo_id AND i.is_pull AND i.created_at < s.cut
              AND i.created_at >= s.cut - INTERVAL 90 DAY) AS pulls_90d,
       (SELECT count(*) FROM releases x WHERE x.repo_id = s.repo_id AND coalesce(x.published_at, x.created_at) < s.cut
              AND coalesce(x.published_at, x.created_at) >= s.cut - INTERVAL 12 MONTH) AS releases_12m,
       (SELECT count(DISTINCT p.organization) FROM _rk_sp sp JOIN people p USING (person_id)
              WHERE sp.repo_id = s.repo_id AND sp.as_of = s.as_of AND sp.n12 > 0
              AND p.organization IS NOT NULL) AS orgs_12m
FROM _rk_s s
"""


def build_project_table(
    con: duckdb.DuckDBPyConnection,
    dates: Sequence[date],
    keys: pd.DataFrame | None = None,
    *,
    exclude_people: Sequence[int] = (),
) -> pd.DataFrame:
    """One row per (repository, date) of the store: raw signals and the model ``FEATURES``.

    ``keys`` holds the truck-factor key people (repo_id, as_of, person_id) at each date;
    ``exclude_people`` drops those people's commits everywhere (the what-if of ``explain``).
    Leaves the temp tables ``_rk_*`` in place for ``build_person_table``.
    """
    _register_snapshots(con, dates, exclude_people)
    _register_keys(con, keys)
    df = con.execute(_PROJECT_SQL).df()
    gh = con.execute(_GITHUB_SQL).df()
    df = df.merge(gh, on=["repo_id", "as_of"], how="left")
    df = df.merge(con.execute(GRAPH_SQL).df(), on=["repo_id", "as_of"], how="left")
    return _derive(df)


def _derive(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    c12 = df["commits_12m"].astype(float)
    safe12 = c12.where(c12 > 0, 1.0)
    df["log_commits_12m"] = np.log1p(c12)
    df["log_commits_prev_12m"] = np.log1p(df["commits_prev_12m"].astype(float))
    df["log_commits_3m"] = np.log1p(df["commits_3m"].astype(float))
    df["commit_trend"] = np.log((c12 + 1) / (df["commits_prev_12m"] + 1))
    df["recent_trend"] = np.log((4 * df["commits_3m"] + 1) / (c12 + 1))
    df["log_authors_12m"] = np.log1p(df["authors_12m"].astype(float))
    df["author_trend"] = np.log((df["authors_12m"] + 1) / (df["authors_prev_12m"] + 1))
    df["newcomer_share"] = df["newcomers_12m"] / df["authors_12m"].clip(lower=1)
    df["retention"] = df["retained"] / df["authors_prev_12m"].clip(lower=1)
    df["top1_share"] = np.where(c12 > 0, df["top1_commits_12m"] / safe12, 0.0)
    df["hhi"] = np.where(c12 > 0, df["sumsq12"] / safe12**2, 0.0)
    df["log_bus_factor_12m"] = np.log1p(df["bus_factor_12m"].astype(float))
    df["months_active_12m"] = df["months_active"] / 12.0
    df["days_since_last"] = df["days_since_last"].fillna(3650).astype(float)
    df["log_days_since_last"] = np.log1p(df["days_since_last"])
    df["log_age_years"] = np.log1p(df["age_years"].astype(float))
    df["log_lines_12m"] = np.log1p(df["lines_12m"].astype(float))
    df["top1_tenure_years"] = df["top1_tenure_years"].fillna(0.0).astype(float)
    df["log_top1_days_since_last"] = np.log1p(df["top1_days_since"].fillna(730).astype(float))
    df["log_top1_other_projects"] = np.log1p(df["top1_other_projects"].astype(float))
    df["log_mean_other_projects"] = np.log1p(df["mean_other_projects"].astype(float))
    df["shared_people_share"] = np.where(c12 > 0, df["shared_c12"] / safe12, 0.0)
    df["log_truck_factor"] = np.log1p(df["truck_factor"].astype(float))
    df["key_share_12m"] = np.where(c12 > 0, df["key_c12"] / safe12, 0.0)
    df["key_active_3m"] = df["key_active_3m"].fillna(0.0).astype(float)
    df["log_key_max_days_since"] = np.log1p(df["key_max_days_since"].fillna(730).astype(float))
    df["log_key_other_projects"] = np.log1p(df["key_other_projects"].astype(float))
    df["median_tenure_years"] = df["median_tenure_years"].fillna(0.0).astype(float)
    # trajectory (issue 19): the last half-year, its trend, the monthly slope, the longest
    # silence, the last quarter's people, the key people's own trajectory here
    c3 = df["commits_3m"].astype(float)
    df["log_commits_6m"] = np.log1p(df["commits_6m"].astype(float))
    df["half_trend"] = np.log((df["commits_6m"] + 1.0) / (df["commits_prev_6m"] + 1.0))
    df["monthly_slope"] = df["monthly_slope"].astype(float)
    df["log_longest_gap_12m"] = np.log1p(df["longest_gap_12m"].astype(float).clip(lower=0))
    df["log_authors_3m"] = np.log1p(df["authors_90d"].astype(float))
    df["key_trend"] = np.log((df["key_c12"] + 1.0) / (df["key_cprev"] + 1.0))
    df["key_recent_share"] = np.where(c3 > 0, df["key_c3"] / c3.where(c3 > 0, 1.0), 0.0)
    for col in FEATURES:
        df[col] = df[col].astype(float).fillna(0.0)
    return df


_PERSON_SQL = """
SELECT sp.repo_id, sp.as_of, sp.person_id, sp.n12, sp.nprev, sp.n3, sp.days_since,
       date_diff('day', sp.first_ts, sp.cut) / 365.25 AS tenure_years,
       x.other12, x.other_commits12,
       (k.person_id IS NOT NULL) AS is_key,
       (sp.first_ts >= sp.cut - INTERVAL 12 MONTH) AS is_newcomer
FROM _rk_sp sp
JOIN _rk_spx x USING (repo_id, as_of, person_id)
LEFT JOIN _rk_keys k USING (repo_id, as_of, person_id)
"""


def build_person_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(repository, date, person) activity of the last 24 months, for the graph builder."""
    df = con.execute(_PERSON_SQL).df()
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    return df


_LABEL_SQL = """
WITH after AS (
    SELECT s.repo_id, s.as_of, c.person_id, count(*) AS n
    FROM _rk_s s JOIN _rk_c c ON c.repo_id = s.repo_id AND c.ts >= s.cut
         AND c.ts < s.cut + INTERVAL 12 MONTH
    GROUP BY ALL
)
SELECT s.repo_id, s.as_of,
       coalesce((SELECT sum(n) FROM after a WHERE a.repo_id = s.repo_id AND a.as_of = s.as_of), 0) AS commits_next_12m,
       (SELECT count(*) FROM _rk_keys k WHERE k.repo_id = s.repo_id AND k.as_of = s.as_of) AS n_keys,
       (SELECT count(*) FROM _rk_keys k JOIN after a USING (repo_id, as_of, person_id)
         WHERE k.repo_id = s.repo_id AND k.as_of = s.as_of) AS keys_active_next_12m
FROM _rk_s s
"""


def build_labels(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What happened in the 12 months after each snapshot (needs ``build_project_table`` first).

    This is the only query that reads commits at or after a cut; its output never feeds a
    feature.
    """
    df = con.execute(_LABEL_SQL).df()
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    return df

"""Activity metrics on the crafted history of conftest.build_widget, checked by hand.

acme/widget, non-merge non-bot commits by UTC month (committed_at converted to UTC):
  Jan alice x2 | Feb alice x2 (one through an alias), bob (2024-01-31T23:30-05:00),
  dave (2024-03-01T01:00+02:00) | Mar bob | Apr - | May alice, carol (2024-04-30T22:00-03:00)
  | Jun erin | Jul - | Aug - | Sep dave.  Bots (dependabot) and alice's merge never count.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from ossmetrics.metrics import run_metric

W = "acme/widget"
MONTHS = [date(2024, m, 1) for m in range(1, 10)]


def _dates(s: pd.Series) -> list[date]:
    return [pd.Timestamp(x).date() for x in s]


def test_commits_per_month_uses_utc_months_and_fills_gaps(wcon):
    df = run_metric(wcon, "commits_per_month", repo=W)
    assert _dates(df["month"]) == MONTHS
    # Feb gets bob's and dave's commits whose local dates are Jan 31 and Mar 1; Apr, Jul, Aug are 0.
    assert df["commits"].tolist() == [2, 4, 1, 0, 2, 1, 0, 0, 1]
    assert df["lines_added"].tolist() == [20, 40, 10, 0, 20, 10, 0, 0, 10]
    assert set(df["repo"]) == {W}


def test_commits_per_month_since_keeps_that_month_on(wcon):
    df = run_metric(wcon, "commits_per_month", repo=W, params={"since": "2024-05-20"})
    assert _dates(df["month"]) == MONTHS[4:]
    assert df["commits"].tolist() == [2, 1, 0, 0, 1]


def test_active_contributors_count_persons_not_identities(wcon):
    df = run_metric(wcon, "active_contributors", repo=W)
    assert _dates(df["month"]) == MONTHS
    # Feb: alice (two identities, one person), bob, dave -> 3
    assert df["active_contributors"].tolist() == [1, 3, 1, 0, 2, 1, 0, 0, 1]


def test_new_contributors_and_running_total(wcon):
    df = run_metric(wcon, "new_contributors", repo=W)
    assert _dates(df["month"]) == MONTHS
    # Jan alice; Feb bob, dave; May carol; Jun erin
    assert df["new_contributors"].tolist() == [1, 2, 0, 0, 1, 1, 0, 0, 0]
    assert df["total_contributors"].tolist() == [1, 3, 3, 3, 4, 5, 5, 5, 5]
    late = run_metric(wcon, "new_contributors", repo=W, params={"since": date(2024, 6, 1)})
    # the running total still counts the earlier newcomers
    assert late["total_contributors"].tolist() == [5, 5, 5, 5]


def test_retention_by_cohort_as_of_december(wcon):
    df = run_metric(wcon, "contributor_retention", repo=W, params={"as_of": "2024-12-01"})
    got = {
        pd.Timestamp(r.cohort_month).date(): (
            r.newcomers,
            r.retained_3m,
            r.retention_3m,
            r.retained_6m,
            r.retention_6m,
        )
        for r in df.itertuples()
    }
    # Jan {alice}: back in Feb (+1) and May (+4).  Feb {bob, dave}: bob back in Mar (+1); dave
    # only in Sep (+7, beyond both windows).  May {carol}, Jun {erin}: never back.  Jun's
    # 6-month window (Jul-Dec) has not ended before December began: NULL.
    assert got[date(2024, 1, 1)] == (1, 1, 1.0, 1, 1.0)
    assert got[date(2024, 2, 1)] == (2, 1, 0.5, 0, 0.0)
    assert got[date(2024, 5, 1)] == (1, 0, 0.0, 0, 0.0)
    jun = got[date(2024, 6, 1)]
    assert jun[:3] == (1, 0, 0.0) and pd.isna(jun[3]) and pd.isna(jun[4])
    assert len(got) == 4


def test_retention_windows_not_yet_observable_are_null(wcon):
    df = run_metric(wcon, "contributor_retention", repo=W, params={"as_of": "2024-08-15"})
    rows = {pd.Timestamp(r.cohort_month).date(): r for r in df.itertuples()}
    # as_of month August: Jan is 7 months back (both windows ended), Feb 6 (3-month only),
    # May 3 and Jun 2 (neither).
    assert (rows[date(2024, 1, 1)].retained_3m, rows[date(2024, 1, 1)].retained_6m) == (1, 1)
    assert rows[date(2024, 2, 1)].retained_3m == 1 and pd.isna(rows[date(2024, 2, 1)].retained_6m)
    assert pd.isna(rows[date(2024, 5, 1)].retention_3m)
    assert pd.isna(rows[date(2024, 6, 1)].retention_3m)


def test_inactive_contributors_silent_six_months(wcon):
    df = run_metric(wcon, "inactive_contributors", repo=W, params={"as_of": "2024-12-01"})
    # Prior window (2023-06-01, 2024-06-01], silent window (2024-06-01, 2024-12-01].
    # erin's only commit is exactly 2024-06-01T00:00Z: in the prior window, so inactive.
    # dave committed in Sep: active.  alice's October merge is not a commit here.
    assert df["display_name"].tolist() == ["erin", "alice", "carol", "bob"]
    assert df["prior_commits"].tolist() == [1, 5, 1, 2]
    assert pd.Timestamp(df["last_commit_at"][1]) == pd.Timestamp("2024-05-02T10:00:00Z")
    # silent for 2 months instead (since 2024-10-01): dave's Sep commit is now in the prior
    # window, so he is inactive too.
    two = run_metric(
        wcon,
        "inactive_contributors",
        repo=W,
        params={"as_of": "2024-12-01", "silent_months": 2, "prior_months": 12},
    )
    assert sorted(two["display_name"]) == ["alice", "bob", "carol", "dave", "erin"]


def test_days_since_last_commit_counts_merges_not_bots(wcon):
    df = run_metric(wcon, "days_since", repo=W, params={"as_of": "2024-12-01T00:00:00Z"})
    row = df.iloc[0]
    # alice's merge on 2024-10-15 is the last non-bot commit (dependabot's 2024-11-01 is not):
    # Oct 15 -> Dec 1 = 47 days.
    assert pd.Timestamp(row["last_commit_at"]) == pd.Timestamp("2024-10-15T00:00:00Z")
    assert row["days_since_last_commit"] == 47
    # as of a date in the past, later commits are ignored: on 2024-06-01T12:00 the last is erin's.
    past = run_metric(wcon, "days_since", repo=W, params={"as_of": datetime(2024, 6, 1, 12)})
    assert past["days_since_last_commit"].iloc[0] == 0


def test_empty_repository_gives_no_monthly_rows(wcon):
    for name in ("commits_per_month", "active_contributors", "new_contributors"):
        assert run_metric(wcon, name, repo="acme/empty").empty
    assert run_metric(wcon, "contributor_retention", repo="acme/empty").empty
    assert run_metric(wcon, "inactive_contributors", repo="acme/empty").empty
    ds = run_metric(wcon, "days_since", repo="acme/empty")
    assert len(ds) == 1 and pd.isna(ds["days_since_last_commit"].iloc[0])


def test_single_contributor(wcon):
    df = run_metric(wcon, "active_contributors", repo="solo/one")
    assert df["active_contributors"].max() == 1
    assert _dates(df["month"])[0] == date(2023, 12, 1) and len(df) == 13
    assert df["commits"].sum() == 4


def test_newcomer_retention_over_the_year_before_last(wcon):
    """Newcomers of (as_of - 24 months, as_of - 12 months], back 30-365 days after their first
    commit: alice (Jan 5; Jan 20 is too soon, Feb 10 counts), bob (Feb 1 04:30Z; Mar 15),
    dave (Feb 29 23:00Z; Sep 1) are retained; carol (May 1) and erin (Jun 1) never come back.
    Alice's October merge does not count."""

    def one(as_of: str) -> tuple[int, int, float | None]:
        r = run_metric(wcon, "newcomer_retention", repo=W, params={"as_of": as_of}).iloc[0]
        return int(r.newcomers), int(r.retained), None if pd.isna(r.retention) else r.retention

    assert one("2025-12-31") == (5, 3, 0.6)
    assert one("2025-02-20") == (2, 2, 1.0)  # window ends 2024-02-20: alice and bob
    assert one("2024-03-01") == (0, 0, None)  # nobody's first commit in 2022-03..2023-03
    every = run_metric(wcon, "newcomer_retention", params={"as_of": "2025-12-31"})
    assert every["repo"].tolist() == sorted(every["repo"].tolist())  # one row per repository
    assert every.set_index("repo").loc["acme/empty", "newcomers"] == 0


def test_newcomer_retention_by_quarter(wcon):
    """Q1 2024: alice (Jan 5; back Feb 10), bob (Feb 1; Mar 15), dave (Feb 29; Sep 1), all
    retained; Q2: carol (May 1) and erin (Jun 1), never back. As of 2025-03-01 Q1's year has
    ended (dave's first + 365 days = 2025-02-28) and Q2's has not."""
    df = run_metric(wcon, "newcomer_retention_by_quarter", repo=W, params={"as_of": "2025-03-01"})
    got = {
        pd.Timestamp(r.quarter).date(): (r.newcomers, r.retained, r.complete)
        for r in df.itertuples()
    }
    assert got == {date(2024, 1, 1): (3, 3, True), date(2024, 4, 1): (2, 0, False)}
    # as of 2024-03-10 only alice is back yet (bob's Mar 15 and dave's Sep 1 come later)
    early = run_metric(
        wcon, "newcomer_retention_by_quarter", repo=W, params={"as_of": "2024-03-10"}
    )
    assert [(r.newcomers, r.retained, r.complete) for r in early.itertuples()] == [(3, 1, False)]


def test_new_and_returning_by_quarter(wcon):
    """Active people per UTC quarter, as of 2024-12-01: Q1 2024 alice, bob, dave, all first
    seen then (3 new); Q2 alice back (returning), carol (2024-05-01T01:00Z) and erin new;
    Q3 dave back; Q4 only alice's merge and a bot: no row."""
    df = run_metric(wcon, "new_returning_by_quarter", params={"as_of": "2024-12-01T00:00:00Z"})
    got = {
        (r.repo, pd.Timestamp(r.quarter).date()): (r.new_contributors, r.returning_contributors)
        for r in df.itertuples()
    }
    assert got == {
        (W, date(2024, 1, 1)): (3, 0),
        (W, date(2024, 4, 1)): (2, 1),
        (W, date(2024, 7, 1)): (0, 1),
        # sam: first commit 2023-12-01 (Q4 2023); back 2024-10-01, -02 and at as_of itself
        ("solo/one", date(2023, 10, 1)): (1, 0),
        ("solo/one", date(2024, 10, 1)): (0, 1),
    }  # acme/empty has no commits: no rows


def test_new_and_returning_by_quarter_as_of_cuts_in_utc(wcon):
    """Carol's 2024-04-30T22:00-03:00 is 2024-05-01T01:00Z: an hour after it she is Q2's one
    newcomer; at 2024-05-01T00:00Z she (and alice's May 2) are still in the future."""
    after = run_metric(
        wcon, "new_returning_by_quarter", repo=W, params={"as_of": "2024-05-01T02:00:00Z"}
    )
    assert [(r.new_contributors, r.returning_contributors) for r in after.itertuples()] == [
        (3, 0),
        (1, 0),
    ]
    before = run_metric(
        wcon, "new_returning_by_quarter", repo=W, params={"as_of": "2024-05-01T00:00:00Z"}
    )
    assert [(r.new_contributors, r.returning_contributors) for r in before.itertuples()] == [(3, 0)]

"""Responsiveness metrics (GitHub tables) on conftest.build_widget's acme/widget, by hand.

Items (bots' items #4 renovate[bot] and #8 dependabot are left out everywhere):
  #1 issue  carol 2024-03-01 00:00, replies: carol (author), dependabot (bot), alice +10 h;
            closed +48 h
  #2 issue  bob 2024-03-10 00:00, alice +4 h; a github-actions[bot] comment; open
  #3 issue  carol 2024-03-31T23:00-02:00 = 2024-04-01 01:00Z (April), no reply, closed +24 h
  #5 PR     bob 2024-03-02, alice review +6 h, merged 2024-03-04 (+48 h)
  #6 PR     carol 2024-03-20, self comment + self review, bob +24 h, alice review 2024-04-01,
            merged 2024-04-02 12:00 (+324 h)
  #7 PR     bob 2024-04-05, closed unmerged 2024-04-06, no reply
  #9 PR     alice 2024-04-10, bob PENDING review, merged 2024-04-11 (+24 h), carol review
            2024-04-20 (+240 h, after the merge), alice's own comment
  #10 issue bob 2024-04-14 12:00, open
  #11 issue carol 2023-01-01, closed 2024-05-01 (+11664 h)
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ossmetrics.metrics import run_metric

W = "acme/widget"


def rows(df: pd.DataFrame, *keys: str) -> dict:
    out = {}
    for r in df.to_dict("records"):
        k = tuple(pd.Timestamp(r[x]).date() if x == "month" else r[x] for x in keys)
        out[k if len(k) > 1 else k[0]] = r
    return out


def test_time_to_first_response(wcon):
    got = rows(run_metric(wcon, "time_to_first_response", repo=W), "item_type", "month")
    mar, apr = date(2024, 3, 1), date(2024, 4, 1)
    i_mar = got[("issue", mar)]
    assert (i_mar["items"], i_mar["responded"]) == (2, 2)  # #1 10 h, #2 4 h
    assert i_mar["median_hours"] == pytest.approx(7.0)
    assert i_mar["p90_hours"] == pytest.approx(4 + 0.9 * 6)
    i_apr = got[("issue", apr)]  # #3 (April in UTC) and #10, no replies
    assert (i_apr["items"], i_apr["responded"]) == (2, 0) and pd.isna(i_apr["median_hours"])
    p_mar = got[("pull_request", mar)]  # #5 6 h, #6 24 h (bob; carol's own replies skipped)
    assert (p_mar["items"], p_mar["median_hours"]) == (2, pytest.approx(15.0))
    assert p_mar["p90_hours"] == pytest.approx(6 + 0.9 * 18)
    p_apr = got[("pull_request", apr)]  # #7 none; #9 PENDING skipped, carol at 240 h
    assert (p_apr["items"], p_apr["responded"], p_apr["median_hours"]) == (2, 1, 240.0)
    assert got[("issue", date(2023, 1, 1))]["responded"] == 0  # #11
    assert len(got) == 5  # no row for the bots' items


def test_time_to_first_response_since(wcon):
    df = run_metric(wcon, "time_to_first_response", repo=W, params={"since": "2024-04-30"})
    assert {pd.Timestamp(m).date() for m in df["month"]} == {date(2024, 4, 1)}


def test_time_to_close_issues(wcon):
    got = rows(run_metric(wcon, "time_to_close", repo=W), "month")
    assert {k: (v["closed"], v["median_hours"]) for k, v in got.items()} == {
        date(2024, 3, 1): (1, 48.0),
        date(2024, 4, 1): (1, 24.0),
        date(2024, 5, 1): (1, 11664.0),  # 486 days
    }


def test_time_to_merge(wcon):
    got = rows(run_metric(wcon, "time_to_merge", repo=W), "month")
    assert got[date(2024, 3, 1)]["merged"] == 1 and got[date(2024, 3, 1)]["median_hours"] == 48.0
    apr = got[date(2024, 4, 1)]  # #6 324 h, #9 24 h (the bot's 1-hour merge is left out)
    assert (apr["merged"], apr["median_hours"]) == (2, pytest.approx(174.0))
    assert apr["p90_hours"] == pytest.approx(24 + 0.9 * 300)


def test_change_request_closure_ratio(wcon):
    got = rows(run_metric(wcon, "change_request_closure_ratio", repo=W), "month")
    # Mar: opened #5 #6, closed #5 -> 0.5.  Apr: opened #7 #9, closed #6 #7 #9 -> 1.5
    assert {k: (v["opened"], v["closed"], v["closure_ratio"]) for k, v in got.items()} == {
        date(2024, 3, 1): (2, 1, 0.5),
        date(2024, 4, 1): (2, 3, 1.5),
    }


def test_pr_acceptance_ratio(wcon):
    got = rows(run_metric(wcon, "pr_acceptance_ratio", repo=W), "month")
    assert (got[date(2024, 3, 1)]["merged"], got[date(2024, 3, 1)]["acceptance_ratio"]) == (1, 1.0)
    apr = got[date(2024, 4, 1)]  # merged #6 #9, closed unmerged #7
    assert (apr["merged"], apr["closed_unmerged"]) == (2, 1)
    assert apr["acceptance_ratio"] == pytest.approx(2 / 3)


def test_review_coverage(wcon):
    got = rows(run_metric(wcon, "review_coverage", repo=W), "month")
    assert (got[date(2024, 3, 1)]["reviewed"], got[date(2024, 3, 1)]["review_coverage"]) == (1, 1.0)
    # Apr: #6 reviewed by alice before the merge; #9's reviews are PENDING or after the merge
    apr = got[date(2024, 4, 1)]
    assert (apr["merged"], apr["reviewed"], apr["review_coverage"]) == (2, 1, 0.5)


def test_open_issue_age(wcon):
    df = run_metric(wcon, "open_issue_age", repo=W, params={"as_of": "2024-04-15T00:00:00Z"})
    assert len(df) == 10  # 5 buckets x 2 item types, zeros included
    got = {(r["item_type"], r["age_bucket"]): r for r in df.to_dict("records")}
    # open on 2024-04-15: #10 (0.5 days), #2 (36 days), #11 (470 days); no pull request open
    assert {k: v["open_items"] for k, v in got.items() if v["open_items"]} == {
        ("issue", "0-7 days"): 1,
        ("issue", "30-90 days"): 1,
        ("issue", "365+ days"): 1,
    }
    assert got[("issue", "30-90 days")]["median_age_days"] == pytest.approx(36.0)
    assert got[("issue", "365+ days")]["median_age_days"] == pytest.approx(470.0)
    assert df[df["item_type"] == "pull_request"]["open_items"].sum() == 0


def test_backlog_growth(wcon):
    df = run_metric(wcon, "backlog_growth", repo=W)
    assert len(df) == 17  # 2023-01 .. 2024-05, gaps filled
    assert df["open_at_month_end"].iloc[0] == 1 and df["open_at_month_end"].iloc[13] == 1
    tail = run_metric(wcon, "backlog_growth", repo=W, params={"since": "2024-03-01"})
    # Mar: opened #1 #2, closed #1; Apr: opened #3 #10, closed #3; May: closed #11
    assert tail[["opened", "closed", "net_change", "open_at_month_end"]].values.tolist() == [
        [2, 1, 1, 2],
        [2, 1, 1, 3],
        [0, 1, -1, 2],
    ]


def test_days_since_last_maintainer_response(wcon):
    df = run_metric(wcon, "days_since", repo=W, params={"as_of": "2024-05-01T00:00:00Z"})
    # last MEMBER comment on someone else's item: alice's review on #6 at 2024-04-01 (her
    # comment on her own #9 and github-actions[bot]'s do not count) -> 30 days
    row = df.iloc[0]
    assert pd.Timestamp(row["last_maintainer_response_at"]) == pd.Timestamp("2024-04-01T00:00Z")
    assert row["days_since_last_maintainer_response"] == 30


@pytest.mark.parametrize(
    "name",
    [
        "time_to_first_response",
        "time_to_close",
        "time_to_merge",
        "change_request_closure_ratio",
        "pr_acceptance_ratio",
        "review_coverage",
        "open_issue_age",
        "backlog_growth",
    ],
)
def test_repository_without_github_data_gives_empty_result(wcon, name):
    assert run_metric(wcon, name, repo="solo/one").empty


def test_time_to_first_response_issues_and_pull_requests_together(wcon):
    """``by_type := false`` (the report's monthly chart): one item_type 'all' per month."""
    df = run_metric(wcon, "time_to_first_response", repo=W, params={"by_type": "false"})
    got = rows(df, "item_type", "month")
    mar = got[("all", date(2024, 3, 1))]  # #1 10 h, #2 4 h, #5 6 h, #6 24 h
    assert (mar["items"], mar["responded"], mar["median_hours"]) == (4, 4, pytest.approx(8.0))
    apr = got[("all", date(2024, 4, 1))]  # #3, #10, #7 unanswered; #9 240 h
    assert (apr["items"], apr["responded"], apr["median_hours"]) == (4, 1, 240.0)
    assert got[("all", date(2023, 1, 1))]["responded"] == 0  # #11
    assert len(got) == 3

"""Release metrics and health_summary on conftest.build_widget's history, by hand.

acme/widget releases: v0.9 2020-06-01, v1.0 2022-06-01, v1.1 2023-03-01, v1.2rc1 2023-05-01
(prerelease), v1.2 2023-06-01, v2.0 (draft, unpublished), v2.1 2024-02-01.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ossmetrics.metrics import run_metric

W = "acme/widget"
AS_OF = "2024-12-01T00:00:00Z"


def test_release_frequency(wcon):
    df = run_metric(wcon, "release_frequency", repo=W)
    assert df["year"].tolist() == [2020, 2021, 2022, 2023, 2024]
    assert df["releases"].tolist() == [1, 0, 1, 2, 1]
    assert df["prereleases"].tolist() == [0, 0, 0, 1, 0]
    # gaps to the previous release: 2022 730 days (v0.9 -> v1.0); 2023 273 (v1.0 -> v1.1) and
    # 92 (v1.1 -> v1.2, the prerelease skipped); 2024 245 (v1.2 -> v2.1)
    med = df["median_days_between"].tolist()
    assert pd.isna(med[0]) and pd.isna(med[1])
    assert med[2:] == [730.0, pytest.approx((273 + 92) / 2), 245.0]
    assert run_metric(wcon, "release_frequency", repo=W, params={"since": "2023-07-01"})[
        "year"
    ].tolist() == [2023, 2024]


def test_days_since_last_release(wcon):
    df = run_metric(wcon, "days_since", repo=W, params={"as_of": "2024-05-01T00:00:00Z"})
    assert df["days_since_last_release"].iloc[0] == 90  # v2.1 2024-02-01 (leap year)
    assert run_metric(wcon, "release_frequency", repo="solo/one").empty
    solo = run_metric(wcon, "days_since", repo="solo/one")
    assert pd.isna(solo["days_since_last_release"].iloc[0])


def test_health_summary_widget(wcon):
    df = run_metric(wcon, "health_summary", repo=W, params={"as_of": AS_OF})
    assert len(df) == 1
    r = df.iloc[0].to_dict()
    expected = {
        "commits_12m": 11,
        "active_contributors_12m": 5,
        "new_contributors_12m": 5,  # everyone's first commit is in 2024
        # cohorts Jan {alice}, Feb {bob, dave}, May {carol}, Jun {erin}: alice and bob return
        "retention_3m": 2 / 5,
        "bus_factor_12m": 2,
        "elephant_factor": 1,
        "top_share": 5 / 11,
        "gini": 18 / 55,
        "inactive_contributors": 4,  # alice, bob, carol, erin
        "days_since_last_commit": 47,
        "days_since_last_release": 304,  # 2024-02-01 -> 2024-12-01
        "releases_12m": 1,
        "has_github_data": True,
        # responses within the window: #1 10, #2 4, #5 6, #6 24, #9 240 -> median 10
        "median_first_response_hours": 10.0,
        "median_close_hours": 48.0,  # #1 48, #3 24, #11 11664
        "median_merge_hours": 48.0,  # #5 48, #6 324, #9 24
        "pr_acceptance_ratio": 3 / 4,  # #5 #6 #9 merged, #7 not
        "review_coverage": 2 / 3,  # #5 and #6 reviewed, #9 not
        "open_issues": 2,  # #2 and #10
        "open_prs": 0,
        "days_since_last_maintainer_response": 244,  # 2024-04-01 -> 2024-12-01
    }
    for key, value in expected.items():
        assert r[key] == pytest.approx(value), key


def test_health_summary_agrees_with_the_metrics(wcon):
    """Each headline number equals the metric it summarises, for every repository."""
    p = {"as_of": AS_OF}
    hs = run_metric(wcon, "health_summary", params=p).set_index("repo")
    assert list(hs.index) == ["acme/empty", "acme/widget", "solo/one"]
    pairs = [
        ("bus_factor", "commits", "commits_12m"),
        ("bus_factor", "contributors", "active_contributors_12m"),
        ("bus_factor", "bus_factor", "bus_factor_12m"),
        ("elephant_factor", "elephant_factor", "elephant_factor"),
        ("top_contributor_share", "top_share", "top_share"),
        ("commit_gini", "gini", "gini"),
        ("days_since", "days_since_last_commit", "days_since_last_commit"),
        ("days_since", "days_since_last_release", "days_since_last_release"),
        (
            "days_since",
            "days_since_last_maintainer_response",
            "days_since_last_maintainer_response",
        ),
    ]
    for metric, col, hcol in pairs:
        m = run_metric(wcon, metric, params=p).set_index("repo")[col]
        pd.testing.assert_series_equal(
            m.astype("float64"), hs[hcol].astype("float64"), check_names=False
        )
    inactive = run_metric(wcon, "inactive_contributors", params=p).groupby("repo").size()
    assert hs["inactive_contributors"].to_dict() == {
        "acme/empty": 0,
        "acme/widget": int(inactive.get("acme/widget", 0)),
        "solo/one": int(inactive.get("solo/one", 0)),
    }


def test_health_summary_without_github_data(wcon):
    r = run_metric(wcon, "health_summary", repo="solo/one", params={"as_of": AS_OF}).iloc[0]
    assert (r["commits_12m"], r["bus_factor_12m"], r["gini"], r["top_share"]) == (3, 1, 0.0, 1.0)
    assert not r["has_github_data"]
    for col in ("median_first_response_hours", "pr_acceptance_ratio", "open_issues"):
        assert pd.isna(r[col]), col
    empty = run_metric(wcon, "health_summary", repo="acme/empty", params={"as_of": AS_OF}).iloc[0]
    assert empty["commits_12m"] == 0 and pd.isna(empty["bus_factor_12m"])
    assert pd.isna(empty["days_since_last_commit"])

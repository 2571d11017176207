"""Concentration metrics, as of 2024-12-01, on conftest.build_widget's history.

acme/widget commits in the 12-month window (2023-12-01, 2024-12-01] (non-merge, non-bot):
alice 5 (acme.com), bob 2 (acme.com), dave 2 (no organisation), carol 1 (globex.com),
erin 1 (initech.com): 11 commits, 5 persons.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ossmetrics.metrics import run_metric

W = "acme/widget"
AS_OF = {"as_of": "2024-12-01T00:00:00Z"}


def one(con, name, repo, **params):
    df = run_metric(con, name, repo=repo, params={**AS_OF, **params})
    assert len(df) == 1
    return df.iloc[0]


def test_bus_factor(wcon):
    row = one(wcon, "bus_factor", W)
    # alice 5 < 11/2; alice + bob (tie with dave, 2 each) = 7 >= 5.5 -> 2
    assert (row["commits"], row["contributors"], row["bus_factor"]) == (11, 5, 2)
    assert pd.Timestamp(row["window_start"]) == pd.Timestamp("2023-12-01T00:00:00Z")


def test_bus_factor_shorter_window(wcon):
    # 8 months: (2024-04-01, 2024-12-01] holds alice (May), carol (May), erin (Jun), dave (Sep):
    # four people with one commit each -> 2 of them make half.
    row = one(wcon, "bus_factor", W, months=8)
    assert (row["commits"], row["contributors"], row["bus_factor"]) == (4, 4, 2)


def test_elephant_factor(wcon):
    row = one(wcon, "elephant_factor", W)
    # affiliated: acme 7, globex 1, initech 1 = 9 of 11 (dave has no organisation);
    # acme alone has 7 >= 4.5 -> 1
    assert row["commits"] == 11 and row["affiliated_commits"] == 9
    assert row["affiliated_share"] == pytest.approx(9 / 11)
    assert (row["organizations"], row["elephant_factor"], row["top_organization"]) == (
        3,
        1,
        "acme.com",
    )
    # 8 months: acme 1 (alice), globex 1 (carol), initech 1 (erin) -> 2 of 3 needed
    short = one(wcon, "elephant_factor", W, months=8)
    assert (short["affiliated_commits"], short["elephant_factor"]) == (3, 2)


def test_top_contributor_share(wcon):
    row = one(wcon, "top_contributor_share", W)
    assert row["top_commits"] == 5 and row["top_share"] == pytest.approx(5 / 11)
    names = dict(wcon.execute("SELECT person_id, display_name FROM people").fetchall())
    assert names[row["top_person_id"]] == "alice"


def test_gini(wcon):
    row = one(wcon, "commit_gini", W)
    # x = 1, 1, 2, 2, 5 (n = 5, sum 11): sum((2i - 6) x_i) = -4 - 2 + 0 + 4 + 20 = 18 -> 18/55
    assert row["gini"] == pytest.approx(18 / 55)


def test_single_contributor_and_window_edges(wcon):
    # solo/one: sam at 2023-12-01T00:00Z (the window start: excluded), 2024-10-01, 2024-10-02 and
    # 2024-12-01T00:00Z (as_of itself: included) -> 3 commits by one person.
    assert one(wcon, "bus_factor", "solo/one")[["commits", "bus_factor"]].tolist() == [3, 1]
    assert one(wcon, "commit_gini", "solo/one")["gini"] == 0.0
    assert one(wcon, "top_contributor_share", "solo/one")["top_share"] == 1.0
    assert one(wcon, "elephant_factor", "solo/one")["top_organization"] == "solo.dev"


def test_empty_repository_has_a_row_with_nulls(wcon):
    for name in ("bus_factor", "elephant_factor", "top_contributor_share", "commit_gini"):
        row = one(wcon, name, "acme/empty")
        assert row["commits"] == 0
    assert pd.isna(one(wcon, "bus_factor", "acme/empty")["bus_factor"])
    assert pd.isna(one(wcon, "commit_gini", "acme/empty")["gini"])
    assert pd.isna(one(wcon, "elephant_factor", "acme/empty")["elephant_factor"])


def test_all_repositories_at_once(wcon):
    df = run_metric(wcon, "bus_factor", params=AS_OF)
    assert df["repo"].tolist() == ["acme/empty", "acme/widget", "solo/one"]
    assert df["commits"].tolist() == [0, 11, 3]


def test_person_commit_share(wcon):
    names = dict(wcon.execute("SELECT person_id, display_name FROM people").fetchall())
    df = run_metric(wcon, "person_commit_share", params=AS_OF)
    got = [(r.repo, names[r.person_id], r.commits, r.share) for r in df.itertuples()]
    # widget: 11 commits in (2023-12-01, 2024-12-01]; bob and dave tie at 2 (bob's id is lower)
    # solo/one: sam's 2023-12-01 is on the window's open end, 2024-12-01 on its closed end: 3
    # acme/empty: no commits, no rows
    assert got == [
        (W, "alice", 5, pytest.approx(5 / 11)),
        (W, "bob", 2, pytest.approx(2 / 11)),
        (W, "dave", 2, pytest.approx(2 / 11)),
        (W, "carol", 1, pytest.approx(1 / 11)),
        (W, "erin", 1, pytest.approx(1 / 11)),
        ("solo/one", "sam", 3, 1.0),
    ]
    # the top person's share is top_contributor_share's figure
    assert df.iloc[0]["share"] == one(wcon, "top_contributor_share", W)["top_share"]
    # 6 months, (2024-06-01, 2024-12-01]: erin's 2024-06-01T00:00Z falls just outside; dave's Sep 1
    short = run_metric(wcon, "person_commit_share", repo=W, params={**AS_OF, "months": 6})
    assert [(names[r.person_id], r.commits, r.share) for r in short.itertuples()] == [
        ("dave", 1, 1.0)
    ]

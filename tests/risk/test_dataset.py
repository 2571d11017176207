"""Snapshots, labels and features on a hand-built store (counts worked out in tiny.py)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ossmetrics.errors import InsufficientHistory
from ossmetrics.risk.dataset import build_dataset, build_scoring_set
from ossmetrics.risk.features import FEATURES
from ossmetrics.risk.snapshots import add_months, repo_data_ends, snapshot_grid
from tests.risk.tiny import TinyStore, monthly, standard_store, store_truck_factors


def test_add_months_clamps_and_grid_is_anchored_at_the_end() -> None:
    assert add_months(date(2024, 8, 31), -6) == date(2024, 2, 29)
    assert add_months(date(2024, 1, 15), 12) == date(2025, 1, 15)
    grid = snapshot_grid(date(2022, 12, 15), date(2019, 1, 10))
    assert grid == [
        date(2019, 6, 15),
        date(2019, 12, 15),
        date(2020, 6, 15),
        date(2020, 12, 15),
        date(2021, 6, 15),
        date(2021, 12, 15),
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The standard store and its data set, built once for the tests that only read them."""
    from ossmetrics.store import connect

    c = connect(tmp_path_factory.mktemp("risk") / "s.duckdb")
    standard_store(c)
    store_truck_factors(c)
    yield c, build_dataset(c)
    c.close()


def _row(df: pd.DataFrame, repo: str, d: date) -> pd.Series:
    hit = df[(df["repo"] == repo) & (df["as_of"] == d)]
    assert len(hit) == 1, (repo, d)
    return hit.iloc[0]


def test_labels_and_features_by_hand(built) -> None:
    con, ds = built
    ends = repo_data_ends(con)
    assert ends.global_end == date(2022, 12, 15) and ends.truncated == {}
    r = _row(ds.rows, "acme/fading", date(2020, 12, 15))
    # alice 2/month in 2020 (24), bob on the 20th from 2019-12 to 2020-06 (7)
    assert r["commits_12m"] == 31
    assert r["commits_prev_12m"] == 35  # alice 24 + bob 2019-01..2019-11 (11)
    assert r["top1_share"] == pytest.approx(24 / 31)
    assert r["top1_other_projects"] == 1  # alice also works on acme/side
    assert r["authors_12m"] == 2 and r["bus_factor_12m"] == 1
    assert r["commits_next_12m"] == 0 and r["dormant"] == 1.0
    s = _row(ds.rows, "acme/steady", date(2020, 12, 15))
    assert s["commits_12m"] == 36  # carol 24 + dave 12; the bot's 12 are not counted
    assert s["dormant"] == 0.0 and s["top1_other_projects"] == 0
    # the last labelled date is the data end minus 12 months; fading is not eligible after 2021-06
    assert max(ds.rows["as_of"]) == date(2021, 12, 15)
    # young (first commit < 2 years before T, i.e. until 2021-01) also every 3 months; 2019-03-15
    # is not eligible (alice 6 + bob 2 = 8 commits in the 12 months before it)
    assert set(ds.rows[ds.rows["repo"] == "acme/fading"]["as_of"]) == {
        date(2019, 6, 15),
        date(2019, 9, 15),
        date(2019, 12, 15),
        date(2020, 3, 15),
        date(2020, 6, 15),
        date(2020, 9, 15),
        date(2020, 12, 15),
        date(2021, 6, 15),
    }
    # graph of fading at 2020-12-15: alice and bob, no shared file, alice's other project
    g = ds.graphs[
        int(
            ds.rows.index[
                (ds.rows["repo"] == "acme/fading") & (ds.rows["as_of"] == date(2020, 12, 15))
            ][0]
        )
    ]
    assert len(g.person_ids) == 2 and g.collab_index.shape == (2, 0)
    assert g.x_other.shape == (1, 5) and g.work_index.shape == (2, 1)
    # steady: carol and dave share lib/main.c -> one edge each way
    gs = ds.graphs[
        int(
            ds.rows.index[
                (ds.rows["repo"] == "acme/steady") & (ds.rows["as_of"] == date(2020, 12, 15))
            ][0]
        )
    ]
    assert gs.collab_index.shape == (2, 2)


def test_trajectory_features_by_hand(built) -> None:
    _, ds = built
    r = _row(ds.rows, "acme/fading", date(2020, 12, 15))  # cut 2020-12-16 00:00 UTC
    # last 6 months (from 2020-06-16): alice Jul..Dec 2 each (12) + bob 2020-06-20 -> 13 of 31
    assert (r["commits_6m"], r["commits_prev_6m"]) == (13, 18)
    assert r["log_commits_6m"] == pytest.approx(np.log(14))
    assert r["half_trend"] == pytest.approx(np.log(14 / 19))
    # longest silence: alice's 11th to the next month's 10th, 30 days (Jul->Aug, Aug->Sep, Oct->Nov)
    assert r["longest_gap_12m"] == 30
    assert r["log_longest_gap_12m"] == pytest.approx(np.log(31))
    assert r["log_authors_3m"] == pytest.approx(np.log(2))  # alice alone since 2020-09-16
    # months k = floor(days before the cut / 30.44): 2 commits in k = 0..4, 3 in k = 5..11, so
    # slope = 12 * sum((5.5 - k) ln(1 + n_k)) / 143 = 12 * 17.5 * ln(3/4) / 143
    assert r["monthly_slope"] == pytest.approx(210 / 143 * np.log(0.75))
    # key people alice and bob (one file each): all 31 and the 35 before; all of the last 3 months
    assert r["key_trend"] == pytest.approx(np.log(32 / 36))
    assert r["key_recent_share"] == pytest.approx(1.0)


def test_core_loss_label_uses_key_people(built) -> None:
    _con, ds = built
    r = _row(ds.rows, "acme/fading", date(2020, 12, 15))
    assert r["n_keys"] >= 1 and r["core_loss"] == 1.0  # nobody commits after
    s = _row(ds.rows, "acme/steady", date(2020, 12, 15))
    assert s["core_loss"] == 0.0


def test_no_look_ahead_future_commits_change_nothing(con) -> None:
    t = standard_store(con)
    d = date(2020, 12, 15)
    store_truck_factors(con, [d])
    before = build_scoring_set(con, d).rows.set_index("repo")[list(FEATURES)]
    # a burst of commits from the day after T onwards, in every project, by a new person
    t.person("eve")
    for repo in ("acme/fading", "acme/steady", "acme/side"):
        t.commits(
            repo, "eve", [date(2020, 12, 16), *monthly(date(2021, 1, 1), 20, 3)], "src/core.py"
        )
    store_truck_factors(con, [d])  # the graph stage rerun after the burst: T's history is the same
    after = build_scoring_set(con, d).rows.set_index("repo")[list(FEATURES)]
    pd.testing.assert_frame_equal(before, after)
    # and the label does see them
    store_truck_factors(con)
    r = _row(build_dataset(con).rows, "acme/fading", d)
    assert r["commits_next_12m"] == 37 and r["dormant"] == 0.0


def test_too_little_history_says_what_is_missing(con) -> None:
    t = TinyStore(con)
    t.person("solo")
    t.commits("solo/young", "solo", monthly(date(2024, 1, 1), 6, 3))
    with pytest.raises(InsufficientHistory) as e:
        build_dataset(con)
    msg = e.value.one_line()
    assert "12 months of history after T" in msg and "shipped model" in msg


def test_empty_store_is_insufficient(con) -> None:
    with pytest.raises(InsufficientHistory, match="no non-bot commits"):
        build_dataset(con)


def test_truncated_snapshot_gets_its_own_data_end(con) -> None:
    t = TinyStore(con)
    t.person("busy")
    t.person("other")
    # busy: 100 commits in the 90 days before 2022-03-31, then the snapshot ends
    days = [
        add_months(date(2022, 1, 1), 0) + pd.Timedelta(days=k % 89).to_pytimedelta()
        for k in range(100)
    ]
    t.commits("acme/busy", "busy", days)
    t.commits("acme/calm", "other", monthly(date(2020, 1, 1), 36))
    ends = repo_data_ends(con)
    assert ends.global_end == date(2022, 12, 10)
    busy = con.execute("SELECT repo_id FROM repos WHERE full_name = 'acme/busy'").fetchone()[0]
    assert ends.truncated == {busy: max(days)}
    assert ends.for_repo(busy) == max(days)


def test_stored_truck_factors_are_reused_when_they_describe_t(con) -> None:
    from ossmetrics.risk.dataset import _stored_truck_factors

    standard_store(con)
    rid = con.execute("SELECT repo_id FROM repos WHERE full_name = 'acme/fading'").fetchone()[0]
    con.execute(
        "INSERT INTO graph_repo_measures VALUES (?, DATE '2026-01-01', 'truck_factor', 1, ?), "
        "(?, DATE '2020-12-01', 'truck_factor', 2, ?)",
        [rid, '{"key_people": [1], "bus_factor_all_history": 1}', rid, '{"key_people": [1, 2]}'],
    )
    got = _stored_truck_factors(
        con, {rid: [date(2022, 12, 15), date(2020, 12, 15), date(2020, 6, 15)]}
    )
    # 2026 row: fading's last commit (2020-12-11) is before 2022-12-15, so its history is the same
    assert got[(rid, date(2022, 12, 15))][:2] == ([1], 1.0)
    # 2020-12-01 row: 14 days before T serves T; nothing within 31 days of 2020-06-15
    assert got[(rid, date(2020, 12, 15))][0] == [1, 2]
    assert (rid, date(2020, 6, 15)) not in got


def test_tied_collaboration_edges_are_kept_by_person_id(con) -> None:
    """12 people all editing one file: 66 pairs of equal weight 1/11, only 4 per person kept.
    Which ones must not depend on the order DuckDB returns them in (it did: the data set and the
    retrained model changed between identical runs): the lowest (src, dst) pairs win."""
    from itertools import combinations

    from ossmetrics.risk.graphs import EDGES_PER_NODE

    t = TinyStore(con)
    names = [f"p{i:02d}" for i in range(12)]
    for n in names:
        t.person(n)
    for n in names:
        t.commits("acme/crowd", n, monthly(date(2019, 1, 1), 48, 1), "shared.py")
    store_truck_factors(con)
    graphs = []
    for threads in (1, 4):
        con.execute(f"SET threads = {threads}")
        ds = build_dataset(con)
        graphs.append(ds.graphs[-1])
    g = graphs[0]
    assert len(g.person_ids) == 12 and list(g.person_ids) == sorted(g.person_ids)
    kept = {(int(a), int(b)) for a, b in zip(*g.collab_index, strict=True) if a < b}
    expected = set(list(combinations(range(12), 2))[: EDGES_PER_NODE * 12])
    assert kept == expected
    assert np.allclose(g.collab_weight, np.log1p(1 / 11))
    for field in ("collab_index", "collab_weight", "work_index", "x_contributor"):
        assert np.array_equal(getattr(graphs[0], field), getattr(graphs[1], field)), field

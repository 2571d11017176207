"""The figures the pages show, against values computed by hand from tests/report/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ossmetrics.report.data_people import key_people
from ossmetrics.report.model import SiteData, parse_drivers
from ossmetrics.report.render import json_safe
from ossmetrics.store import connect


@pytest.fixture(scope="module")
def sd(store_path: Path) -> SiteData:
    con = connect(store_path)
    try:
        return SiteData.load(con, None)
    finally:
        con.close()


@pytest.fixture(scope="module")
def rows(sd: SiteData) -> pd.DataFrame:
    return sd.portfolio_rows().set_index("repo")


def test_reference_date_is_newest_commit(sd: SiteData) -> None:
    assert sd.ref.isoformat() == "2024-06-30T00:00:00+00:00"


def test_activity_figures(rows: pd.DataFrame) -> None:
    a = rows.loc["acme/rocket"]
    # window (2023-06-30, 2024-06-30]: alice 09-01, 03-01, 06-30; bob 05-01; bots left out
    assert a["commits_12m"] == 4
    assert a["contributors_12m"] == 2
    # (2022-06-30, 2023-06-30]: alice x2, bob x2, carol x1
    assert a["contributors_prev_12m"] == 3
    assert a["contributors_trend"] == pytest.approx(-1 / 3)
    # newcomers bob (back after 59 days) and carol (never back)
    assert a["newcomers_prev_year"] == 2
    assert a["newcomer_retention"] == pytest.approx(0.5)
    b = rows.loc["beta/quiet"]
    assert (b["commits_12m"], b["contributors_12m"], b["contributors_prev_12m"]) == (1, 1, 0)


def test_github_figures(rows: pd.DataFrame, sd: SiteData) -> None:
    a = rows.loc["acme/rocket"]
    assert a["github_collected"]
    assert a["first_response_h"] == pytest.approx(7.5)  # median of 5 h and 10 h
    assert a["merge_h"] == pytest.approx(48.0)
    # days_since's last release: the draft and the pre-release (2024-04-01) are left out
    assert pd.Timestamp(a["last_release_at"]).date().isoformat() == "2023-05-01"
    b = rows.loc["beta/quiet"]
    assert not b["github_collected"]
    assert pd.isna(b["first_response_h"]) and pd.isna(b["last_release_at"])
    resp = sd.responsiveness[sd.repos[0].repo_id].set_index("month")
    backlog = {str(k)[:7]: int(v) for k, v in resp["backlog"].items()}
    assert backlog == {"2024-01": 1, "2024-02": 1, "2024-03": 2}
    assert resp["first_response_h"].iloc[0] == pytest.approx(5.0)


def test_graph_risk_and_quadrants(rows: pd.DataFrame, sd: SiteData) -> None:
    a = rows.loc["acme/rocket"]
    assert a["truck_factor"] == 1  # the newest as_of wins over the 2023 row's 5
    assert a["risk"] == 72 and a["risk_kind"] == "model"  # the newest score, not the older 10
    assert a["p_core_loss"] == pytest.approx(0.7)
    # importance is the stored exposure lens (60); the only known value sets the 70th percentile
    assert a["importance"] == 60.0 and a["importance_lens"] == "exposure"
    assert a["quadrant"] == "Fragile and important"
    assert a["importance_reach"] == 80.0 and a["quadrant_reach"] == "Fragile and important"
    assert a["reach_signals"] == "transitive dependents 1,234 (deps.dev, 2024-06-01)"
    assert a["link_confidence"] == "pkg:pypi/rocket 0.95 (depsdev:SLSA_ATTESTATION)"
    assert a["exposure_repos"] == "3 of 4 repositories (2 directly)"
    assert sd.thresholds == {"reach": pytest.approx(20 + 0.7 * 60), "exposure": 60.0}
    # the graph stage's key_people_cross_load (alice also carries beta/quiet), never re-derived
    assert a["key_people_cross_load"] == 1.0
    assert pd.isna(rows.loc["beta/quiet", "key_people_cross_load"])  # no graph row: no figure
    rid = sd.repos[0].repo_id
    ews = sd.elsewhere(rid, 1)
    assert ews[["repo", "commits", "share"]].values.tolist() == [["beta/quiet", 1, 1.0]]
    b = rows.loc["beta/quiet"]
    assert b["risk_kind"].startswith("activity trend")
    assert b["risk"] == 0.0  # 1 contributor now, 0 the year before: 50 - 50 * 1 / 1
    # exposure unknown stays unknown (not 0); by reach (20 < 62) it is neither
    assert pd.isna(b["importance"]) and b["quadrant"] == "Importance unknown"
    assert b["quadrant_reach"] == "Neither" and bool(b["reach_flagged"])
    assert pd.isna(b["truck_factor"])


def test_quarterly_new_and_returning(sd: SiteData) -> None:
    q = sd.quarterly[sd.repos[0].repo_id]
    q1 = q[q["quarter"].astype(str).str.startswith("2023-01")].iloc[0]
    assert (q1["new"], q1["returning"]) == (2, 1)  # bob, carol new; alice returning


def test_key_people_shapes() -> None:
    assert key_people('[3, 1, "2"]') == [3, 1, 2]
    assert key_people('[{"person_id": 4}, {"person_id": 5, "files": 9}]') == [4, 5]
    assert key_people('{"key_people": [7]}') == [7]
    assert key_people(None) == [] and key_people("not json") == []


def test_drivers_in_plain_words() -> None:
    assert parse_drivers('["a", {"factor": "trend", "value": -1}, {"text": "b"}]') == [
        "a",
        "trend: -1",
        "b",
    ]
    assert parse_drivers(None) == []


def test_json_safe_cannot_close_a_script_element() -> None:
    text = json_safe({"name": "</script><script>alert(1)</script>&\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert (
        text
        == '{"name":"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\\u0026\\u2028"}'
    )


def test_csv_downloads_defuse_spreadsheet_formulas(tmp_path: Path) -> None:
    from ossmetrics.report.render import write_table

    write_table(
        pd.DataFrame({"name": ["=HYPERLINK(1)", "Ann", "@x"], "n": [-1, 2, 3]}), tmp_path / "t"
    )
    assert (tmp_path / "t.csv").read_text().splitlines() == [
        "name,n",
        "'=HYPERLINK(1),-1",
        "Ann,2",
        "'@x,3",
    ]
    assert '"name":"=HYPERLINK(1)"' in (tmp_path / "t.json").read_text().replace(" ", "")


def test_page_figures_count_the_commits_health_summary_counts(store_path: Path, tmp_path) -> None:
    """Merges are left out of every figure, as in the metric library: the headline numbers and
    the health_summary row on the same page agree (they did not when the report counted merges).
    The last commit still counts a merge, as days_since does."""
    import shutil

    from ossmetrics.metrics import run_metric
    from ossmetrics.store import get_repo_id

    path = tmp_path / "merges.duckdb"
    shutil.copy(store_path, path)
    con = connect(path)
    try:
        rid = get_repo_id(con, "acme/rocket")
        # merges by alice (1) and carol (3) inside the year, one by bob (2) on the newest day
        for n, (pid, day) in enumerate(((1, "2024-03-15"), (3, "2024-04-15"), (2, "2024-06-30"))):
            con.execute(
                "INSERT INTO commits (repo_id, sha, author_identity, committer_identity, "
                "committed_at, authored_at, n_parents) VALUES (?, ?, ?, ?, ?::TIMESTAMPTZ, "
                "?::TIMESTAMPTZ, 2)",
                [rid, f"m{n:039x}", pid, pid, f"{day} 00:00:00+00", f"{day} 00:00:00+00"],
            )
        sd = SiteData.load(con, None)
        a = sd.portfolio_rows().set_index("repo").loc["acme/rocket"]
        # hand count as in test_activity_figures: merges change nothing (carol stays out)
        assert (a["commits_12m"], a["contributors_12m"], a["contributors_prev_12m"]) == (4, 2, 3)
        hs = run_metric(con, "health_summary", params={"as_of": sd.ref}).set_index("repo")
        h = hs.loc["acme/rocket"]
        assert h["commits_12m"] == a["commits_12m"]
        assert h["active_contributors_12m"] == a["contributors_12m"]
        assert h["median_first_response_hours"] == pytest.approx(a["first_response_h"])
        assert h["median_merge_hours"] == pytest.approx(a["merge_h"])
        # the monthly chart: March 2024 holds alice's one authored commit, not her merge
        monthly = sd.monthly[rid]
        march = monthly[monthly["month"].astype(str).str.startswith("2024-03")]
        assert march["commits"].tolist() == [1]
        # elsewhere: alice's one commit is all of beta/quiet's year, merges in acme ignored
        assert sd.elsewhere(rid, 1)[["repo", "commits", "share"]].values.tolist() == [
            ["beta/quiet", 1, 1.0]
        ]
    finally:
        con.close()

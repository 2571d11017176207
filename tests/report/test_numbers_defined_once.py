"""Every headline number on every page equals the metric that defines it.

One store (the report fixture's), one site built from it; the expected values are computed
here by calling each metric by name, independently of the report's code, and compared with
what each page shows: the portfolio table (index.html and its download), the compare page's
data, every project page (headline cards, the metric-library table, the new-vs-returning
chart's quarters, the key people's share of the other projects they commit to, its JSON
bundle) and the data health page's health_summary download.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ossmetrics.metrics import run_metric
from ossmetrics.store import connect

REF = pd.Timestamp("2024-06-30T00:00:00Z")  # the newest commit's day (test_data checks it)


def _num(v: Any) -> float | None:
    if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def _day(v: Any) -> str | None:
    return None if v is None or v == "" or pd.isna(v) else pd.Timestamp(v).date().isoformat()


@pytest.fixture(scope="module")
def expected(store_path: Path) -> dict[str, dict[str, Any]]:
    """Per repository, each headline figure as its metric gives it."""
    con = connect(store_path, read_only=True)
    try:

        def m(name: str, **params: Any) -> pd.DataFrame:
            return run_metric(con, name, params=params).set_index("repo")

        now = m("health_summary", as_of=REF.to_pydatetime())
        before = m("health_summary", as_of=(REF - pd.DateOffset(months=12)).to_pydatetime())
        new = m("newcomer_retention", as_of=REF.to_pydatetime())
        since = m("days_since", as_of=(REF + pd.Timedelta(days=1)).to_pydatetime())
        graph = con.execute(
            """SELECT r.full_name, g.measure, g.value FROM graph_repo_measures g
               JOIN repos r USING (repo_id)
               WHERE g.as_of = (SELECT max(as_of) FROM graph_repo_measures h
                                WHERE h.repo_id = g.repo_id)"""
        ).fetchall()
    finally:
        con.close()
    out: dict[str, dict[str, Any]] = {}
    for repo in now.index:
        gh = bool(now.loc[repo, "has_github_data"])
        out[repo] = {
            "commits_12m": int(now.loc[repo, "commits_12m"]),
            "contributors_12m": int(now.loc[repo, "active_contributors_12m"]),
            "contributors_prev_12m": int(before.loc[repo, "active_contributors_12m"]),
            "newcomers_prev_year": int(new.loc[repo, "newcomers"]),
            "newcomer_retention": _num(new.loc[repo, "retention"]),
            "first_response_h": _num(now.loc[repo, "median_first_response_hours"]) if gh else None,
            "merge_h": _num(now.loc[repo, "median_merge_hours"]) if gh else None,
            "last_release_at": _day(since.loc[repo, "last_release_at"]) if gh else None,
            "last_commit_at": _day(since.loc[repo, "last_commit_at"]),
            "truck_factor": next(
                (v for r, k, v in graph if r == repo and k == "truck_factor"), None
            ),
            "key_people_cross_load": next(
                (v for r, k, v in graph if r == repo and k == "key_people_cross_load"), None
            ),
            "summary": now.loc[repo].to_dict(),
        }
    return out


@pytest.fixture(scope="module")
def series(store_path: Path) -> dict[str, Any]:
    """The project pages' series, as their metrics give them: ``quarters`` (per repository,
    new_returning_by_quarter as of the end of REF's day: (quarter, new, returning)) and
    ``shares`` (person_commit_share as of REF: (person_id, repository) -> (commits, share))."""
    con = connect(store_path, read_only=True)
    try:
        day_end = (REF + pd.Timedelta(days=1)).to_pydatetime()
        q = run_metric(con, "new_returning_by_quarter", params={"as_of": day_end})
        s = run_metric(con, "person_commit_share", params={"as_of": REF.to_pydatetime()})
    finally:
        con.close()
    quarters: dict[str, list[tuple[str, int, int]]] = {}
    for r in q.itertuples():
        quarters.setdefault(r.repo, []).append(
            (
                pd.Timestamp(r.quarter).date().isoformat(),
                r.new_contributors,
                r.returning_contributors,
            )
        )
    shares = {(int(r.person_id), r.repo): (int(r.commits), float(r.share)) for r in s.itertuples()}
    return {"quarters": quarters, "shares": shares}


FIGURES = [
    "commits_12m", "contributors_12m", "contributors_prev_12m", "newcomers_prev_year",
    "newcomer_retention", "first_response_h", "merge_h", "truck_factor", "key_people_cross_load",
]  # fmt: skip


def _same(got: Any, want: Any, what: str) -> None:
    if want is None:
        assert _num(got) is None, what
    else:
        assert _num(got) == pytest.approx(want), what


def test_the_fixture_has_figures_worth_comparing(expected: dict[str, dict[str, Any]]) -> None:
    """Guard against a vacuous pass: the store gives non-trivial values to compare."""
    rocket = expected["acme/rocket"]
    assert rocket["commits_12m"] == 4 and rocket["contributors_prev_12m"] == 3
    assert rocket["first_response_h"] == pytest.approx(7.5) and rocket["truck_factor"] == 1
    assert rocket["last_release_at"] == "2023-05-01" and rocket["newcomer_retention"] == 0.5


def test_the_fixture_has_series_worth_comparing(series: dict[str, Any]) -> None:
    """Guard: a quarter with both new and returning people, a share strictly between 0 and 1."""
    assert any(n and r for _, n, r in series["quarters"]["acme/rocket"])
    assert any(0 < share < 1 for _, share in series["shares"].values())


def test_portfolio_table_and_its_download(site: Path, expected: dict[str, dict[str, Any]]) -> None:
    data = {r["repo"]: r for r in json.loads((site / "data" / "portfolio.json").read_text())}
    assert set(data) == set(expected)
    for repo, want in expected.items():
        for k in FIGURES:
            _same(data[repo][k], want[k], f"portfolio.json {repo} {k}")
        assert _day(data[repo]["last_commit_at"]) == want["last_commit_at"]
        assert _day(data[repo]["last_release_at"]) == want["last_release_at"]
    # the table itself: the sortable cells carry the raw values
    body = (site / "index.html").read_text().split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr data-quadrant.*?</tr>", body, flags=re.S)
    assert len(rows) == len(expected)
    cols = [
        "repo", "risk", "p_dormant", "p_core_loss", "truck_factor", "key_people_cross_load",
        "contributors_12m", "commits_12m", "newcomer_retention", "first_response_h",
        "last_release_at", "importance_exposure", "importance_reach", "criticality",
    ]  # fmt: skip
    for tr in rows:
        cells = dict(
            zip(
                cols,
                [html.unescape(v) for v in re.findall(r'data-value="([^"]*)"', tr)],
                strict=True,
            )
        )
        repo = next(r for r in expected if r.lower() == cells["repo"])
        want = expected[repo]
        for k in ("truck_factor", "key_people_cross_load", "contributors_12m", "commits_12m",
                  "newcomer_retention", "first_response_h"):  # fmt: skip
            _same(cells[k], want[k], f"index.html {repo} {k}")
        assert (cells["last_release_at"] or None) == want["last_release_at"], repo


def test_compare_page_data(site: Path, expected: dict[str, dict[str, Any]]) -> None:
    text = (site / "compare.html").read_text()
    raw = re.search(r'<script type="application/json" id="compare-data">(.*?)</script>', text, re.S)
    assert raw is not None
    projects = {p["repo"]: p for p in json.loads(raw.group(1))}
    for repo, want in expected.items():
        for k in FIGURES:
            _same(projects[repo][k], want[k], f"compare {repo} {k}")


def test_every_project_page(site: Path, expected: dict[str, dict[str, Any]]) -> None:
    for repo, want in expected.items():
        slug = repo.replace("/", "__")
        bundle = json.loads((site / "data" / "projects" / f"{slug}.json").read_text())
        for k in FIGURES:
            _same(bundle["headline"][k], want[k], f"{slug}.json {k}")
        page = (site / "projects" / f"{slug}.html").read_text()
        cards = dict(
            re.findall(r'<div class="k">([^<]+)</div><div class="v[^"]*">([^<]*)</div>', page)
        )
        assert int(cards["Commits"].replace(",", "")) == want["commits_12m"], repo
        assert int(cards["Active contributors"]) == want["contributors_12m"], repo
        assert cards["Last commit"] == want["last_commit_at"], repo
        # the metric-library table is health_summary's row, value for value
        lib = page.split('class="plain compact metric-lib"', 1)[1].split("</table>", 1)[0]
        shown = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]*)</td>', lib))
        for key, value in want["summary"].items():
            if key in ("repo_id", "as_of") or not isinstance(value, int | float):
                continue
            if isinstance(value, bool):
                continue
            text = shown[key.replace("_", " ")]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                assert text == "—", (repo, key)
            elif float(value).is_integer():
                assert int(text.replace(",", "")) == int(value), (repo, key)
            else:
                assert float(text.replace(",", "")) == pytest.approx(value, abs=0.005), (repo, key)


def test_health_page_download_is_health_summary(
    site: Path, expected: dict[str, dict[str, Any]]
) -> None:
    rows = {r["repo"]: r for r in json.loads((site / "data" / "health_summary.json").read_text())}
    for repo, want in expected.items():
        for key, value in want["summary"].items():
            if key == "as_of" or isinstance(value, bool | str):
                continue
            _same(rows[repo][key], _num(value), f"health_summary.json {repo} {key}")


def test_project_page_series(
    site: Path, expected: dict[str, dict[str, Any]], series: dict[str, Any]
) -> None:
    """The new-vs-returning quarters and the key people's shares elsewhere are the metrics'."""
    compared = 0
    for repo in expected:
        slug = repo.replace("/", "__")
        bundle = json.loads((site / "data" / "projects" / f"{slug}.json").read_text())
        got = [
            (pd.Timestamp(r["quarter"]).date().isoformat(), r["new"], r["returning"])
            for r in bundle["quarterly"]
        ]
        assert got == series["quarters"].get(repo, []), slug
        page = (site / "projects" / f"{slug}.html").read_text()
        for person in bundle["key_people"]:
            for e in person["elsewhere"]:
                commits, share = series["shares"][(person["person_id"], e["repo"])]
                assert (e["commits"], e["share"]) == (commits, pytest.approx(share)), slug
                shown = f"{html.escape(e['repo'])}</a> — {commits} commits, {share * 100:.0f}%"
                plain = f"{html.escape(e['repo'])} — {commits} commits, {share * 100:.0f}%"
                assert shown in page or plain in page, (slug, e["repo"])
                compared += 1
    assert compared, "no key person works elsewhere in the fixture: nothing was compared"

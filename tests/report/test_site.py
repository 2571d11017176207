"""build_site: files, escaping, the empty store, bad output paths, atomic replacement."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ossmetrics.errors import InvalidRepoName, ReportError, UsageError
from ossmetrics.report import build_site, project_page
from ossmetrics.report.site import MARKER
from ossmetrics.store import connect
from tests.report.conftest import DESCRIPTION, NAMES, TITLE


def test_site_layout_and_downloads(site: Path) -> None:
    for rel in (
        "index.html",
        "compare.html",
        "health.html",
        "projects/acme__rocket.html",
        "projects/beta__quiet.html",
        "assets/vendor/vega-bundle.js",
        "assets/vendor/LICENSES.txt",
        "assets/site.css",
        "assets/site.js",
        "data/portfolio.csv",
        "data/portfolio.json",
        "data/health-findings.csv",
        "data/projects/acme__rocket.json",
        "data/projects/acme__rocket-monthly.csv",
        MARKER,
    ):
        assert (site / rel).is_file(), rel
    portfolio = json.loads((site / "data" / "portfolio.json").read_text())
    acme = next(r for r in portfolio if r["repo"] == "acme/rocket")
    assert (acme["commits_12m"], acme["truck_factor"], acme["risk"]) == (4, 1.0, 72.0)
    bundle = json.loads((site / "data" / "projects" / "acme__rocket.json").read_text())
    assert [k["name"] for k in bundle["key_people"]] == [NAMES[1]]
    assert bundle["risk"]["drivers"][1] == "contributor trend: -0.33"
    csv = (site / "data" / "portfolio.csv").read_text().splitlines()
    assert csv[0].startswith("repo,language,risk,")
    assert len(csv) == 3


def test_no_remote_resources_and_size_budget(site: Path) -> None:
    for page in [*site.glob("*.html"), *site.glob("projects/*.html")]:
        html = page.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), page
        assert page.stat().st_size < 3_000_000
    # the runtime is shipped once, beside the pages, and has no CDN reference it would load
    assert (site / "assets" / "vendor" / "vega-bundle.js").stat().st_size < 1_500_000


def test_collected_text_is_escaped_everywhere(site: Path) -> None:
    for page in [*site.glob("*.html"), *site.glob("projects/*.html")]:
        html = page.read_text()
        # the only script elements are ours: JSON data blocks and the two local scripts
        for m in re.finditer(r"<script([^>]*)>", html):
            attrs = m.group(1)
            assert attrs.startswith(' type="application/json"') or 'src="' in attrs, (page, attrs)
        assert "<img" not in html, page
        assert 'onerror="window' not in html, page
    project = (site / "projects" / "acme__rocket.html").read_text()
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;Alice" in project  # a name, escaped
    assert "&lt;script&gt;window.__xss=3&lt;/script&gt;Crash on start" in project  # an issue title
    assert "&#34;&gt;&lt;img src=x onerror=&#34;window.__xss=4&#34;&gt;" in project  # a label
    assert 'href="javascript:' not in project  # a hostile repository URL is not linked
    index = (site / "index.html").read_text()
    assert "Rockets &#34;&gt;&lt;img" in index  # the description, escaped
    assert DESCRIPTION not in index and TITLE not in project


def test_honest_gaps(site: Path) -> None:
    quiet = (site / "projects" / "beta__quiet.html").read_text()
    assert "ossmetrics collect github beta/quiet" in quiet
    assert "ossmetrics graph --repo beta/quiet" in quiet
    assert "ossmetrics score" in quiet
    rocket = (site / "projects" / "acme__rocket.html").read_text()
    assert "Not computed in this build" in rocket
    assert "ossmetrics risk explain acme/rocket --without 1" in rocket  # alice, the key person
    index = (site / "index.html").read_text()
    assert index.count("not collected") >= 2  # first response and last release of beta/quiet
    health = (site / "health.html").read_text()
    assert "HTTP 502 &lt;b&gt;boom&lt;/b&gt;" in health  # the failed GitHub sync, escaped
    assert "stale" in health
    assert "ossmetrics identities split 6" in health  # Bob's merged identity (github:bob, id 6)
    assert "github:#6" in health  # identity keys by id: a git key would hold an email
    assert "dependabot[bot]" in health


def test_empty_store_says_what_to_run(tmp_path: Path) -> None:
    con = connect(tmp_path / "empty.duckdb")
    try:
        index = build_site(con, tmp_path / "out")
    finally:
        con.close()
    html = index.read_text()
    assert "Nothing to report yet" in html
    assert "ossmetrics collect git PATH --repo OWNER/REPO" in html


def test_bad_output_paths(store_path: Path, tmp_path: Path) -> None:
    con = connect(store_path, read_only=True)
    try:
        a_file = tmp_path / "report.html"
        a_file.write_text("keep me")
        with pytest.raises(ReportError, match="is a file"):
            build_site(con, a_file)
        assert a_file.read_text() == "keep me"
        foreign = tmp_path / "mine"
        foreign.mkdir()
        (foreign / "thesis.tex").write_text("precious")
        with pytest.raises(ReportError, match="not an ossmetrics report"):
            build_site(con, foreign)
        assert (foreign / "thesis.tex").read_text() == "precious"
        with pytest.raises(ReportError, match="does not exist"):
            build_site(con, tmp_path / "no" / "such" / "dir")
        with pytest.raises(ReportError):
            build_site(con, Path("/proc/ossmetrics-report"))  # not writable, even for root
        with pytest.raises(InvalidRepoName):
            build_site(con, tmp_path / "x", repos=["not a name"])
        with pytest.raises(UsageError, match="not in the store"):
            build_site(con, tmp_path / "x", repos=["nobody/nothing"])
    finally:
        con.close()


def test_failed_build_keeps_the_previous_site(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    con = connect(store_path, read_only=True)
    try:
        build_site(con, out, repos=["beta/quiet"])
        before = (out / "index.html").read_text()

        def boom(*args: object, **kwargs: object) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(project_page, "project_page", boom)
        with pytest.raises(RuntimeError, match="disk full"):
            build_site(con, out)
        assert (out / "index.html").read_text() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temp folder left
        monkeypatch.undo()
        build_site(con, out)  # a site we wrote is replaced
        assert "acme/rocket" in (out / "index.html").read_text()
        assert (out / "projects" / "beta__quiet.html").read_text() != ""
    finally:
        con.close()

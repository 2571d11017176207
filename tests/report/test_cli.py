"""``ossmetrics report`` and ``ossmetrics demo`` as a user runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ossmetrics.pipeline.demo import sample_repos


def test_report_main_path(cli, store_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copy(store_path, db)
    out = tmp_path / "site"
    r = cli("--db", str(db), "report", "--out", str(out), "--repo", "beta/quiet")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out / "index.html")
    assert [p.name for p in (out / "projects").iterdir()] == ["beta__quiet.html"]
    portfolio = json.loads((out / "data" / "portfolio.json").read_text())
    assert [p["repo"] for p in portfolio] == ["beta/quiet"]


def test_report_bad_inputs(cli, store_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copy(store_path, db)
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    r = cli("--db", str(db), "report", "--out", str(a_file))
    assert r.returncode == 1
    assert r.stderr.strip().startswith("Error: output path")
    assert "is a file" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_demo_prints_index_and_runs_every_stage(demo_site: tuple[Path, str, str]) -> None:
    site, stdout, stderr = demo_site
    assert stdout.strip() == str(site / "index.html")
    for stage in ("load sample", "metrics", "graphs", "report"):
        assert f"{stage}: ok" in stderr, stderr
    portfolio = json.loads((site / "data" / "portfolio.json").read_text())
    assert all(p["truck_factor"] is not None for p in portfolio)  # graphs ran
    risk_line = next(line for line in stderr.splitlines() if line.startswith("risk: "))
    if not risk_line.startswith("risk: ok"):
        # the site must still be whole, saying the score is missing, not pretending
        for p in portfolio:
            page = (site / "projects" / f"{p['repo'].replace('/', '__')}.html").read_text()
            assert "This project has no risk-model score" in page
        pytest.skip(f"the risk stage could not run here ({risk_line}); its own tests say why")
    scored = [p for p in portfolio if p["risk_kind"] == "model"]
    assert len(scored) == len(portfolio)  # the shipped model scored every sample project
    riskiest = max(scored, key=lambda p: p["risk"])
    page = (site / "projects" / f"{riskiest['repo'].replace('/', '__')}.html").read_text()
    assert "Without <strong>" in page  # the one what-if the demo computes


def test_sample_is_small_and_documented() -> None:
    from ossmetrics.pipeline.demo import sample_dir

    d = sample_dir()
    total = sum(p.stat().st_size for p in d.glob("*.parquet"))
    assert total < 5_000_000
    readme = (d / "README.md").read_text()
    for name in sample_repos():
        assert name in readme

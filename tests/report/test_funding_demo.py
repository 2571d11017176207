"""The demo's funder path, offline: the portfolio carries both lenses from the bundled SBOMs and
cached signals, ρ(importance, risk) is small under both (issue 18's target: |ρ| ≤ 0.3), the
fragile-and-important quadrant is not empty, and the plan page shows a plan that adds up."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ossmetrics.report.funding import spearman


def test_demo_portfolio_lenses_rho_and_quadrant(demo_site: tuple[Path, str, str]) -> None:
    site, _out, err = demo_site
    assert "funding: ok" in err
    rows = pd.DataFrame(json.loads((site / "data" / "portfolio.json").read_text()))
    assert {"importance_reach", "importance_exposure", "risk", "quadrant"} <= set(rows.columns)
    assert rows["importance_exposure"].notna().all()
    # jq publishes no registry package: its reach is unknown (null), not 0
    jq = rows.set_index("repo").loc["jqlang/jq"]
    assert pd.isna(jq["importance_reach"])
    for lens in ("importance_reach", "importance_exposure"):
        rho, n = spearman(rows[lens], rows["risk"])
        assert rho is not None and abs(rho) <= 0.3, (lens, rho, n)
    base, _ = spearman(rows["criticality"], rows["risk"])
    assert base is not None and base < -0.5  # activity-based importance: strongly negative
    assert (rows["quadrant"] == "Fragile and important").sum() >= 1
    index = (site / "index.html").read_text()
    assert 'id="rho"' in index and "criticality_score-style baseline" in index
    page = (site / "projects" / "moment__moment.html").read_text()
    assert "Importance: who depends on it" in page and "CC BY-SA" in page
    assert "transitive dependents 240,000 (deps.dev, 2025-08-31)" in page


def test_demo_plan_adds_up(demo_site: tuple[Path, str, str]) -> None:
    site = demo_site[0]
    plan = pd.read_csv(site / "data" / "plan.csv")
    assert list(plan.columns[:3]) == ["repo", "priority", "amount"]  # as `fund plan --format csv`
    assert round(plan["amount"].sum(), 2) == 100_000.00
    assert (plan["amount"] <= 25_000).all() and (plan["amount"] >= 50).all()
    assert plan["priority"].is_monotonic_decreasing
    assert "Funding plan" in (site / "plan.html").read_text()

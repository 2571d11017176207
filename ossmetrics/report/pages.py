"""Page contexts: what each template receives, built from ``SiteData``.

Each ``*_page`` function also writes the data behind its page (CSV and JSON) beside it, so
what a reader sees and what they can download are the same numbers. The project page, the
largest, is built in ``project_page.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ossmetrics.report import charts, data_health, funding
from ossmetrics.report.model import SiteData
from ossmetrics.report.render import render, to_jsonable, write_table

__all__ = [
    "common_context",
    "compare_page",
    "health_page",
    "plan_page",
    "portfolio_page",
    "records",
]

PORTFOLIO_COLUMNS = [
    "repo", "language", "risk", "risk_kind", "p_dormant", "p_core_loss", "importance_reach",
    "importance_exposure", "importance", "importance_lens", "quadrant", "quadrant_reach",
    "quadrant_exposure", "reach_coverage", "reach_flagged", "reach_signals", "exposure_repos",
    "exposure_mode", "link_confidence", "criticality",
    "truck_factor", "key_people_cross_load", "commits_12m", "contributors_12m",
    "contributors_prev_12m", "contributors_trend", "newcomers_prev_year", "newcomer_retention",
    "github_collected", "first_response_h", "merge_h", "last_release_at", "last_commit_at",
    "stars", "description",
]  # fmt: skip


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows for templates: NaN and NaT become None, so ``is none`` tests mean "no value".

    Timestamps become ISO text (the ``date`` filter reads both); pandas' C JSON encoder is
    ~20x faster than ``where(notna)`` on object frames.
    """
    if df.empty:
        return []
    rows: list[dict[str, Any]] = json.loads(df.to_json(orient="records", date_format="iso"))
    return rows


def common_context(sd: SiteData, depth: int) -> dict[str, Any]:
    """What every template's frame needs: the way back to the root, dates, publish mode."""
    return {
        "root": "../" * depth,
        "generated": sd.now.strftime("%Y-%m-%d %H:%M UTC"),
        "ref": sd.ref.strftime("%Y-%m-%d"),
        "publish": bool(sd.people and sd.people.publish),
    }


def _rho(rows: pd.DataFrame, col: str) -> dict[str, Any]:
    rho, n = funding.spearman(rows[col], rows["risk"])
    return {"rho": rho, "n": n}


def portfolio_page(sd: SiteData, site: Path, rows: pd.DataFrame) -> None:
    write_table(rows[PORTFOLIO_COLUMNS], site / "data" / "portfolio")
    pts = rows[
        ["repo", "href", "risk", "risk_kind", "importance_reach", "importance_exposure",
         "quadrant_reach", "quadrant_exposure", "reach_coverage", "reach_signals",
         "exposure_repos", "exposure_mode", "link_confidence", "criticality", "truck_factor"]
    ]  # fmt: skip
    lens = str(rows["importance_lens"].iloc[0])
    chart = charts.risk_importance_chart(pts, sd.thresholds, lens)
    model_scored = bool((rows["risk_kind"] == "model").any())
    known = rows["importance_reach"].notna() | rows["importance_exposure"].notna()
    render(
        "index.html",
        site / "index.html",
        **common_context(sd, 0),
        rows=records(rows),
        n_fragile_important=int((rows["quadrant"] == "Fragile and important").sum()),
        model_scored=model_scored,
        charts={"risk-importance": chart},
        lens=lens,
        thresholds=sd.thresholds,
        rho={
            "reach": _rho(rows, "importance_reach"),
            "exposure": _rho(rows, "importance_exposure"),
            "criticality": _rho(rows, "criticality"),
        },
        funding_known=bool(known.any()),
        attribution=funding.ATTRIBUTION,
        has_plan=not sd.plan.empty,
    )


def plan_page(sd: SiteData, site: Path) -> None:
    """The stored funding plan (``ossmetrics fund plan``), or how to make one."""
    plan = sd.plan
    cols = ["repo", "priority", "amount", "rank", "importance", "lens", "p_dormant", "risk",
            "why_critical", "why_fragile", "key_people", "funding_links"]  # fmt: skip
    if not plan.empty:
        write_table(plan[cols], site / "data" / "plan")
    head = plan.iloc[0] if not plan.empty else None
    render(
        "plan.html",
        site / "plan.html",
        **common_context(sd, 0),
        rows=records(plan[cols]) if not plan.empty else [],
        budget=None if head is None else float(head["budget_cents"]) / 100,
        floor=None if head is None else float(head["floor_cents"]) / 100,
        cap=None if head is None else float(head["cap"]),
        lens=None if head is None else str(head["lens"]),
        created=None
        if head is None
        else pd.Timestamp(head["created_at"]).strftime("%Y-%m-%d %H:%M UTC"),
        total=float(plan["amount"].sum()) if not plan.empty else 0.0,
        attribution=funding.ATTRIBUTION,
    )


def compare_page(sd: SiteData, site: Path, rows: pd.DataFrame) -> None:
    render(
        "compare.html",
        site / "compare.html",
        **common_context(sd, 0),
        projects=to_jsonable(rows[["repo", "href", *PORTFOLIO_COLUMNS[2:-1]]]),
    )


def health_page(sd: SiteData, site: Path) -> None:
    projects = []
    table = []
    gh_runs = sd.runs
    counts_by_repo = {int(c["repo_id"]): c for c in records(sd.counts)}
    for info in sd.repos:
        rid = info.repo_id
        counts = counts_by_repo[rid]
        syncs = sd.syncs.get(
            rid,
            pd.DataFrame(
                columns=["source", "endpoint", "last_success_at", "last_error", "updated_at"]
            ),
        )
        findings = data_health.collection_status(counts, syncs, sd.now, rid in sd.github)
        runs = gh_runs[gh_runs["repo_id"] == rid] if not gh_runs.empty else gh_runs
        projects.append(
            {
                "info": info,
                "counts": counts,
                "syncs": records(syncs),
                "runs": records(runs) if not runs.empty else [],
                "findings": findings,
                "github": rid in sd.github,
            }
        )
        for f in findings:
            table.append({"repo": info.full_name, **f})
    write_table(pd.DataFrame(table), site / "data" / "health-findings")
    write_table(sd.counts, site / "data" / "health-counts")
    merged = sd.identities.get("merged", pd.DataFrame())
    bots = sd.identities.get("bots", pd.DataFrame())
    write_table(sd.summary, site / "data" / "health_summary")
    whole_runs = gh_runs[gh_runs["repo_id"].isna()] if not gh_runs.empty else gh_runs
    failed = (
        records(gh_runs[(gh_runs["status"] == "failed") & (gh_runs["stage"] != "run")])
        if not gh_runs.empty
        else []
    )
    render(
        "health.html",
        site / "health.html",
        **common_context(sd, 0),
        projects=projects,
        merged=records(merged),
        bots=records(bots),
        whole_runs=records(whole_runs) if not whole_runs.empty else [],
        failed_steps=failed,
        stale_days=data_health.STALE_DAYS,
    )

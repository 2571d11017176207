"""The report's view of the store: every frame the pages need, read once, plus the portfolio rows.

``SiteData.load`` runs the bulk readers of ``data*.py``; ``portfolio_rows`` joins them into one
row per project with the headline figures, the importance percentile and the quadrant used by
the "fragile and important" filter.

Importance is dependency data only (``ossmetrics fund``: ecosystem reach and our exposure, read
from ``fund_importance``); activity never enters it. The quadrant's importance threshold is the
portfolio's 70th percentile of the lens, its risk threshold ``FRAGILE``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from ossmetrics.privacy import PeopleView, PrivacyOptions
from ossmetrics.report import data, data_github, data_health, data_people, funding

__all__ = ["FRAGILE", "IMPORTANT_PERCENTILE", "SiteData", "parse_drivers", "quadrants"]

FRAGILE = 50.0  # risk at or above this is "fragile"
IMPORTANT_PERCENTILE = funding.IMPORTANT_PERCENTILE
UNKNOWN = "Importance unknown"


def quadrants(importance: pd.Series, risk: pd.Series) -> tuple[pd.Series, float | None]:
    """Quadrant per row and the importance threshold (70th percentile of the known values)."""
    known = importance.dropna()
    threshold = float(known.quantile(IMPORTANT_PERCENTILE)) if len(known) else None
    fragile = risk >= FRAGILE
    important = importance >= threshold if threshold is not None else importance.notna()
    out = pd.Series("Neither", index=importance.index, dtype=object)
    out[fragile & ~important] = "Fragile"
    out[~fragile & important] = "Important"
    out[fragile & important] = "Fragile and important"
    out[importance.isna()] = UNKNOWN
    return out, threshold


def _by_repo(df: pd.DataFrame) -> dict[int, pd.DataFrame]:
    if df.empty:
        return {}
    return {
        int(k): g.drop(columns=["repo_id"]).reset_index(drop=True) for k, g in df.groupby("repo_id")
    }


def parse_drivers(raw: Any) -> list[str]:
    """The risk drivers as sentences, whatever JSON shape the risk stage writes."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return []
    try:
        obj = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return [str(raw)]
    if isinstance(obj, dict):
        obj = obj.get("drivers") or [obj]
    out = []
    for item in obj if isinstance(obj, list) else [obj]:
        if isinstance(item, dict):
            text = item.get("text") or item.get("description") or item.get("label")
            if not text:
                text = item.get("factor") or item.get("feature") or item.get("name") or ""
                if "value" in item:
                    text = f"{text}: {item['value']}"
            out.append(str(text))
        else:
            out.append(str(item))
    return [t for t in out if t]


@dataclass
class SiteData:
    """All frames, keyed by repo_id where per project."""

    repos: list[data.RepoInfo]
    ref: datetime
    now: datetime
    monthly: dict[int, pd.DataFrame] = field(default_factory=dict)
    quarterly: dict[int, pd.DataFrame] = field(default_factory=dict)
    cohorts: dict[int, pd.DataFrame] = field(default_factory=dict)
    activity: pd.DataFrame = field(default_factory=pd.DataFrame)
    github: set[int] = field(default_factory=set)
    responsiveness: dict[int, pd.DataFrame] = field(default_factory=dict)
    releases: dict[int, pd.DataFrame] = field(default_factory=dict)
    waiting: dict[int, pd.DataFrame] = field(default_factory=dict)
    gh_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    graph: dict[int, pd.DataFrame] = field(default_factory=dict)
    key_people: dict[int, list[int]] = field(default_factory=dict)
    cross: pd.DataFrame = field(default_factory=pd.DataFrame)
    names: dict[int, str] = field(default_factory=dict)
    net_nodes: dict[int, pd.DataFrame] = field(default_factory=dict)
    net_edges: dict[int, pd.DataFrame] = field(default_factory=dict)
    risk: dict[int, dict[str, Any]] = field(default_factory=dict)
    history: dict[int, pd.DataFrame] = field(default_factory=dict)
    counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    syncs: dict[int, pd.DataFrame] = field(default_factory=dict)
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)
    identities: dict[str, pd.DataFrame] = field(default_factory=dict)
    what_if: dict[int, dict[str, Any]] = field(default_factory=dict)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    people: PeopleView | None = None
    funding: pd.DataFrame = field(default_factory=pd.DataFrame)
    plan: pd.DataFrame = field(default_factory=pd.DataFrame)
    thresholds: dict[str, float | None] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        con: duckdb.DuckDBPyConnection,
        repos: list[str] | None,
        privacy: PrivacyOptions | None = None,
    ) -> SiteData:
        """``privacy``: how people may appear (default: names, never emails)."""
        infos = data.select_repos(con, repos)
        ids = [r.repo_id for r in infos]
        ref = data.reference_date(con, ids)
        sd = cls(repos=infos, ref=ref, now=pd.Timestamp.now(tz="UTC").to_pydatetime())
        sd.people = PeopleView(con, privacy)
        if not ids:
            return sd
        sd.quarterly = _by_repo(data.new_returning(con, infos, ref))
        sd.monthly = _by_repo(data.monthly_activity(con, infos))
        sd.cohorts = _by_repo(data.newcomer_cohorts(con, infos, ref))
        # the metric library's row, at the report's reference date so both read the same year
        sd.summary = data.metric(con, "health_summary", as_of=ref)
        # every headline figure from the metric that defines it (data.headline_figures)
        sd.activity = data.headline_figures(con, infos, ref, summary=sd.summary)
        sd.github = data_github.github_collected(con, ids)
        gh_ids = sorted(sd.github)
        if gh_ids:
            gh_infos = [r for r in infos if r.repo_id in sd.github]
            sd.responsiveness = _by_repo(data_github.responsiveness(con, gh_infos))
            sd.releases = _by_repo(data_github.releases(con, gh_ids))
            sd.waiting = _by_repo(data_github.waiting(con, gh_ids))
        sd.gh_summary = sd.activity[["repo_id", "first_response_h", "merge_h", "last_release_at"]]
        g = data_people.graph_measures(con, ids)
        sd.graph = _by_repo(g)
        for rid, frame in sd.graph.items():
            tf = frame[frame["measure"] == "truck_factor"]
            sd.key_people[rid] = data_people.key_people(tf["detail"].iloc[0]) if len(tf) else []
        people = sorted({p for ps in sd.key_people.values() for p in ps})
        sd.cross = data_people.cross_load(con, people, ref)
        nodes, edges = data_people.collaboration_network(con, ids)
        pm = data_people.person_measures(con, ids)
        if not nodes.empty:
            nodes = nodes.merge(pm, on=["repo_id", "person_id"], how="left")
        sd.net_nodes = _by_repo(nodes)
        sd.net_edges = _by_repo(edges)
        in_net = nodes["person_id"].astype(int).tolist() if len(nodes) else []
        sd.names = sd.people.labels(people + in_net)
        for _, r in data_people.risk_latest(con, ids).iterrows():
            sd.risk[int(r["repo_id"])] = r.to_dict()
        for _, r in data_people.what_if_latest(con, ids).iterrows():
            sd.what_if[int(r["repo_id"])] = r.to_dict()
        sd.history = _by_repo(data_people.metric_history(con, ids))
        counts = data_health.row_counts(con, ids)
        counts["full_name"] = counts["repo_id"].map({r.repo_id: r.full_name for r in infos})
        sd.counts = counts
        sd.syncs = _by_repo(data_health.sync_rows(con, ids))
        sd.runs = data_health.last_runs(con, ids)
        sd.identities = data_health.identity_overview(con, ids, people=sd.people)
        sd.funding = funding.funding_frame(con)
        sd.plan = funding.plan_frame(con, sd.people)
        return sd

    def summary_row(self, repo_id: int) -> dict[str, Any]:
        """This repository's row of the metric library's health_summary ({} if it has none)."""
        df = self.summary
        if df.empty:
            return {}
        hit = df[df["repo_id"] == repo_id]
        if hit.empty:
            return {}
        row = json.loads(hit.head(1).to_json(orient="records", date_format="iso"))[0]
        return {k: v for k, v in row.items() if k not in ("repo", "repo_id")}

    def measure(self, repo_id: int, name: str) -> float | None:
        frame = self.graph.get(repo_id)
        if frame is None:
            return None
        hit = frame[frame["measure"] == name]
        if hit.empty or pd.isna(hit["value"].iloc[0]):
            return None
        return float(hit["value"].iloc[0])

    def elsewhere(self, repo_id: int, person_id: int) -> pd.DataFrame:
        """The other repositories ``person_id`` committed to in the last year."""
        if self.cross.empty:
            return self.cross
        c = self.cross
        return c[(c["person_id"] == person_id) & (c["repo_id"] != repo_id)]

    def portfolio_rows(self) -> pd.DataFrame:
        """One row per project with every headline figure of the portfolio table."""
        act = self.activity.set_index("repo_id")
        gh = self.gh_summary.set_index("repo_id") if not self.gh_summary.empty else None
        rows = []
        for info in self.repos:
            rid = info.repo_id
            a = act.loc[rid]
            risk = self.risk.get(rid)
            tf = self.measure(rid, "truck_factor")
            load = self.measure(rid, "key_people_cross_load")  # the graph stage's, or none
            c12, cprev = int(a["contributors_12m"]), int(a["contributors_prev_12m"])
            trend = (c12 - cprev) / cprev if cprev else (None if not c12 else 1.0)
            newcomers = int(a["newcomers_prev_year"])
            retention = None if pd.isna(a["newcomer_retention"]) else a["newcomer_retention"]
            collected = rid in self.github
            g = gh.loc[rid] if gh is not None and collected else None
            if risk is not None and pd.notna(risk.get("risk")):
                risk_value, risk_kind = float(risk["risk"]), "model"
            else:
                # Honest fallback, labelled as such: the activity-trend baseline of DESIGN.md.
                # nobody active in the last year is the top of the scale, whatever came before
                peak = max(c12, cprev, 1)
                risk_value = (
                    100.0 if c12 == 0 else max(0.0, min(100.0, 50.0 - 50.0 * (c12 - cprev) / peak))
                )
                risk_kind = "activity trend (no model score yet)"
            rows.append(
                {
                    "repo_id": rid,
                    "repo": info.full_name,
                    "slug": info.slug,
                    "href": f"projects/{info.slug}.html",
                    "description": info.description,
                    "language": info.language,
                    "stars": info.stars,
                    "risk": risk_value,
                    "risk_kind": risk_kind,
                    "p_dormant": risk.get("p_dormant") if risk else None,
                    "p_core_loss": risk.get("p_core_loss") if risk else None,
                    "truck_factor": tf,
                    "key_people_cross_load": load,
                    "commits_12m": int(a["commits_12m"]),
                    "contributors_12m": c12,
                    "contributors_prev_12m": cprev,
                    "contributors_trend": trend,
                    "newcomers_prev_year": newcomers,
                    "newcomer_retention": retention,
                    "github_collected": collected,
                    "first_response_h": None if g is None else g["first_response_h"],
                    "merge_h": None if g is None else g["merge_h"],
                    "last_release_at": None if g is None else g["last_release_at"],
                    "last_commit_at": a["last_commit_at"],
                }
            )
        df = pd.DataFrame(rows)
        if df.empty:
            return df
        fund = self.funding
        if fund.empty:
            fund = pd.DataFrame(columns=["key", *funding.FUNDING_COLUMNS])
        df["key"] = df["repo"].str.lower()
        df = df.merge(fund, on="key", how="left").drop(columns=["key"])
        for col in ("importance_reach", "importance_exposure", "criticality"):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
        # the lens the headline quadrant uses: exposure when the organisation's SBOMs say
        # anything about the portfolio, else ecosystem reach
        lens = "exposure" if df["importance_exposure"].notna().any() else "reach"
        for name in ("reach", "exposure"):
            q, thr = quadrants(df[f"importance_{name}"], df["risk"])
            df[f"quadrant_{name}"] = q
            self.thresholds[name] = thr
        df["importance_lens"] = lens
        df["importance"] = df[f"importance_{lens}"].round(2)
        df["quadrant"] = df[f"quadrant_{lens}"]
        return df

"""Two importance lenses per project, from dependency data only (docs/funding.md defines them).

*Ecosystem reach* — how much the world depends on a project. Per ecosystem, a project's
packages (those whose best link is the project) are aggregated: transitive dependents (deps.dev)
and direct dependent packages (ecosyste.ms, else deps.dev's direct dependents) take the max over
packages; downloads (ecosyste.ms, with their period) are summed — where the registry reports no
downloads, dependent repositories (max) stand in. Each signal becomes a score in [0, 1]: the
registry-wide percentile ecosyste.ms ranks it at (``1 - rank/100``) where known, else a bounded
log normalisation ``min(1, log(1+x) / log(1+ceiling))`` against the ecosystem's ceiling
(``CEILINGS``). Reach in the ecosystem = the weighted mean (0.5 / 0.25 / 0.25) over the signals
present, weights renormalised; the project's reach = the max over its ecosystems, x100, with its
coverage (k of 3) and a flag when k < 2. Counts of different ecosystems are never compared.

*Our exposure* — how much this organisation depends on it, from its SBOMs. Each organisation
repository gives 1 unit split equally over its direct dependencies; a package at depth 1 or 2
with dependencies keeps half and passes half, split equally, to them (so depth 3 keeps all);
dev and test edges are left out unless ``include_dev``. Exposure = 100 x the project's share of
all units. A flat SBOM (no depth) whose direct packages have deps.dev dependency graphs
(``depth``) trickles down those graphs instead. When any organisation repository is still known
only from flat SBOMs without depth, the whole lens falls back to 100 x (organisation
repositories using the project) / (all of them), and says so (``mode``, ``depth``). The repositories reaching the project at any depth and directly are
kept either way.

Neither lens reads commits, contributors, stars, forks, releases or issues.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from ossmetrics.fund.criticality import criticality_scores
from ossmetrics.fund.depth import depth_info
from ossmetrics.fund.links import BEST_LINKS_SQL
from ossmetrics.store import transaction

__all__ = [
    "CEILINGS",
    "WEIGHTS",
    "Exposure",
    "compute_importance",
    "exposure",
    "reach",
    "trickle",
]

WEIGHTS = {"dependents": 0.5, "direct": 0.25, "usage": 0.25}
EXCLUDED_BY_DEFAULT = ("dev", "test")
LEVELS = 3

# Bounded-log ceilings: about the count of the most-used package of the registry (order of
# magnitude, 2025), so a score of 1 means "as used as the most used package there".
_DEFAULT_CEILING = {"dependents": 1e6, "direct": 5e4, "downloads": 1e8, "dependent_repos": 1e6}
CEILINGS: dict[str, dict[str, float]] = {
    "npm": {"dependents": 5e6, "direct": 1e5, "downloads": 2e9, "dependent_repos": 1e7},
    "pypi": {"dependents": 5e5, "direct": 5e4, "downloads": 1e9, "dependent_repos": 2e6},
    "cargo": {"dependents": 2e5, "direct": 3e4, "downloads": 1e8, "dependent_repos": 5e5},
    "golang": {"dependents": 5e5, "direct": 5e4, "downloads": 1e8, "dependent_repos": 1e6},
    "maven": {"dependents": 5e5, "direct": 5e4, "downloads": 1e8, "dependent_repos": 1e6},
}


def _log_score(x: float, ceiling: float) -> float:
    return min(1.0, math.log1p(max(x, 0.0)) / math.log1p(ceiling))


class _Rows:
    """The known (non-NULL) signal rows of one ecosystem, by (signal, source)."""

    def __init__(self, g: pd.DataFrame) -> None:
        self.g = g[g["value"].notna()]

    def get(self, signal: str, source: str) -> pd.DataFrame:
        g = self.g
        return g[(g["signal"] == signal) & (g["source"] == source)]

    def rank(self, name: str, packages: list[str]) -> float | None:
        r = self.get(name, "ecosystems")
        r = r[r["package"].isin(packages)]
        return None if r.empty else float(r["value"].min())


def reach(signals: pd.DataFrame) -> dict[str, Any]:
    """Reach of one project from its packages' signal rows.

    ``signals`` columns: package, ecosystem, source, signal, value, detail, as_of (the rows of
    ``fund_signals`` for the project's packages). Returns value (0-100 or None), coverage,
    flagged, ecosystem and the per-signal inputs.
    """
    best: dict[str, Any] = {
        "value": None,
        "coverage": 0,
        "flagged": True,
        "ecosystem": None,
        "inputs": [],
    }
    if signals.empty:
        return best
    for eco, g in signals.groupby("ecosystem"):
        rows = _Rows(g)
        rank = rows.rank
        ceil = CEILINGS.get(str(eco), _DEFAULT_CEILING)
        inputs: list[dict[str, Any]] = []
        scores: dict[str, float] = {}
        dep = rows.get("dependents", "depsdev")
        if not dep.empty:
            top = dep.loc[dep["value"].idxmax()]
            scores["dependents"] = _log_score(float(top["value"]), ceil["dependents"])
            inputs.append(
                _inp(
                    "transitive dependents",
                    top,
                    "deps.dev",
                    f"max of {len(dep)} package(s), counted on version {top['detail']}",
                )
            )
        direct = rows.get("dependent_packages", "ecosystems")
        src = "ecosyste.ms"
        if direct.empty:
            direct, src = rows.get("direct_dependents", "depsdev"), "deps.dev"
        if not direct.empty:
            top = direct.loc[direct["value"].idxmax()]
            rk = rank("rank_dependent_packages", [top["package"]]) if src == "ecosyste.ms" else None
            scores["direct"] = (
                1 - rk / 100 if rk is not None else _log_score(float(top["value"]), ceil["direct"])
            )
            inputs.append(
                _inp(
                    "direct dependent packages",
                    top,
                    src,
                    "registry percentile" if rk is not None else "bounded log",
                )
            )
        dl = rows.get("downloads", "ecosystems")
        if not dl.empty:
            total = float(dl["value"].sum())
            rk = rank("rank_downloads", list(dl["package"])) if len(dl) == 1 else None
            scores["usage"] = (
                1 - rk / 100 if rk is not None else _log_score(total, ceil["downloads"])
            )
            period = dl["detail"].dropna()
            inputs.append({"signal": "downloads", "value": total, "source": "ecosyste.ms",
                           "as_of": _date(dl["as_of"].max()), "note": f"sum of {len(dl)} package(s), period {period.iloc[0] if len(period) else 'unknown'}"})  # fmt: skip
        else:
            rep = rows.get("dependent_repos", "ecosystems")
            if not rep.empty:
                top = rep.loc[rep["value"].idxmax()]
                rk = rank("rank_dependent_repos", [top["package"]])
                scores["usage"] = (
                    1 - rk / 100
                    if rk is not None
                    else _log_score(float(top["value"]), ceil["dependent_repos"])
                )
                inputs.append(
                    _inp(
                        "dependent repositories (no downloads in this registry)",
                        top,
                        "ecosyste.ms",
                        "",
                    )
                )
        if not scores:
            continue
        wsum = sum(WEIGHTS[k] for k in scores)
        value = 100 * sum(WEIGHTS[k] * v for k, v in scores.items()) / wsum
        if best["value"] is None or value > best["value"]:
            best = {"value": round(value, 2), "coverage": len(scores), "flagged": len(scores) < 2,
                    "ecosystem": str(eco), "inputs": inputs, "scores": scores,
                    "others": _others(rows.g, inputs)}  # fmt: skip
    return best


_OTHER_NAMES = {
    "critical": "critical (ecosyste.ms flag, 1 = yes)",
    "indirect_dependents": "indirect dependents",
    "dependent_repos": "dependent repositories",
    "direct_dependents": "direct dependents",
    "rank_average": "registry rank, average (top %)",
    "rank_downloads": "registry rank, downloads (top %)",
    "rank_dependent_packages": "registry rank, dependent packages (top %)",
    "rank_dependent_repos": "registry rank, dependent repositories (top %)",
}


def _others(g: pd.DataFrame, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ecosystem's other known signals (max over packages), shown beside the inputs."""
    used = {i["signal"] for i in inputs}
    out = []
    for (signal, source), rows in g.groupby(["signal", "source"]):
        name = _OTHER_NAMES.get(str(signal))
        if name is None or name in used:
            continue
        pick = rows["value"].idxmin() if str(signal).startswith("rank_") else rows["value"].idxmax()
        top = rows.loc[pick]
        src = "deps.dev" if source == "depsdev" else "ecosyste.ms"
        out.append(_inp(name, top, src, ""))
    return out


def _date(ts: Any) -> str | None:
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d")


def _inp(name: str, row: Any, source: str, note: str) -> dict[str, Any]:
    return {"signal": name, "value": float(row["value"]), "source": source, "package": row["package"],
            "as_of": _date(row["as_of"]), "note": note}  # fmt: skip


def trickle(
    direct: list[str],
    deps: dict[str, list[str]],
    levels: int = LEVELS,
    weights: dict[str, float] | None = None,
) -> dict[str, float]:
    """One organisation repository's unit, trickled down its dependency graph.

    ``direct``: its direct dependencies; ``deps``: package -> its dependencies (already
    filtered by kind); ``weights``: a purl list's weight column (the unit is split over the
    direct dependencies in proportion to it, 1 where absent). Returns package -> share kept
    (the shares sum to 1 when ``direct`` is not empty).
    """
    kept: dict[str, float] = defaultdict(float)
    direct = list(dict.fromkeys(direct))
    if not direct:
        return {}
    w = {p: (weights or {}).get(p, 1.0) for p in direct}
    total = sum(w.values())
    level = {p: w[p] / total for p in direct}
    for depth in range(1, levels + 1):
        nxt: dict[str, float] = defaultdict(float)
        for pkg, amount in level.items():
            children = [c for c in dict.fromkeys(deps.get(pkg, [])) if c != pkg]
            if depth < levels and children:
                kept[pkg] += amount / 2
                for c in children:
                    nxt[c] += amount / 2 / len(children)
            else:
                kept[pkg] += amount
        level = nxt
    return dict(kept)


@dataclass
class Exposure:
    mode: str  # "trickle" or "repository count"
    org_repos: int
    share: dict[str, float]  # package -> share of all units (trickle mode)
    reaching: dict[str, set[str]]  # package -> organisation repositories reaching it
    direct: dict[str, set[str]]  # package -> organisation repositories using it directly
    depth: dict[str, list[str]] = field(default_factory=dict)  # how: sbom, deps.dev, flat -> orgs


def exposure(con: duckdb.DuckDBPyConnection, *, include_dev: bool = False) -> Exposure:
    """Trickle shares and reaching repositories for every package the organisation uses."""
    docs = con.execute(
        "SELECT doc_id, coalesce(org_repo, path) AS org, flat FROM fund_documents"
    ).df()
    edges = con.execute("SELECT doc_id, parent, child, kind FROM fund_edges").df()
    if not include_dev:
        edges = edges[~edges["kind"].isin(EXCLUDED_BY_DEFAULT)]
    org_of = dict(zip(docs["doc_id"], docs["org"], strict=True))
    info = depth_info(con)
    docs["deep"] = ~docs["flat"].astype(bool) | docs["doc_id"].isin(info.deep_docs)
    docs["own"] = ~docs["flat"].astype(bool)
    by_org = docs.groupby("org")
    flat_orgs = ~by_org["deep"].any()
    own = by_org["own"].any()
    depth = {
        "sbom": sorted(str(o) for o in own.index[own]),
        "deps.dev": sorted(str(o) for o in own.index[~own & ~flat_orgs]),
        "flat": sorted(str(o) for o in flat_orgs.index[flat_orgs]),
    }
    mode = "repository count" if bool(flat_orgs.any()) else "trickle"
    graph = [(org_of[d], p, c) for d, pairs in info.edges.items() if d in org_of for p, c in pairs]
    if graph:
        extra = pd.DataFrame(graph, columns=["org", "parent", "child"]).drop_duplicates()
        extra = extra.assign(doc_id=-1, kind="runtime")
    else:
        extra = None
    share: dict[str, float] = defaultdict(float)
    reaching: dict[str, set[str]] = defaultdict(set)
    direct_by: dict[str, set[str]] = defaultdict(set)
    edges = edges.assign(org=edges["doc_id"].map(org_of))
    if extra is not None:  # deps.dev graphs of flat documents' direct packages
        edges = pd.concat([edges, extra[edges.columns]], ignore_index=True)
    orgs = sorted(flat_orgs.index)
    wrows = con.execute(
        "SELECT coalesce(d.org_repo, d.path), c.package, max(c.weight) FROM fund_components c "
        "JOIN fund_documents d USING (doc_id) WHERE c.weight IS NOT NULL GROUP BY ALL"
    ).fetchall()
    weights: dict[str, dict[str, float]] = defaultdict(dict)
    for org, pkg, wt in wrows:
        weights[str(org)][str(pkg)] = float(wt)
    for org, g in edges.groupby("org"):
        roots = [str(c) for c in g.loc[g["parent"].isna(), "child"]]
        deps: dict[str, list[str]] = defaultdict(list)
        for p, c in zip(
            g.loc[g["parent"].notna(), "parent"], g.loc[g["parent"].notna(), "child"], strict=True
        ):
            deps[str(p)].append(str(c))
        for p in roots:
            direct_by[p].add(str(org))
        seen, stack = set(roots), list(roots)
        while stack:
            for c in deps.get(stack.pop(), []):
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        for p in seen:
            reaching[p].add(str(org))
        for p, v in trickle(roots, deps, weights=weights.get(str(org))).items():
            share[p] += v / len(orgs)
    return Exposure(mode, len(orgs), dict(share), dict(reaching), dict(direct_by), depth)


def compute_importance(
    con: duckdb.DuckDBPyConnection, *, include_dev: bool = False
) -> pd.DataFrame:
    """Both lenses for every project that is linked from a used package or is in the store;
    written to ``fund_importance`` (replacing it) in one transaction and returned."""
    links = con.execute(BEST_LINKS_SQL).df()
    sig = con.execute("SELECT * FROM fund_signals").df()
    ex = exposure(con, include_dev=include_dev)
    used = set(ex.reaching) | set(
        con.execute("SELECT DISTINCT package FROM fund_components").df()["package"]
    )
    repos = set(links.loc[links["package"].isin(used), "repo"])
    store_repos = {
        r[0].lower(): r[0] for r in con.execute("SELECT full_name FROM repos").fetchall()
    }
    repos |= set(store_repos)
    now = datetime.now(UTC)
    rows = []
    for repo in sorted(repos):
        pk = links[links["repo"] == repo]
        packages = list(pk["package"])
        conf = [{"package": p, "confidence": float(c), "provenance": v}
                for p, c, v in zip(pk["package"], pk["confidence"], pk["provenance"], strict=True)]  # fmt: skip
        r = reach(sig[sig["package"].isin(packages)])
        r["links"] = conf
        name = store_repos.get(repo, repo)
        rows.append((name, "reach", r["value"], r["coverage"], r["flagged"], json.dumps(r), now))
        reach_any = (
            set().union(*(ex.reaching.get(p, set()) for p in packages)) if packages else set()
        )
        reach_dir = set().union(*(ex.direct.get(p, set()) for p in packages)) if packages else set()
        value: float | None = None
        if packages and ex.org_repos:
            if ex.mode == "trickle":
                value = 100 * sum(ex.share.get(p, 0.0) for p in packages)
            else:
                value = 100 * len(reach_any) / ex.org_repos
        detail = {"mode": ex.mode, "org_repos": ex.org_repos, "repos_reaching": len(reach_any),
                  "repos_direct": len(reach_dir), "include_dev": include_dev,
                  "depth_from_depsdev": ex.depth.get("deps.dev", []),
                  "without_depth": ex.depth.get("flat", []),
                  "share": None if value is None else value / 100, "links": conf}  # fmt: skip
        rows.append((name, "exposure", value, None, None, json.dumps(detail), now))
    # the OpenSSF criticality_score baseline, shown beside the lenses (never part of them)
    crit = criticality_scores(con)
    for r in json.loads(crit.to_json(orient="records")) if len(crit) else []:
        rows.append((r["repo"], "criticality", r["criticality"], None, None, json.dumps(r), now))
    df = pd.DataFrame(
        rows, columns=["repo", "lens", "value", "coverage", "flagged", "detail", "computed_at"]
    )
    df = df.astype({"value": "float64", "coverage": "Int64", "flagged": "boolean"})
    with transaction(con):
        con.execute("DELETE FROM fund_importance")
        if len(df):
            con.register("_fund_imp", df)
            con.execute("INSERT INTO fund_importance SELECT * FROM _fund_imp")
            con.unregister("_fund_imp")
    return df

"""The project page: one dashboard per repository, and the JSON bundle behind it.

Split from ``pages.py`` (the portfolio, compare, plan and health pages) because it is the
largest page: its charts, the collaboration network's layout, the key people and the what-if
shown as display fields. Like the other pages it writes the data it shows beside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ossmetrics.report import charts
from ossmetrics.report.model import SiteData, parse_drivers
from ossmetrics.report.pages import PORTFOLIO_COLUMNS, common_context, records
from ossmetrics.report.render import render, to_jsonable, write_table

__all__ = ["project_page"]


def _network(sd: SiteData, rid: int) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Nodes and links with positions from a seeded spring layout (same picture every build)."""
    import networkx as nx

    nodes = sd.net_nodes.get(rid)
    if nodes is None or len(nodes) < 2:
        return None  # a network of one person says nothing
    keys = set(sd.key_people.get(rid, []))
    edges = sd.net_edges.get(rid, pd.DataFrame(columns=["source", "target", "files"]))
    g = nx.Graph()
    g.add_nodes_from(int(p) for p in nodes["person_id"])
    for s, t, f in zip(edges["source"], edges["target"], edges["files"], strict=True):
        if g.has_node(int(s)) and g.has_node(int(t)):
            g.add_edge(int(s), int(t), weight=float(np.log1p(f)))
    pos = _layout(g)
    out = nodes.copy()
    out["person_id"] = out["person_id"].astype(int)
    out["name"] = [sd.names.get(p, f"person {p}") for p in out["person_id"]]
    out["key"] = out["person_id"].isin(keys)
    out["x"] = [float(pos[p][0]) for p in out["person_id"]]
    out["y"] = [float(pos[p][1]) for p in out["person_id"]]
    out["collaborators"] = [g.degree(p) for p in out["person_id"]]
    for col in ("files_authored", "community", "pagerank", "core"):
        if col not in out.columns:
            out[col] = None
    links = pd.DataFrame(
        [
            {"x": pos[a][0], "y": pos[a][1], "x2": pos[b][0], "y2": pos[b][1], "files": d["weight"]}
            for a, b, d in g.edges(data=True)
        ],
        columns=["x", "y", "x2", "y2", "files"],
    )
    if not links.empty:
        links["files"] = np.expm1(links["files"]).round().astype(int)
    return out, links


def _layout(g: Any) -> dict[int, tuple[float, float]]:
    """Seeded spring layout of the connected people; loners on a ring just outside them.

    Spring layouts push unconnected nodes far out, which squeezes the part worth seeing; the
    square root of each radius then evens out the density for a readable picture.
    """
    import networkx as nx

    linked = [n for n in g.nodes if g.degree(n) > 0]
    alone = [n for n in g.nodes if g.degree(n) == 0]
    pos: dict[int, tuple[float, float]] = {}
    if linked:
        sub = g.subgraph(linked)
        raw = nx.spring_layout(sub, weight="weight", seed=7, iterations=50)
        xy = np.array([raw[n] for n in linked], dtype=float)
        xy -= xy.mean(axis=0)
        r = np.hypot(xy[:, 0], xy[:, 1])
        scale = np.where(r > 0, np.sqrt(r / (r.max() or 1.0)) / np.maximum(r, 1e-9), 0.0)
        xy *= scale[:, None]
        pos.update({n: (float(x), float(y)) for n, (x, y) in zip(linked, xy, strict=True)})
    for i, n in enumerate(alone):
        angle = 2 * np.pi * i / max(len(alone), 1)
        pos[n] = (1.25 * float(np.cos(angle)), 1.25 * float(np.sin(angle)))
    return pos


def _zero_fill(monthly: pd.DataFrame) -> pd.DataFrame:
    if monthly.empty:
        return monthly
    m = monthly.drop(columns=["repo_id"], errors="ignore")
    m["month"] = pd.to_datetime(m["month"])
    full = pd.date_range(m["month"].min(), m["month"].max(), freq="MS")
    return m.set_index("month").reindex(full, fill_value=0).rename_axis("month").reset_index()


def _what_if(stored: dict[str, Any], person: str, sd: SiteData | None = None) -> dict[str, Any]:
    """The risk step's stored what-if (a ``risk_what_if`` row) as display fields.

    With ``sd``, people are named as its ``PeopleView`` allows; in publish mode a person who is
    not allowed is left out of the table (``hidden_people`` counts them).
    """
    out: dict[str, Any] = {"person": person, "ok": True, "reason": None}
    for k in ("risk", "without_risk", "without_p_dormant", "without_p_core_loss"):
        v = stored.get(k)
        # NULL stays a key (None), so the page shows a dash instead of failing on it
        out[k] = float(v) if isinstance(v, int | float) and not pd.isna(v) else None
    view = sd.people if sd is not None else None
    # the name the risk step stored, unless the site is published (then the label given)
    out["without"] = person if view is not None and view.publish else stored.get("person") or person
    out["drivers"] = json.loads(stored["drivers"]) if stored.get("drivers") else []
    people = []
    hidden = 0
    for p in json.loads(stored["people"]) if stored.get("people") else []:
        pid = p.get("person_id")
        if view is not None and isinstance(pid, int):
            if not view.allowed(pid):
                hidden += 1
                continue
            p = {**p, "name": f"{view.label(pid)} (id {pid})"}
        elif view is not None and view.publish:
            hidden += 1  # no id to check against allow_names: never a name in publish mode
            continue
        people.append(p)
    out["people"] = people
    out["hidden_people"] = hidden
    return out


def project_page(sd: SiteData, site: Path, row: dict[str, Any], slugs: set[str]) -> None:
    """One dashboard, from ``sd`` only (the what-if too: the risk step stored it)."""
    info = next(r for r in sd.repos if r.repo_id == row["repo_id"])
    rid = info.repo_id
    out_charts: dict[str, Any] = {}
    monthly = _zero_fill(sd.monthly.get(rid, pd.DataFrame()))
    if not monthly.empty:
        out_charts["activity"] = charts.activity_chart(monthly, f"Activity of {info.full_name}")
    q = sd.quarterly.get(rid)
    if q is not None and not q.empty:
        out_charts["new-returning"] = charts.new_returning_chart(q)
    co = sd.cohorts.get(rid)
    if co is not None and not co.empty:
        out_charts["retention"] = charts.retention_chart(co)
    resp = sd.responsiveness.get(rid)
    if resp is not None and not resp.empty:
        out_charts["responsiveness"] = charts.responsiveness_chart(resp)
    rel = sd.releases.get(rid, pd.DataFrame())
    if not rel.empty:
        out_charts["releases"] = charts.releases_chart(rel)
    net = _network(sd, rid)
    if net is not None:
        out_charts["network"] = charts.network_chart(
            net[0], net[1], f"Who works with whom in {info.full_name}"
        )
    hist = sd.history.get(rid, pd.DataFrame())
    if not hist.empty:
        out_charts["history"] = charts.metric_history_chart(hist)

    keys = []
    graph_rows = sd.graph.get(rid)
    view = sd.people
    all_keys = sd.key_people.get(rid, [])
    for pid in all_keys:
        if view is not None and not view.allowed(pid):
            continue  # publish mode: a person-level row only for people in allow_names
        ews = sd.elsewhere(rid, pid)
        keys.append(
            {
                "person_id": pid,
                "name": sd.names.get(pid, f"person {pid}"),
                "elsewhere": [
                    {
                        "repo": e["repo"],
                        "commits": int(e["commits"]),
                        "share": float(e["share"]),
                        "href": f"{e['repo'].replace('/', '__')}.html"
                        if e["repo"].replace("/", "__") in slugs
                        else None,
                    }
                    for _, e in ews.iterrows()
                ],
            }
        )
    risk = sd.risk.get(rid)
    whatif: dict[str, Any] | None = None
    stored = sd.what_if.get(rid)
    if risk is not None and stored is not None:
        pid = int(stored["person_id"])
        if view is not None and not view.allowed(pid):
            first_name = view.ordinal(1)  # publish: "the main author", never a name
        else:
            first_name = sd.names.get(pid, f"person {pid}")
        whatif = _what_if(stored, first_name, sd)

    series: dict[str, list[list[Any]]] = {}
    if not monthly.empty:
        for col, label in (
            ("commits", "Commits per month"),
            ("contributors", "Active contributors per month"),
            ("new_contributors", "First-time contributors per month"),
        ):
            days = monthly["month"].dt.strftime("%Y-%m-%d").tolist()
            series[label] = [
                list(x) for x in zip(days, monthly[col].astype(int).tolist(), strict=True)
            ]
    if resp is not None and not resp.empty:
        for col, label in (
            ("first_response_h", "Median hours to first response"),
            ("merge_h", "Median hours to merge"),
            ("backlog", "Open issues at month end"),
        ):
            s = resp[["month", col]].dropna()
            series[label] = [
                [pd.Timestamp(d).strftime("%Y-%m-%d"), float(v)]
                for d, v in zip(s["month"], s[col], strict=True)
            ]
    for metric, g in hist.groupby("metric") if not hist.empty else []:
        series[f"Snapshot: {metric}"] = [
            [pd.Timestamp(d).strftime("%Y-%m-%d"), float(v)]
            for d, v in zip(g["computed_at"], g["value"], strict=True)
        ]

    stem = site / "data" / "projects" / info.slug
    if not monthly.empty:
        write_table(monthly, stem.parent / f"{info.slug}-monthly")
    bundle = {
        "repo": info.full_name,
        "reference_date": sd.ref,
        "headline": {k: row.get(k) for k in PORTFOLIO_COLUMNS},
        "monthly": records(monthly),
        "quarterly": records(q) if q is not None else [],
        "cohorts": records(co) if co is not None else [],
        "responsiveness": records(resp) if resp is not None else None,
        "releases": records(rel) if not rel.empty else ([] if rid in sd.github else None),
        "graph_measures": records(graph_rows[["as_of", "measure", "value"]])
        if graph_rows is not None
        else None,
        "key_people": keys,
        "risk": {**risk, "drivers": parse_drivers(risk.get("drivers"))} if risk else None,
        "what_if": whatif,
        "metric_history": records(hist),
    }
    stem.parent.mkdir(parents=True, exist_ok=True)

    stem.with_suffix(".json").write_text(
        json.dumps(to_jsonable(bundle), indent=1, ensure_ascii=False), encoding="utf-8"
    )
    render(
        "project.html",
        site / "projects" / f"{info.slug}.html",
        **common_context(sd, 1),
        info=info,
        row=row,
        charts=out_charts,
        github=rid in sd.github,
        releases=records(rel.head(12)) if not rel.empty else [],
        waiting=records(sd.waiting[rid]) if rid in sd.waiting else [],
        graph_done=graph_rows is not None,
        graph={m: v for m, v in zip(graph_rows["measure"], graph_rows["value"], strict=True)}
        if graph_rows is not None
        else {},
        graph_as_of=graph_rows["as_of"].iloc[0] if graph_rows is not None else None,
        key_people=keys,
        hidden_key_people=len(all_keys) - len(keys),
        n_net=0 if net is None else len(net[0]),
        risk=risk,
        drivers=parse_drivers(risk.get("drivers")) if risk else [],
        whatif=whatif,
        history=not hist.empty,
        summary={k: v for k, v in sd.summary_row(rid).items() if k != "as_of"},
        series=series,
        monthly_csv=not monthly.empty,
    )

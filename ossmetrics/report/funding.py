"""The funding view of the report, read from the store only (``fund_importance``, ``fund_plan``).

Nothing here calls a service: the lenses and the plan were computed by ``ossmetrics fund`` and
stored; this module turns them into portfolio columns, tooltip text and the plan page's rows.
Key people go through the report's people display helpers (``data_people``), so any masking
they apply reaches the plan too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ossmetrics.fund.plan import depth_note
from ossmetrics.privacy import PeopleView
from ossmetrics.report import data_people

__all__ = [
    "ATTRIBUTION",
    "FUNDING_COLUMNS",
    "IMPORTANT_PERCENTILE",
    "funding_frame",
    "key_people_names",
    "plan_frame",
    "spearman",
]

IMPORTANT_PERCENTILE = 0.70  # quadrant threshold: the portfolio's 70th percentile of importance
ATTRIBUTION = (
    "Usage data from ecosyste.ms (CC BY-SA 4.0, https://ecosyste.ms) and deps.dev "
    "(CC BY 4.0, https://deps.dev)."
)
FUNDING_COLUMNS = [
    "importance_reach", "reach_coverage", "reach_flagged", "reach_ecosystem", "reach_signals",
    "importance_exposure", "exposure_mode", "exposure_repos", "link_confidence", "criticality",
]  # fmt: skip


def key_people_names(
    con: duckdb.DuckDBPyConnection, people: PeopleView | None = None
) -> Callable[[int], list[str]]:
    """repo_id -> the names of its truck-factor people, in removal order.

    With ``people``, each is labelled as that view allows (a pseudonym in publish mode unless
    the person is in ``allow_names``); without, the display name (never an email).
    """

    def names(repo_id: int) -> list[str]:
        g = data_people.graph_measures(con, [repo_id])
        tf = g[g["measure"] == "truck_factor"] if len(g) else g
        if len(tf):
            tf = tf.sort_values("as_of", ascending=False) if "as_of" in tf else tf
        ids = data_people.key_people(tf["detail"].iloc[0]) if len(tf) else []
        shown = people.labels(ids) if people is not None else data_people.person_names(con, ids)
        return [shown[p] for p in ids if p in shown]

    return names


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def _signals_text(d: dict[str, Any]) -> str:
    parts = []
    for i in d.get("inputs", []):
        parts.append(
            f"{i['signal']} {i['value']:,.0f} ({i['source']}, {i.get('as_of') or 'undated'})"
        )
    for i in d.get("others", []):  # shown beside the scored inputs, not part of the score
        value = f"{i['value']:,.2f}".rstrip("0").rstrip(".")
        parts.append(f"{i['signal']} {value} ({i['source']}, {i.get('as_of') or 'undated'})")
    return "; ".join(parts)


def _links_text(links: list[dict[str, Any]]) -> str:
    return "; ".join(f"{x['package']} {x['confidence']:.2f} ({x['provenance']})" for x in links)


def funding_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per repository (``key``: lower-case name) with both lenses and their evidence."""
    cols = ["key", *FUNDING_COLUMNS]
    if not _table_exists(con, "fund_importance"):
        return pd.DataFrame(columns=cols)
    raw = con.execute(
        "SELECT repo, lens, value, coverage, flagged, detail FROM fund_importance"
    ).df()
    rows: dict[str, dict[str, Any]] = {}
    for r in raw.itertuples():
        row = rows.setdefault(str(r.repo).lower(), {"key": str(r.repo).lower()})
        d = json.loads(r.detail) if isinstance(r.detail, str) else {}
        value = None if pd.isna(r.value) else float(r.value)
        if r.lens == "reach":
            row["importance_reach"] = value
            row["reach_coverage"] = None if pd.isna(r.coverage) else int(r.coverage)
            row["reach_flagged"] = None if pd.isna(r.flagged) else bool(r.flagged)
            row["reach_ecosystem"] = d.get("ecosystem")
            row["reach_signals"] = _signals_text(d) or "no usage signal known"
            row["link_confidence"] = _links_text(d.get("links", [])) or "no package linked"
        elif r.lens == "exposure":
            row["importance_exposure"] = value
            row["exposure_mode"] = (d.get("mode") or "") + depth_note(d) or None
            if value is not None:
                row["exposure_repos"] = (
                    f"{d.get('repos_reaching', 0)} of {d.get('org_repos', 0)} repositories "
                    f"({d.get('repos_direct', 0)} directly)"
                )
        elif r.lens == "criticality":
            row["criticality"] = value
    return pd.DataFrame(list(rows.values()), columns=cols)


def spearman(a: pd.Series, b: pd.Series) -> tuple[float | None, int]:
    """Spearman's rho over the rows where both are known (average ranks for ties), and n."""
    both = pd.concat([a, b], axis=1).dropna()
    n = len(both)
    if n < 3:
        return None, n
    ra = both.iloc[:, 0].rank().to_numpy(dtype=float)
    rb = both.iloc[:, 1].rank().to_numpy(dtype=float)
    if ra.std() == 0 or rb.std() == 0:
        return None, n
    return float(np.corrcoef(ra, rb)[0, 1]), n


def plan_frame(con: duckdb.DuckDBPyConnection, people: PeopleView | None = None) -> pd.DataFrame:
    """The stored plan with each project's key people (display names), empty if none."""
    if not _table_exists(con, "fund_plan"):
        return pd.DataFrame()
    df = con.execute(
        """
        SELECT p.*, r.repo_id FROM fund_plan p
        LEFT JOIN repos r ON lower(r.full_name) = lower(p.repo) ORDER BY p.rank
        """
    ).df()
    if df.empty:
        return df
    names = key_people_names(con, people)
    df["key_people"] = [
        ", ".join(names(int(rid))) if pd.notna(rid) else "" for rid in df["repo_id"]
    ]
    df["amount"] = df["amount_cents"] / 100
    return df

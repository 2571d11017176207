"""People-centred data: truck factor and key people, their load elsewhere, the collaboration
network, risk scores and the metric history written by nightly runs.

These come from later stages (graph, risk, nightly) that may not have run: every reader
returns an empty frame then, and the page says what to run.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from ossmetrics.report.data import metric

__all__ = [
    "collaboration_network",
    "cross_load",
    "graph_measures",
    "key_people",
    "metric_history",
    "person_measures",
    "person_names",
    "risk_latest",
]


def graph_measures(con: duckdb.DuckDBPyConnection, ids: list[int]) -> pd.DataFrame:
    """The newest ``graph_repo_measures`` cut per repo: repo_id, as_of, measure, value, detail."""
    return con.execute(
        """SELECT repo_id, as_of, measure, value, detail FROM graph_repo_measures g
           WHERE list_contains($ids, repo_id)
             AND as_of = (SELECT max(as_of) FROM graph_repo_measures h WHERE h.repo_id = g.repo_id)
           ORDER BY repo_id, measure""",
        {"ids": ids},
    ).df()


def key_people(detail: Any) -> list[int]:
    """Person ids from the truck-factor row's JSON detail, in removal order.

    Accepts a list of ids, a list of objects with ``person_id``, or an object holding one of
    those under ``key_people`` — whichever shape the graph stage settled on.
    """
    if detail is None or (isinstance(detail, float) and pd.isna(detail)):
        return []
    try:
        obj = json.loads(detail) if isinstance(detail, str) else detail
    except (TypeError, ValueError):
        return []
    if isinstance(obj, dict):
        obj = obj.get("key_people") or obj.get("people") or []
    out: list[int] = []
    if isinstance(obj, list):
        for item in obj:
            pid = item.get("person_id") if isinstance(item, dict) else item
            try:
                out.append(int(pid))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
    return out


def person_names(con: duckdb.DuckDBPyConnection, person_ids: list[int]) -> dict[int, str]:
    """A readable name per person: display name, else GitHub login, else ``person N``."""
    if not person_ids:
        return {}
    rows = con.execute(
        """SELECT person_id, coalesce(nullif(display_name, ''), nullif(github_login, ''),
                                      'person ' || person_id)
           FROM people WHERE list_contains($ids, person_id)""",
        {"ids": sorted(set(person_ids))},
    ).fetchall()
    return {int(r[0]): str(r[1]) for r in rows}


def cross_load(
    con: duckdb.DuckDBPyConnection, person_ids: list[int], ref: datetime
) -> pd.DataFrame:
    """Where each person committed in the 12 months before ``ref``: person_id, repo, commits, share.

    The ``person_commit_share`` metric as of ``ref`` (its default 12 months, health_summary's
    window): ``share`` is the person's part of that repository's non-bot, non-merge commits in
    ``(ref - 12 months, ref]``, so a funder sees how much of another project also rests on
    them. Every repository of the store counts, not only the selected ones.
    """
    cols = ["person_id", "repo_id", "repo", "commits", "share"]
    if not person_ids:
        return pd.DataFrame(columns=cols)
    df = metric(con, "person_commit_share", as_of=ref)
    df = df[df["person_id"].isin(set(person_ids))]
    ids = dict(con.execute("SELECT lower(full_name), repo_id FROM repos").fetchall())
    df = df.assign(repo_id=df["repo"].str.lower().map(ids).astype(int))
    return df[cols].sort_values(
        ["person_id", "commits", "repo"], ascending=[True, False, True], ignore_index=True
    )


def collaboration_network(
    con: duckdb.DuckDBPyConnection, ids: list[int], *, top: int = 40, days: int = 730
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes and edges of each repo's recent collaboration network.

    Window: the ``days`` before the repository's own last commit (so a dormant project still
    shows who built it). Nodes: its ``top`` people by commits there; an edge joins two people
    who changed at least one same file, weighted by how many files they share.
    """
    p = {"ids": ids, "top": top, "days": days}
    nodes = con.execute(
        """WITH last AS (SELECT repo_id, max(committed_at) AS last_ts FROM commits
                         WHERE list_contains($ids, repo_id) GROUP BY repo_id),
            c AS (SELECT c.repo_id, c.person_id, count(*) AS commits FROM human_commits c
                  JOIN last USING (repo_id)
                  WHERE NOT c.is_merge AND c.committed_at > last.last_ts - to_days($days)
                  GROUP BY ALL)
        SELECT * FROM c QUALIFY row_number() OVER (PARTITION BY repo_id ORDER BY commits DESC,
                                                   person_id) <= $top
        ORDER BY repo_id, commits DESC""",
        p,
    ).df()
    if nodes.empty:
        return nodes, pd.DataFrame(columns=["repo_id", "source", "target", "files"])
    con.register("nodes_df", nodes[["repo_id", "person_id"]])
    try:
        edges = con.execute(
            """WITH last AS (SELECT repo_id, max(committed_at) AS last_ts FROM commits
                         WHERE list_contains($ids, repo_id) GROUP BY repo_id),
            n AS (SELECT repo_id, person_id FROM nodes_df),
            af AS (SELECT DISTINCT f.repo_id, i.person_id, f.path FROM commit_files f
                   JOIN commits c USING (repo_id, sha) JOIN last USING (repo_id)
                   JOIN identities i ON i.identity_id = c.author_identity
                   JOIN n ON n.repo_id = c.repo_id AND n.person_id = i.person_id
                   WHERE c.committed_at > last.last_ts - to_days($days))
        SELECT a.repo_id, a.person_id AS source, b.person_id AS target, count(*) AS files
        FROM af a JOIN af b ON a.repo_id = b.repo_id AND a.path = b.path
         AND a.person_id < b.person_id
        GROUP BY ALL ORDER BY 1, files DESC""",
            {"ids": ids, "days": days},
        ).df()
    finally:
        con.unregister("nodes_df")
    return nodes, edges


def person_measures(con: duckdb.DuckDBPyConnection, ids: list[int]) -> pd.DataFrame:
    """The graph stage's per-person measures (newest cut): repo_id, person_id, files_authored,
    core, community, pagerank, betweenness — for the network's tooltips."""
    return con.execute(
        """SELECT repo_id, person_id,
                  max(value) FILTER (WHERE measure = 'files_authored') AS files_authored,
                  max(value) FILTER (WHERE graph = 'collaboration' AND measure = 'core') AS core,
                  max(value) FILTER (WHERE graph = 'collaboration' AND measure = 'community')
                      AS community,
                  max(value) FILTER (WHERE graph = 'collaboration' AND measure = 'pagerank')
                      AS pagerank,
                  max(value) FILTER (WHERE graph = 'collaboration' AND measure = 'betweenness')
                      AS betweenness
           FROM graph_person_measures g
           WHERE list_contains($ids, repo_id)
             AND as_of = (SELECT max(as_of) FROM graph_person_measures h WHERE h.repo_id = g.repo_id)
           GROUP BY repo_id, person_id""",
        {"ids": ids},
    ).df()


def risk_latest(con: duckdb.DuckDBPyConnection, ids: list[int]) -> pd.DataFrame:
    """The newest risk score per repo (latest as_of, then latest scoring)."""
    return con.execute(
        """SELECT repo_id, as_of, model_version, p_dormant, p_core_loss, risk, drivers, scored_at
           FROM risk_scores WHERE list_contains($ids, repo_id)
           QUALIFY row_number() OVER (PARTITION BY repo_id ORDER BY as_of DESC, scored_at DESC) = 1
           ORDER BY repo_id""",
        {"ids": ids},
    ).df()


def what_if_latest(con: duckdb.DuckDBPyConnection, ids: list[int]) -> pd.DataFrame:
    """The risk step's stored what-if for each repo's newest risk score (same date and model)."""
    return con.execute(
        """WITH latest AS (
               SELECT repo_id, as_of, model_version FROM risk_scores
               WHERE list_contains($ids, repo_id)
               QUALIFY row_number() OVER (PARTITION BY repo_id ORDER BY as_of DESC, scored_at DESC) = 1)
           SELECT w.repo_id, w.person_id, w.person, w.risk, w.without_p_dormant,
                  w.without_p_core_loss, w.without_risk, w.drivers, w.people
           FROM risk_what_if w JOIN latest USING (repo_id, as_of, model_version)
           ORDER BY w.repo_id""",
        {"ids": ids},
    ).df()


def metric_history(con: duckdb.DuckDBPyConnection, ids: list[int]) -> pd.DataFrame:
    """Headline metrics recorded by nightly runs: repo_id, metric, computed_at, value."""
    return con.execute(
        """SELECT repo_id, metric, computed_at, value FROM metric_snapshots
           WHERE list_contains($ids, repo_id) AND value IS NOT NULL
           ORDER BY repo_id, metric, computed_at""",
        {"ids": ids},
    ).df()

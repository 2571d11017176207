"""``ContributorGraph``: the domain object the rest of ossmetrics uses instead of raw NetworkX.

Why a wrapper: callers speak of contributors, files and repositories, not of nodes; the node
naming (``person:12``, ``file:src/app.py``, ``repo:3``), the attributes every export carries and
the measures' definitions then live in one place. The NetworkX graph stays reachable
(``.graph``) for anything the wrapper does not cover.

Three kinds, all cut at a date (only commits with ``committed_at <= as_of`` count):

- ``collaboration``: person -- person, ``weight`` = files both changed within ``window_days`` of
  each other (``coedit``) + comments/reviews one left on the other's issue or PR
  (``interactions``, when GitHub data exists). Every non-bot committer is a node.
- ``authorship``: person -- file (files present at the cut, counted as in the truck factor),
  ``weight`` = degree of authorship; ``author`` marks DOA authors.
- ``portfolio``: person -- repository across the whole store, ``weight`` = commits.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import networkx as nx
import pandas as pd

from ossmetrics.errors import GraphError
from ossmetrics.graph import build as sql_edges
from ossmetrics.graph import measures
from ossmetrics.privacy import PeopleView, scrub_text

__all__ = ["GRAPH_KINDS", "ContributorGraph", "person_node"]

GRAPH_KINDS = ("collaboration", "authorship", "portfolio")
EXPORT_FORMATS = ("graphml", "gexf", "json")


def _relabel_people(g: nx.Graph, people: PeopleView | None) -> None:
    """Person labels as ``people`` allows; emails hidden in every text attribute."""
    for node, attrs in g.nodes(data=True):
        if people is not None and str(node).startswith("person:") and "label" in attrs:
            attrs["label"] = people.label(int(str(node).split(":", 1)[1]))
        for k, v in list(attrs.items()):
            if isinstance(v, str):
                attrs[k] = scrub_text(v)
    for _, _, attrs in g.edges(data=True):
        for k, v in list(attrs.items()):
            if isinstance(v, str):
                attrs[k] = scrub_text(v)


def person_node(person_id: int) -> str:
    return f"person:{int(person_id)}"


def _labels(con: duckdb.DuckDBPyConnection, ids: Sequence[int]) -> dict[int, str]:
    """Display labels of ``ids``, in person_id order: graphs add nodes in this order, and
    Louvain's communities depend on node order, so it must not follow the people table's
    physical row order (which differs between a store and a lake read through Spark)."""
    if not len(ids):
        return {}
    rows = con.execute(
        """SELECT person_id, coalesce(nullif(display_name, ''), nullif(github_login, ''),
                                      'person ' || person_id)
           FROM people WHERE list_contains($ids, person_id) ORDER BY person_id""",
        {"ids": sorted({int(x) for x in ids})},
    ).fetchall()
    return {int(r[0]): str(r[1]) for r in rows}


class ContributorGraph:
    """A contributor graph of one kind, for one repository (or the store), at one cut date."""

    def __init__(
        self,
        graph: nx.Graph,
        *,
        kind: str,
        repo_id: int | None,
        as_of: datetime | date | None,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.graph = graph
        self.kind = kind
        self.repo_id = repo_id
        self.as_of = as_of
        self.info: dict[str, Any] = dict(info or {})

    # -- construction --------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        con: duckdb.DuckDBPyConnection,
        kind: str,
        repo_id: int | None,
        as_of: datetime | date | None = None,
        **options: Any,
    ) -> ContributorGraph:
        """Dispatch on ``kind`` (one of ``GRAPH_KINDS``)."""
        if kind == "collaboration":
            return cls.collaboration(con, _need_repo(repo_id, kind), as_of, **options)
        if kind == "authorship":
            return cls.authorship(con, _need_repo(repo_id, kind), as_of, **options)
        if kind == "portfolio":
            return cls.portfolio(con, as_of, **options)
        raise GraphError(f"unknown graph kind '{kind}'", f"use one of: {', '.join(GRAPH_KINDS)}")

    @classmethod
    def collaboration(
        cls,
        con: duckdb.DuckDBPyConnection,
        repo_id: int,
        as_of: datetime | date | None = None,
        *,
        window_days: int = sql_edges.DEFAULT_WINDOW_DAYS,
        exclude: Sequence[str] | None = None,
        max_file_people: int = sql_edges.DEFAULT_MAX_FILE_PEOPLE,
        since: datetime | date | None = None,
    ) -> ContributorGraph:
        people = sql_edges.people_activity(con, repo_id, as_of, since=since)
        edges = sql_edges.collaboration_edges(
            con,
            repo_id,
            as_of,
            window_days=window_days,
            exclude=exclude,
            max_file_people=max_file_people,
            since=since,
        )
        g = nx.Graph()
        for pid, commits, label in zip(
            people["person_id"].tolist(),
            people["commits"].tolist(),
            people["label"].tolist(),
            strict=True,
        ):
            g.add_node(
                person_node(pid),
                kind="person",
                person_id=int(pid),
                label=str(label),
                commits=int(commits),
            )
        missing = set(edges["src"].tolist()) | set(edges["dst"].tolist())
        missing -= {int(x) for x in people["person_id"].tolist()}
        if missing:  # commenters without commits (GitHub data)
            for pid, label in _labels(con, sorted(missing)).items():
                g.add_node(person_node(pid), kind="person", person_id=pid, label=label, commits=0)
        g.add_edges_from(
            (
                person_node(s),
                person_node(d),
                {"weight": float(w), "coedit": int(c), "interactions": int(i)},
            )
            for s, d, w, c, i in zip(
                edges["src"].tolist(),
                edges["dst"].tolist(),
                edges["weight"].tolist(),
                edges["coedit"].tolist(),
                edges["interactions"].tolist(),
                strict=True,
            )
        )
        info = {"window_days": window_days, "max_file_people": max_file_people}
        return cls(g, kind="collaboration", repo_id=repo_id, as_of=as_of, info=info)

    @classmethod
    def authorship(
        cls,
        con: duckdb.DuckDBPyConnection,
        repo_id: int,
        as_of: datetime | date | None = None,
        *,
        exclude: Sequence[str] | None = None,
    ) -> ContributorGraph:
        pairs = sql_edges.authorship_edges(con, repo_id, as_of, exclude=exclude)
        labels = _labels(con, pairs["person_id"].unique().tolist())
        g = nx.Graph()
        for pid, label in labels.items():
            g.add_node(person_node(pid), kind="person", person_id=pid, label=label)
        for path in pairs["path"].unique().tolist():
            g.add_node(f"file:{path}", kind="file", path=path, label=path)
        g.add_edges_from(
            (
                person_node(p),
                f"file:{f}",
                {"weight": float(d), "doa_norm": float(n), "author": bool(a), "changes": int(c)},
            )
            for p, f, d, n, a, c in zip(
                pairs["person_id"].tolist(),
                pairs["path"].tolist(),
                pairs["doa"].tolist(),
                pairs["doa_norm"].tolist(),
                pairs["is_author"].tolist(),
                pairs["changes"].tolist(),
                strict=True,
            )
        )
        return cls(g, kind="authorship", repo_id=repo_id, as_of=as_of)

    @classmethod
    def portfolio(
        cls,
        con: duckdb.DuckDBPyConnection,
        as_of: datetime | date | None = None,
        *,
        repo_ids: Sequence[int] | None = None,
        since: datetime | date | None = None,
    ) -> ContributorGraph:
        edges = sql_edges.portfolio_edges(con, as_of, repo_ids=repo_ids, since=since)
        repos = dict(con.execute("SELECT repo_id, full_name FROM repos").fetchall())
        labels = _labels(con, edges["person_id"].unique().tolist())
        g = nx.Graph()
        for pid, label in labels.items():
            g.add_node(person_node(pid), kind="person", person_id=pid, label=label)
        for rid in edges["repo_id"].unique().tolist():
            g.add_node(f"repo:{rid}", kind="repo", repo_id=int(rid), label=repos.get(rid, str(rid)))
        g.add_edges_from(
            (person_node(p), f"repo:{r}", {"weight": float(c), "commits": int(c)})
            for p, r, c in zip(
                edges["person_id"].tolist(),
                edges["repo_id"].tolist(),
                edges["commits"].tolist(),
                strict=True,
            )
        )
        return cls(g, kind="portfolio", repo_id=None, as_of=as_of)

    # -- questions about contributors ----------------------------------------------------

    def people(self) -> list[int]:
        """person_ids in the graph, ascending."""
        return sorted(
            int(d["person_id"]) for _, d in self.graph.nodes(data=True) if d["kind"] == "person"
        )

    @property
    def n_people(self) -> int:
        return sum(1 for _, d in self.graph.nodes(data=True) if d["kind"] == "person")

    @property
    def n_edges(self) -> int:
        return int(self.graph.number_of_edges())

    def tie(self, a: int, b: int) -> float:
        """Weight of the tie between two people (0 when there is none)."""
        data = self.graph.get_edge_data(person_node(a), person_node(b))
        return float(data["weight"]) if data else 0.0

    def collaborators(self, person_id: int) -> dict[int, float]:
        """The people (or, in bipartite graphs, nothing) directly tied to ``person_id``."""
        node = person_node(person_id)
        if node not in self.graph:
            return {}
        return {
            int(self.graph.nodes[u]["person_id"]): float(d.get("weight", 1.0))
            for u, d in self.graph[node].items()
            if self.graph.nodes[u]["kind"] == "person"
        }

    def person_measures(self, *, seed: int = 42) -> pd.DataFrame:
        """(person_id, measure, value) for every person; see docs/graph.md for definitions.

        Collaboration graphs get every measure in ``measures.PERSON_MEASURES``; bipartite
        graphs get degree (files or repositories) and weighted degree (DOA sum or commits), and
        ``files_authored`` (authorship) or ``repos`` (portfolio). ``self.info`` records the
        betweenness sampling used.
        """
        g = self.graph
        people = [v for v, d in g.nodes(data=True) if d["kind"] == "person"]
        pid = {v: int(g.nodes[v]["person_id"]) for v in people}
        rows: list[tuple[int, str, float]] = []

        def put(name: str, values: dict[Any, float] | dict[Any, int]) -> None:
            rows.extend((pid[v], name, float(values[v])) for v in people)

        deg = {v: g.degree(v) for v in people}
        wdeg = {v: float(g.degree(v, weight="weight")) for v in people}
        put("degree", deg)
        put("weighted_degree", wdeg)
        if self.kind == "collaboration":
            bt = measures.betweenness(g, seed=seed)
            self.info["betweenness_k"] = bt.k
            self.info["betweenness_seed"] = bt.seed
            put("betweenness", bt.values)
            put("pagerank", measures.pagerank(g))
            cores = measures.core_numbers(g)
            put("core_number", cores)
            top = max(cores.values(), default=0)
            put("core", {v: 1.0 if cores[v] == top else 0.0 for v in people})
            comm = measures.communities(g, seed=seed)
            put("community", comm)
            put("broker_score", measures.broker_scores(g, comm))
            self.info["max_core"] = top
            self.info["communities"] = sum(1 for c in _sizes(comm).values() if c >= 2)
        elif self.kind == "authorship":
            authored = {
                v: sum(1 for _, _, d in g.edges(v, data=True) if d.get("author")) for v in people
            }
            put("files_authored", authored)
        elif self.kind == "portfolio":
            put("repos", deg)
        df = pd.DataFrame(rows, columns=["person_id", "measure", "value"])
        return df.sort_values(["measure", "person_id"], ignore_index=True)

    # -- export ----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Node-link JSON (``nodes``, ``edges``), readable by d3, Cytoscape and NetworkX."""
        data: dict[str, Any] = nx.node_link_data(self.graph, edges="edges")
        data["graph"] = {
            "kind": self.kind,
            "repo_id": self.repo_id,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            **{k: v for k, v in self.info.items() if v is not None},
        }
        return data

    def export(
        self, path: str | os.PathLike[str], fmt: str = "graphml", people: PeopleView | None = None
    ) -> Path:
        """Write the graph as GraphML or GEXF (Gephi, yEd, Cytoscape) or node-link JSON.

        People are labelled as ``people`` allows (``--publish``: salted pseudonyms); no email
        address is written whatever the options (every text attribute is scrubbed).
        """
        out = Path(path)
        if fmt not in EXPORT_FORMATS:
            raise GraphError(
                f"unknown export format '{fmt}'", f"use one of: {', '.join(EXPORT_FORMATS)}"
            )
        if not out.parent.exists():
            raise GraphError(
                f"folder {out.parent} does not exist", "create it first or choose another --output"
            )
        g = self.graph.copy()
        _relabel_people(g, people)
        g.graph.update(
            {
                "kind": self.kind,
                "repo_id": -1 if self.repo_id is None else self.repo_id,
                "as_of": self.as_of.isoformat() if self.as_of else "",
            }
        )
        try:
            if fmt == "json":
                data = ContributorGraph(
                    g, kind=self.kind, repo_id=self.repo_id, as_of=self.as_of, info=self.info
                ).to_json()
                out.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
            elif fmt == "graphml":
                nx.write_graphml(g, out)
            else:
                nx.write_gexf(g, out)
        except OSError as exc:
            raise GraphError(
                f"cannot write {out}: {exc.strerror}", "check the path and free disk space"
            ) from None
        return out

    def __repr__(self) -> str:
        return (
            f"ContributorGraph(kind={self.kind!r}, repo_id={self.repo_id}, "
            f"people={self.n_people}, edges={self.n_edges})"
        )


def _sizes(comm: dict[Any, int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for c in comm.values():
        out[c] = out.get(c, 0) + 1
    return out


def _need_repo(repo_id: int | None, kind: str) -> int:
    if repo_id is None:
        raise GraphError(f"the {kind} graph belongs to one repository", "give --repo OWNER/NAME")
    return repo_id

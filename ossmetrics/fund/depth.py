"""Depth for flat SBOMs from deps.dev's dependency graphs.

GitHub's dependency-graph export and purl lists say only what a repository uses directly, so
the exposure lens used to fall back to repository counts for them. deps.dev's GetDependencies
answers each package version's resolved graph (``nodes`` with ``versionKey`` and ``relation``
SELF / DIRECT / INDIRECT, ``edges`` ``fromNode`` -> ``toNode``); ``fund enrich`` asks it for
every direct package of a flat document, at the version the document names (one request a
package version: there is no batch endpoint; a version already a node of another graph is not
asked, that graph holds its edges), and caches the answer (source
``depsdev_dependencies``, key ``package@version``). ``derive_edges`` turns the cache into
``fund_package_edges`` (kind runtime, source deps.dev, as_of the fetch date).

A flat document **has depth from deps.dev** when every direct package deps.dev could be asked
about (it has a concrete version, not a range, and a deps.dev system) has a cached answer or is a node of a cached
graph, and at least one of them has a graph; its direct packages without a graph (unknown to
deps.dev, no version) are then leaves.
Otherwise it still falls back (``DepthInfo.flat_docs``), and the page says which.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from ossmetrics.fund import services
from ossmetrics.fund.http import JsonClient
from ossmetrics.fund.purls import DEPSDEV_SYSTEMS, package_of_depsdev, parse_purl

__all__ = [
    "DepthInfo",
    "concrete_version",
    "depth_info",
    "derive_edges",
    "describe_depth",
    "fetch_graphs",
    "flat_roots",
]

SOURCE = "depsdev_dependencies"


def flat_roots(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """doc_id, org, package, version, askable: the direct packages of flat documents."""
    df = con.execute(
        """
        SELECT d.doc_id, coalesce(d.org_repo, d.path) AS org, e.child AS package,
               max(c.version) AS version
        FROM fund_documents d JOIN fund_edges e ON e.doc_id = d.doc_id AND e.parent IS NULL
        LEFT JOIN fund_components c ON c.doc_id = d.doc_id AND c.package = e.child
        WHERE d.flat GROUP BY ALL ORDER BY d.doc_id, package
        """
    ).df()
    df["askable"] = [
        concrete_version(v) and parse_purl(p).ecosystem in DEPSDEV_SYSTEMS
        for p, v in zip(df["package"], df["version"], strict=True)
    ]
    return df


_CONCRETE = re.compile(r"^v?[0-9][0-9A-Za-z.+_-]*$")


def concrete_version(version: Any) -> bool:
    """A version deps.dev can resolve (``1.2.3``, ``v1.0.0``, ``2.0.0-rc.1``), not a range a
    manifest without a lockfile leaves in GitHub's export (``^1.2``, ``>= 2``, ``1.x``, ``*``)."""
    if not isinstance(version, str) or not _CONCRETE.match(version):
        return False
    return not any(part in ("x", "X", "*") for part in re.split(r"[.+-]", version))


def _node_keys(payload: Any) -> set[str]:
    """``package@version`` of every node of a cached graph (JSON text or object)."""
    obj = json.loads(payload) if isinstance(payload, str) else payload
    out: set[str] = set()
    for n in obj.get("nodes") or [] if isinstance(obj, dict) else []:
        vk = n.get("versionKey") if isinstance(n, dict) else None
        if isinstance(vk, dict) and vk.get("version"):
            pkg = package_of_depsdev(str(vk.get("system", "")), str(vk.get("name", "")))
            if pkg:
                out.add(f"{pkg}@{vk['version']}")
    return out


def _graphs(con: duckdb.DuckDBPyConnection, since: datetime | None = None) -> dict[str, set[str]]:
    """Cached graphs (fetched since ``since``): root key -> its nodes' keys."""
    sql = "SELECT key, payload FROM fund_cache WHERE source = ? AND status = 200"
    args: list[Any] = [SOURCE]
    if since is not None:
        sql += " AND fetched_at >= ?"
        args.append(since)
    out = {}
    for key, payload in con.execute(sql, args).fetchall():
        try:
            out[str(key)] = _node_keys(payload)
        except ValueError:
            out[str(key)] = set()
    return out


def fetch_graphs(
    con: duckdb.DuckDBPyConnection,
    client: JsonClient,
    since: datetime,
    save: Callable[[str, list[tuple[str, Any]]], object],
    warnings: list[str],
) -> int:
    """Ask deps.dev for the graph of each flat document's direct packages; returns how many
    were asked. A package version that is already a node of a fresh graph is not asked: a
    resolved graph holds its nodes' own edges (GitHub's export lists transitive packages too,
    so most of them are covered by the graphs of the others). Each answer is cached as it
    comes (resumable); an answer other than 200 or 404 for one version (a 400) is kept as
    unknown with a line in ``warnings`` naming it."""
    roots = flat_roots(con)
    keys = dict.fromkeys(
        f"{p}@{v}"
        for p, v, ok in zip(roots["package"], roots["version"], roots["askable"], strict=True)
        if ok
    )
    fresh = {
        str(k)
        for (k,) in con.execute(
            "SELECT key FROM fund_cache WHERE source = ? AND fetched_at >= ?", [SOURCE, since]
        ).fetchall()
    }
    covered = set().union(*_graphs(con, since).values())
    n = 0
    for key in keys:
        if key in fresh or key in covered:
            continue
        package, version = key.rsplit("@", 1)
        status, obj = services.depsdev_dependencies(client, package, version)
        if status not in (200, 404):  # e.g. 400 for a version deps.dev cannot read
            warnings.append(
                f"deps.dev {key}: dependency graph answered HTTP {status}; kept as unknown"
            )
        ok = status == 200 and isinstance(obj, dict)
        save(SOURCE, [(key, obj if ok else None)])
        if ok:
            covered |= _node_keys(obj)
        n += 1
    return n


def _graph_rows(key: str, obj: dict[str, Any], fetched: datetime) -> list[tuple[Any, ...]]:
    root, version = key.rsplit("@", 1)
    nodes = obj.get("nodes")
    edges = obj.get("edges")
    if not isinstance(nodes, list) or not isinstance(edges, list):
        raise ValueError("no nodes and edges")
    pkgs: list[str | None] = []
    for n in nodes:
        vk = n.get("versionKey") if isinstance(n, dict) else None
        vk = vk if isinstance(vk, dict) else {}
        pkgs.append(package_of_depsdev(str(vk.get("system", "")), str(vk.get("name", ""))))
    rows = []
    for e in edges:
        if not isinstance(e, dict):
            raise ValueError("an edge is not an object")
        a, b = e.get("fromNode", 0), e.get("toNode", 0)  # proto3 JSON omits 0
        if (
            not isinstance(a, int)
            or not isinstance(b, int)
            or not (0 <= a < len(pkgs) and 0 <= b < len(pkgs))
        ):
            raise ValueError(f"edge {a!r} -> {b!r} names no node")
        parent, child = pkgs[a], pkgs[b]
        if parent and child and parent != child:
            rows.append((root, version, parent, child, "runtime", "deps.dev", fetched))
    return rows


def derive_edges(con: duckdb.DuckDBPyConnection, warnings: list[str]) -> pd.DataFrame:
    """The rows of ``fund_package_edges`` from the cached graphs (a graph that is not in the
    documented shape is left out with a warning naming the package)."""
    rows: list[tuple[Any, ...]] = []
    cache = con.execute(
        "SELECT key, payload, fetched_at FROM fund_cache WHERE source = ? AND status = 200",
        [SOURCE],
    ).fetchall()
    for key, payload, fetched in cache:
        try:
            obj = json.loads(payload) if payload else None
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            rows += list(dict.fromkeys(_graph_rows(str(key), obj, fetched)))
        except ValueError as exc:
            warnings.append(
                f"deps.dev {key}: dependency graph unreadable ({exc}); no depth from it"
            )
    cols = ["root", "version", "parent", "child", "kind", "source", "as_of"]
    return pd.DataFrame(rows, columns=cols)


@dataclass
class DepthInfo:
    """Which flat documents got depth from deps.dev, and the graph edges to use for them."""

    deep_docs: set[int] = field(default_factory=set)  # flat documents with deps.dev depth
    flat_docs: set[int] = field(default_factory=set)  # flat documents still without depth
    coverage: dict[int, tuple[int, int]] = field(default_factory=dict)  # doc -> (graphs, direct)
    edges: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # doc -> (parent, child)


def depth_info(con: duckdb.DuckDBPyConnection) -> DepthInfo:
    """Per flat document: does deps.dev give it depth (see the module docstring)?"""
    info = DepthInfo()
    roots = flat_roots(con)
    if roots.empty:
        return info
    answered = {
        str(k): int(s)
        for k, s in con.execute(
            "SELECT key, status FROM fund_cache WHERE source = ?", [SOURCE]
        ).fetchall()
    }
    container: dict[str, str] = {}  # package@version -> a graph holding it as a node
    for root, nodes in sorted(_graphs(con).items()):
        for n in nodes:
            container.setdefault(n, root)
    graph = con.execute("SELECT root, version, parent, child FROM fund_package_edges").df()
    by_root: dict[str, list[tuple[str, str]]] = {}
    for r, v, p, c in graph.itertuples(index=False, name=None):
        by_root.setdefault(f"{r}@{v}", []).append((str(p), str(c)))
    for doc_id, g in roots.groupby("doc_id"):
        keys = [
            f"{p}@{v}"
            for p, v, ok in zip(g["package"], g["version"], g["askable"], strict=True)
            if ok
        ]
        # each direct package's graph: its own, else one that holds it as a node
        use = {k: k if answered.get(k) == 200 else container.get(k) for k in keys}
        with_graph = [k for k, src in use.items() if src]
        did = int(str(doc_id))
        info.coverage[did] = (len(with_graph), len(g))
        if with_graph and all(k in answered or use[k] for k in keys):
            info.deep_docs.add(did)
            sources = dict.fromkeys(str(use[k]) for k in with_graph)
            info.edges[did] = [e for src in sources for e in by_root.get(src, [])]
        else:
            info.flat_docs.add(did)
    return info


def describe_depth(con: duckdb.DuckDBPyConnection) -> str:
    """One line: which flat SBOMs got depth from deps.dev and which still fall back ("" when
    the organisation has no flat SBOM)."""
    info = depth_info(con)
    if not info.coverage:
        return ""
    paths = {
        int(d): str(p) for d, p in con.execute("SELECT doc_id, path FROM fund_documents").fetchall()
    }
    deep = [
        f"{paths[d]} ({info.coverage[d][0]} of {info.coverage[d][1]} direct packages)"
        for d in sorted(info.deep_docs)
    ]
    flat = [paths[d] for d in sorted(info.flat_docs)]
    return (
        "flat SBOMs with depth from deps.dev: "
        + (", ".join(deep) or "none")
        + "; still without depth: "
        + (", ".join(flat) or "none")
    )

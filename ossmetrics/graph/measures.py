"""Network measures of a contributor graph, each one defined here and in docs/graph.md.

Why not NetworkX for everything: its exact betweenness is pure Python, ~14 s on a 1,100-person
co-edit graph of the corpus and hours on rails-sized ones (measured while building this stage;
``benchmarks/bench_graph.py`` times it). Brandes'
algorithm vectorised over a batch of sources with SciPy sparse products computes the *exact*
value in well under a second for graphs of a few thousand people, so it is used up to
``BETWEENNESS_EXACT_MAX`` people; beyond that, ``BETWEENNESS_SAMPLE`` seeded random sources
give NetworkX's estimator (scaled by n / k). PageRank, core numbers and Louvain communities are
NetworkX's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

__all__ = [
    "BETWEENNESS_EXACT_MAX",
    "BETWEENNESS_SAMPLE",
    "PERSON_MEASURES",
    "Betweenness",
    "betweenness",
    "broker_scores",
    "communities",
    "core_numbers",
    "pagerank",
]

#: Exact betweenness up to this many nodes; sampled sources beyond.
BETWEENNESS_EXACT_MAX = 4_000
#: Number of sampled sources for larger graphs.
BETWEENNESS_SAMPLE = 1_000
#: The person measures ``compute_graphs`` stores for the collaboration graph.
PERSON_MEASURES = (
    "degree",
    "weighted_degree",
    "betweenness",
    "pagerank",
    "core_number",
    "core",
    "community",
    "broker_score",
)


@dataclass
class Betweenness:
    """Normalised betweenness per node (NetworkX's normalisation) and how it was computed."""

    values: dict[object, float]
    k: int | None  # sampled sources, None when exact
    seed: int | None


def _csr(g: nx.Graph, nodes: list[object]) -> sp.csr_matrix:
    index = {v: i for i, v in enumerate(nodes)}
    rows, cols = [], []
    for a, b in g.edges():
        if a == b:
            continue
        rows.append(index[a])
        cols.append(index[b])
    n = len(nodes)
    r = np.asarray(rows + cols, dtype=np.int64)
    c = np.asarray(cols + rows, dtype=np.int64)
    m = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, n))
    m.data[:] = 1.0  # duplicate entries summed: back to 0/1
    return m


def _brandes_batch(adj: sp.csr_matrix, sources: np.ndarray) -> np.ndarray:
    """Sum over ``sources`` of the dependency of every node (Brandes 2001), hop distances."""
    n = adj.shape[0]
    b = len(sources)
    cols = np.arange(b)
    dist = np.full((n, b), -1, dtype=np.int32)
    dist[sources, cols] = 0
    sigma = np.zeros((n, b))
    sigma[sources, cols] = 1.0
    frontier = sigma.copy()
    level = 0
    while True:
        reach = adj @ frontier
        new = (reach > 0) & (dist < 0)
        if not new.any():
            break
        level += 1
        dist[new] = level
        sigma[new] = reach[new]
        frontier = np.where(new, reach, 0.0)
    delta = np.zeros((n, b))
    with np.errstate(divide="ignore", invalid="ignore"):
        for d in range(level, 0, -1):
            at = dist == d
            t = np.where(at, (1.0 + delta) / np.where(at, sigma, 1.0), 0.0)
            contrib = adj @ t
            prev = dist == d - 1
            delta += np.where(prev, sigma * contrib, 0.0)
    delta[sources, cols] = 0.0
    return np.asarray(delta.sum(axis=1), dtype=float)


def betweenness(
    g: nx.Graph, *, k: int | None = None, seed: int = 42, batch_cells: int = 4_000_000
) -> Betweenness:
    """Hop-count betweenness of every node, normalised as ``nx.betweenness_centrality``.

    Exact when ``k`` is None and the graph has at most ``BETWEENNESS_EXACT_MAX`` nodes;
    otherwise ``k`` (default ``BETWEENNESS_SAMPLE``) sources drawn with ``seed``. Edge weights
    are ignored: a tie is a tie, however strong (docs/graph.md says why).
    """
    nodes = list(g.nodes())
    n = len(nodes)
    if n == 0:
        return Betweenness({}, None, None)
    if k is None and n > BETWEENNESS_EXACT_MAX:
        k = BETWEENNESS_SAMPLE
    if k is not None and k >= n:
        k = None
    adj = _csr(g, nodes)
    if k is None:
        sources = np.arange(n)
    else:
        rng = np.random.default_rng(seed)
        sources = np.sort(rng.choice(n, size=k, replace=False))
    total = np.zeros(n)
    step = max(1, batch_cells // max(n, 1))
    for s in range(0, len(sources), step):
        total += _brandes_batch(adj, sources[s : s + step])
    if n > 2:
        total *= 1.0 / ((n - 1) * (n - 2))
        if k is not None:
            total *= n / k
    else:
        total[:] = 0.0
    return Betweenness(
        {v: float(x) for v, x in zip(nodes, total, strict=True)}, k, None if k is None else seed
    )


def pagerank(g: nx.Graph, *, weight: str = "weight") -> dict[object, float]:
    """Weighted PageRank (damping 0.85); an edgeless graph gives everyone 1/n."""
    if g.number_of_nodes() == 0:
        return {}
    if g.number_of_edges() == 0:
        return dict.fromkeys(g.nodes(), 1.0 / g.number_of_nodes())
    return dict(nx.pagerank(g, weight=weight))


def core_numbers(g: nx.Graph) -> dict[object, int]:
    """k-core number of every node (the largest k such that it belongs to a k-core)."""
    if nx.number_of_selfloops(g):
        g = g.copy()
        g.remove_edges_from(list(nx.selfloop_edges(g)))
    return dict(nx.core_number(g))


def communities(g: nx.Graph, *, seed: int = 42, weight: str = "weight") -> dict[object, int]:
    """Louvain communities (seeded), numbered 0.. by size (largest first), ties by smallest node.

    Isolated nodes form communities of their own.
    """
    if g.number_of_nodes() == 0:
        return {}
    parts = nx.community.louvain_communities(g, weight=weight, seed=seed)
    ordered = sorted((sorted(c, key=str) for c in parts), key=lambda c: (-len(c), str(c[0])))
    return {v: i for i, c in enumerate(ordered) for v in c}


def broker_scores(
    g: nx.Graph, community: dict[object, int], *, weight: str = "weight"
) -> dict[object, float]:
    """Participation coefficient (Guimerà & Amaral 2005): ``1 - sum_c (w_ic / w_i)^2``.

    0 for someone whose ties all stay inside one community, approaching 1 for someone whose
    tie strength is spread evenly over many communities: the people who connect groups that
    would otherwise not talk. 0 for isolated people.
    """
    out: dict[object, float] = {}
    for v in g.nodes():
        per: dict[int, float] = {}
        total = 0.0
        for u, data in g[v].items():
            if u == v:
                continue
            w = float(data.get(weight, 1.0))
            c = community.get(u, -1)
            per[c] = per.get(c, 0.0) + w
            total += w
        out[v] = 0.0 if total <= 0 else 1.0 - sum((x / total) ** 2 for x in per.values())
    return out

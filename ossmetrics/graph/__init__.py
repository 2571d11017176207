"""The graph stage: contributor graphs from the store, truck factor, network measures.

Reads commits, files, identities (and GitHub comments when present) from the store and writes
``graph_person_measures`` / ``graph_repo_measures``. Definitions: docs/graph.md.

- ``ossmetrics.graph.truck_factor.truck_factor`` / ``truck_factor_series``: Avelino et al.
  truck factor and the CHAOSS bus factor at any cut date. (The package attribute
  ``truck_factor`` is the module, so ``ossmetrics.graph.truck_factor.truck_factor`` always
  resolves.)
- ``ContributorGraph``: collaboration, authorship and portfolio graphs (NetworkX inside).
- ``compute_graphs``: everything for a set of repositories, stored.
"""

from ossmetrics.graph import truck_factor  # the module: ossmetrics.graph.truck_factor.truck_factor
from ossmetrics.graph.compute import GraphSummary, compute_graphs
from ossmetrics.graph.contributor_graph import GRAPH_KINDS, ContributorGraph
from ossmetrics.graph.truck_factor import DEFAULT_EXCLUDE, TruckFactorResult, truck_factor_series

__all__ = [
    "DEFAULT_EXCLUDE",
    "GRAPH_KINDS",
    "ContributorGraph",
    "GraphSummary",
    "TruckFactorResult",
    "compute_graphs",
    "truck_factor",
    "truck_factor_series",
]

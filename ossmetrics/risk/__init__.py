"""Sustainability risk: a graph neural network trained on project histories, with reasons.

Public API (the other stages and the CLI use only these):

- ``score_projects(con, *, as_of=None, device="auto", model_path=None)`` writes ``risk_scores``;
- ``explain(con, repo, *, without=None, as_of=None)`` gives drivers, people and the what-if;
- ``train_from_store(con, ...)`` and ``evaluate_store(con, ...)`` for ``ossmetrics train`` and
  ``ossmetrics risk evaluate``;
- ``build_dataset(con)`` the snapshots, features, labels and graphs (docs/risk.md).

Imports are lazy so that ``import ossmetrics.risk`` does not load PyTorch until it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "build_dataset",
    "evaluate_store",
    "explain",
    "score_projects",
    "train_from_store",
]

if TYPE_CHECKING:
    from ossmetrics.risk.dataset import build_dataset
    from ossmetrics.risk.explanation import explain
    from ossmetrics.risk.pipeline import evaluate_store, train_from_store
    from ossmetrics.risk.score import score_projects

_WHERE = {
    "build_dataset": "ossmetrics.risk.dataset",
    "explain": "ossmetrics.risk.explanation",
    "evaluate_store": "ossmetrics.risk.pipeline",
    "train_from_store": "ossmetrics.risk.pipeline",
    "score_projects": "ossmetrics.risk.score",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(name)

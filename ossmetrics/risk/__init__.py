"""Sustainability risk: a graph neural network trained on project histories, with reasons.

Public API (the other stages and the CLI use only these):

- ``score_projects(con, *, as_of=None, device="auto", model_path=None)`` writes ``risk_scores``;
- ``explain(con, repo, *, without=None, as_of=None)`` gives drivers, people and the what-if;
- ``train_from_store(con, ...)`` and ``evaluate_store(con, ...)`` for ``ossmetrics train`` and
  ``ossmetrics risk evaluate``;
- ``build_dataset(con)`` the snapshots, features, labels and graphs (docs/risk.md);
- ``store_what_if(con, ...)`` the what-if of the riskiest projects, for the report.

Importing this package loads PyTorch (the stages that use it import it directly).
"""

from __future__ import annotations

from ossmetrics.risk.dataset import build_dataset
from ossmetrics.risk.explanation import explain
from ossmetrics.risk.pipeline import evaluate_store, train_from_store
from ossmetrics.risk.score import score_projects
from ossmetrics.risk.what_if import store_what_if

__all__ = [
    "build_dataset",
    "evaluate_store",
    "explain",
    "score_projects",
    "store_what_if",
    "train_from_store",
]

"""Score every project of the store at a date and write ``risk_scores``.

``p_dormant`` and ``p_core_loss`` are calibrated probabilities (the shipped setting's unweighted
logistic fit is calibrated by construction; the older Adam setting is Platt-calibrated on the
training run's validation repositories); ``risk`` (0–100) combines them by the rule
``riskindex.SHIPPED_RULE``, chosen and checked out of sample on held-out ecosystems (the
model card says which rule and what the number means). Each row carries the model version and its top
three drivers in plain words (integrated-gradient attributions of the dormant logit, summed per
fact: ``words.drivers``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import torch

from ossmetrics.errors import RiskError
from ossmetrics.risk.batching import collate
from ossmetrics.risk.dataset import RiskDataset, build_scoring_set
from ossmetrics.risk.device import cpu_threads, resolve_device
from ossmetrics.risk.feature_tables import register
from ossmetrics.risk.features import FEATURES
from ossmetrics.risk.modelfile import LoadedModel, load_model, model_name
from ossmetrics.risk.riskindex import SHIPPED_RULE, risk_from_probabilities
from ossmetrics.risk.snapshots import repo_data_ends
from ossmetrics.risk.train_types import LOGIT_CLIP
from ossmetrics.risk.words import drivers as fact_drivers
from ossmetrics.store import transaction

__all__ = [
    "attributions",
    "calibrated",
    "default_as_of",
    "risk_index",
    "score_dataset",
    "score_projects",
]


def risk_index(p: np.ndarray) -> np.ndarray:
    """0–100 risk of each row of ``p`` (P(dormant), P(core loss)) by the shipped rule."""
    return risk_from_probabilities(p, SHIPPED_RULE)


def default_as_of(con: duckdb.DuckDBPyConnection) -> date:
    """The store's data end: the date of its newest non-bot commit."""
    end = repo_data_ends(con).global_end
    if end is None:
        raise RiskError(
            "the store has no commits to score",
            "collect git history first (`ossmetrics collect git PATH`)",
        )
    return end


def calibrated(lm: LoadedModel, logits: np.ndarray) -> np.ndarray:
    a = np.array([c[0] for c in lm.calibration])
    b = np.array([c[1] for c in lm.calibration])
    return np.asarray(
        1 / (1 + np.exp(-np.clip(logits * a + b, -LOGIT_CLIP, LOGIT_CLIP))), dtype=float
    )


def attributions(
    lm: LoadedModel, ds: RiskDataset, *, steps: int = 16, device: str = "cpu"
) -> tuple[np.ndarray, np.ndarray]:
    """(logits [n, 2], integrated gradients of the dormant logit [n, len(FEATURES)]).

    The baseline is the training mean (zero after standardising); the graph part is held
    fixed, so attributions say how each tabular fact moved the score.
    """
    dev = resolve_device(device)
    batch = collate(ds.rows[list(FEATURES)].to_numpy(np.float32), ds.graphs, lm.norm, dev)
    model = lm.model.to(dev).eval()
    x = batch.x_project.clone()
    with torch.no_grad():
        logits = model(batch).cpu().numpy()
    total = torch.zeros_like(x)
    for k in range(1, steps + 1):
        xi = (x * (k / steps)).requires_grad_(True)
        batch.x_project = xi
        out = model(batch)[:, 0].sum()
        (g,) = torch.autograd.grad(out, xi)
        total += g
    batch.x_project = x
    lm.model.cpu()
    return logits, (x * total / steps).cpu().numpy()


def _drivers(row: pd.Series, attr: np.ndarray, top: int = 3) -> list[dict[str, object]]:
    out: list[dict[str, object]] = [
        {"feature": key, "effect": round(effect, 4), "text": text}
        for key, effect, text in fact_drivers(row, attr, FEATURES, top)
    ]
    if not bool(row.get("eligible", True)):
        out.append(
            {
                "feature": "eligibility",
                "effect": 0.0,
                "text": "fewer than 10 commits in the last 12 months: outside the range the model was trained on",
            }
        )
    return out


def score_dataset(
    lm: LoadedModel, ds: RiskDataset, *, device: str = "cpu", steps: int = 16
) -> pd.DataFrame:
    """Scores and drivers for each row of ``ds`` (no writing)."""
    if len(ds) == 0:
        return pd.DataFrame(
            columns=["repo_id", "repo", "as_of", "p_dormant", "p_core_loss", "risk"]
        )
    with cpu_threads(1 if resolve_device(device).type == "cpu" else torch.get_num_threads()):
        logits, attr = attributions(lm, ds, steps=steps, device=device)
    p = calibrated(lm, logits)
    out = ds.rows[["repo_id", "repo", "as_of"]].copy()
    out["p_dormant"] = p[:, 0]
    out["p_core_loss"] = p[:, 1]
    out["risk"] = risk_index(p)
    out["model_version"] = lm.version
    out["drivers"] = [
        json.dumps(_drivers(ds.rows.iloc[i], attr[i]), ensure_ascii=False) for i in range(len(ds))
    ]
    return out.reset_index(drop=True)


def score_projects(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: date | datetime | None = None,
    device: str = "auto",
    model_path: str | None = None,
    repos: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Score every repository of the store (or ``repos``) at ``as_of``; write ``risk_scores``.

    ``as_of`` defaults to the store's data end. Rescoring the same date with the same model
    replaces the earlier rows.
    """
    t0 = time.perf_counter()
    resolve_device(device)
    lm = load_model(model_path)
    d = as_of.date() if isinstance(as_of, datetime) else (as_of or default_as_of(con))
    repo_ids = None
    if repos:
        from ossmetrics.store import get_repo_id

        repo_ids = [get_repo_id(con, r) for r in repos]
    ds = build_scoring_set(con, d, repo_ids=repo_ids)
    if len(ds) == 0:
        raise RiskError(
            f"no repository has commits on or before {d}",
            "pick a later --at date or collect history first",
        )
    df = score_dataset(lm, ds, device=device)
    now = datetime.now(UTC)
    tbl = pa.table(
        {
            "repo_id": pa.array(df["repo_id"].astype("int32").to_numpy()),
            "as_of": pa.array([d] * len(df), pa.date32()),
            "model_version": pa.array(df["model_version"].tolist(), pa.string()),
            "p_dormant": pa.array(df["p_dormant"].astype(float).to_numpy()),
            "p_core_loss": pa.array(df["p_core_loss"].astype(float).to_numpy()),
            "risk": pa.array(df["risk"].astype(float).to_numpy()),
            "drivers": pa.array(df["drivers"].tolist(), pa.string()),
            "scored_at": pa.array([now] * len(df), pa.timestamp("us", tz="UTC")),
        }
    )
    register(con, "_rk_scores_arrow", tbl)
    with transaction(con):
        con.execute(
            """DELETE FROM risk_scores WHERE as_of = ? AND model_version = ?
               AND repo_id IN (SELECT repo_id FROM _rk_scores_arrow)""",
            [d, lm.version],
        )
        con.execute(
            """INSERT INTO risk_scores (repo_id, as_of, model_version, p_dormant, p_core_loss,
                                        risk, drivers, scored_at)
               SELECT repo_id, as_of, model_version, p_dormant, p_core_loss, risk, drivers,
                      scored_at FROM _rk_scores_arrow"""
        )
    con.unregister("_rk_scores_arrow")
    df.attrs["seconds"] = time.perf_counter() - t0
    df.attrs["model_name"] = model_name(lm.model.use_graph)
    df.attrs["as_of"] = d
    return df

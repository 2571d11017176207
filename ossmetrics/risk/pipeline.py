"""The risk stage's entry points for the CLI: train on a store, evaluate a store.

Each is one call from a command: build the data set from the store (the same function for
both, so ``ossmetrics risk evaluate`` reproduces the backtest from the store in one command),
then train or evaluate.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ossmetrics.risk.card import model_card
from ossmetrics.risk.dataset import build_dataset
from ossmetrics.risk.ecosystems import reserved_mask
from ossmetrics.risk.evaluate import EvaluationReport, evaluate
from ossmetrics.risk.folds import check_no_reserved
from ossmetrics.risk.modelfile import save_model, shipped_model_path
from ossmetrics.risk.train import TrainConfig, resolve_device, train_model

__all__ = ["TrainSummary", "evaluate_store", "train_from_store"]


@dataclass
class TrainSummary:
    path: str
    model_version: str
    n_snapshots: int
    n_repos: int
    n_dormant: int
    key_source: str
    dataset_seconds: float
    train_seconds: float
    best_epoch: int
    device: str
    use_graph: bool = False


def train_from_store(
    con: duckdb.DuckDBPyConnection,
    *,
    output: str | os.PathLike[str] | None = None,
    device: str = "auto",
    seed: int = 0,
    use_graph: bool = False,
) -> TrainSummary:
    """Train on every labelled snapshot of the store; write the model to ``output``.

    ``output`` defaults to ``./risk_model.pt`` (never over the shipped model unless asked for
    explicitly). Raises ``InsufficientHistory`` when the store cannot be labelled.
    """
    dev = resolve_device(device)
    ds = build_dataset(con)
    ds = ds.subset(~reserved_mask(ds.rows["repo"].tolist()))  # Apache: validation only
    check_no_reserved(ds.rows["repo"])
    tm = train_model(ds, TrainConfig(seed=seed, use_graph=use_graph), device=str(dev))
    tm.trained_on = f"{ds.rows['repo'].nunique()} repositories, {len(ds)} snapshots"
    path = Path(output) if output else Path("risk_model.pt")
    version = save_model(tm, path)
    return TrainSummary(
        str(path),
        version,
        len(ds),
        int(ds.rows["repo"].nunique()),
        int(ds.rows["dormant"].sum()),
        ds.key_source,
        ds.seconds,
        tm.seconds,
        tm.best_epoch,
        str(dev),
        use_graph,
    )


def evaluate_store(
    con: duckdb.DuckDBPyConnection,
    *,
    folds: int = 5,
    device: str = "auto",
    card_path: str | os.PathLike[str] | None = "docs/model-card.md",
    seed: int = 0,
    n_boot: int = 1000,
    progress: Callable[[str], None] | None = None,
) -> EvaluationReport:
    """Rebuild the data set from the store, backtest every method, write the model card."""
    dev = resolve_device(device)
    t0 = time.perf_counter()
    ds = build_dataset(con)
    if progress:
        progress(
            f"data set: {len(ds)} snapshots of {ds.rows['repo'].nunique()} repositories "
            f"in {time.perf_counter() - t0:.0f} s"
        )
    rep = evaluate(ds, folds=folds, device=str(dev), seed=seed, n_boot=n_boot, progress=progress)
    rep.notes.append(f"data set built in {ds.seconds:.0f} s")
    if card_path:
        version = ""
        try:
            from ossmetrics.risk.modelfile import load_model

            if shipped_model_path().exists():
                version = load_model().version
        except Exception:  # an old shipped model must not block writing the card
            version = ""
        p = Path(card_path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(model_card(rep, model_version=version), encoding="utf-8")
    return rep

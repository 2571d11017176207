"""The risk stage's entry points for the CLI: train on a store, evaluate a store.

Each is one call from a command: build the data set from the store (the same function for
both, so ``ossmetrics risk evaluate`` reproduces the backtest from the store in one command),
then train or evaluate.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
from threadpoolctl import threadpool_limits

from ossmetrics.risk.card import RunInfo, model_card
from ossmetrics.risk.dataset import RiskDataset, build_dataset
from ossmetrics.risk.device import resolve_device
from ossmetrics.risk.ecosystems import reserved_mask
from ossmetrics.risk.evaluate import GNN, LOEO, MLP, EvaluationReport, evaluate
from ossmetrics.risk.folds import check_no_reserved
from ossmetrics.risk.measures import reliability_curve
from ossmetrics.risk.modelfile import save_model, shipped_model_path
from ossmetrics.risk.riskindex import validate_rules
from ossmetrics.risk.train import train_model
from ossmetrics.risk.train_types import TrainConfig

__all__ = ["TrainSummary", "evaluate_file", "evaluate_store", "train_from_file", "train_from_store"]


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
    return _train(build_dataset(con), output, device, seed, use_graph)


def train_from_file(
    path: str | os.PathLike[str],
    *,
    output: str | os.PathLike[str] | None = None,
    device: str = "auto",
    seed: int = 0,
) -> TrainSummary:
    """Train the shipped (tabular) model from a feature file (``feature_file``), no store.

    The same rows and features as ``train_from_store`` on the store the file was exported from,
    so the same model version (the graph part is not in a file: ``--graph`` needs a store).
    """
    from ossmetrics.risk.feature_file import load_features

    return _train(load_features(path), output, device, seed, False)


def _train(
    ds: RiskDataset,
    output: str | os.PathLike[str] | None,
    device: str,
    seed: int,
    use_graph: bool,
) -> TrainSummary:
    dev = resolve_device(device)
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


def _hardware(device: str) -> str:
    """CPU model and cores, torch version, and the GPU when the run used one."""
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    text = f"{cpu}, {os.cpu_count()} logical CPUs (1 thread used), torch {torch.__version__}"
    if device.startswith("cuda") and torch.cuda.is_available():
        text += f", GPU {torch.cuda.get_device_name(0)}"
    else:
        text += ", CPU only" + ("" if torch.cuda.is_available() else " (no CUDA GPU detected)")
    return text


def _store(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(store file name, what it holds)."""
    try:
        row = con.execute(
            "SELECT file FROM pragma_database_list WHERE name = current_database()"
        ).fetchone()
        name = Path(str(row[0])).name if row and row[0] else "in-memory store"
    except duckdb.Error:
        name = "store"
    n = con.execute(
        "SELECT (SELECT count(*) FROM repos), (SELECT count(*) FROM commits), (SELECT max(committed_at)::DATE FROM commits)"
    ).fetchone()
    summary = f"{n[0]:,} repositories, {n[1]:,} commits, newest commit {n[2]}" if n else ""
    return name, summary


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
    """Rebuild the data set from the store, backtest every method on every setting, check the
    0–100 rule out of sample, write the model card (generated only)."""
    store, summary = _store(con)
    return _evaluate_ds(
        build_dataset(con), store, summary, folds, device, card_path, seed, n_boot, progress
    )


def evaluate_file(
    path: str | os.PathLike[str],
    *,
    folds: int = 5,
    device: str = "auto",
    card_path: str | os.PathLike[str] | None = "docs/model-card.md",
    seed: int = 0,
    n_boot: int = 1000,
    progress: Callable[[str], None] | None = None,
) -> EvaluationReport:
    """``evaluate_store`` from a feature file (``feature_file``): every method but the GNN
    (the file has no graphs), the same folds, the same card."""
    from ossmetrics.risk.feature_file import load_features

    ds = load_features(path)
    summary = (
        f"{len(ds):,} labelled snapshots of {ds.rows['repo'].nunique():,} repositories "
        "(features and labels only: no contributor graph, so no GNN)"
    )
    return _evaluate_ds(
        ds, f"feature file {Path(path).name}", summary, folds, device, card_path, seed, n_boot,
        progress,
    )  # fmt: skip


def _evaluate_ds(
    ds: RiskDataset,
    store: str,
    summary: str,
    folds: int,
    device: str,
    card_path: str | os.PathLike[str] | None,
    seed: int,
    n_boot: int,
    progress: Callable[[str], None] | None,
) -> EvaluationReport:
    dev = resolve_device(device)
    if progress:
        progress(
            f"data set: {len(ds)} snapshots of {ds.rows['repo'].nunique()} repositories "
            f"in {ds.seconds:.0f} s"
        )
    rep = evaluate(ds, folds=folds, device=str(dev), seed=seed, n_boot=n_boot, progress=progress)
    rep.notes.append(f"data set built in {ds.seconds:.0f} s")
    shipped_graph = TrainConfig().use_graph
    shipped = GNN if shipped_graph else MLP
    rule = None
    if LOEO in rep.oof:
        rows, preds = rep.oof[LOEO]
        p = preds[shipped]
        rep.reliability = reliability_curve(rows["dormant"].to_numpy(float), p[:, 0])
        with threadpool_limits(1):
            rule = validate_rules(
                ds, rows, p[:, :2], device=str(dev), n_boot=n_boot, seed=seed, progress=progress
            )
    if card_path:
        version = ""
        try:
            from ossmetrics.risk.modelfile import load_model

            if shipped_model_path().exists():
                version = load_model().version
        except Exception:  # an old shipped model must not block writing the card
            version = ""
        info = RunInfo(
            hardware=_hardware(str(dev)),
            store=store,
            store_summary=summary,
            dataset_seconds=ds.seconds,
            model_version=version,
            shipped_uses_graph=shipped_graph,
        )
        p_out = Path(card_path)
        p_out.parent.mkdir(parents=True, exist_ok=True)
        p_out.write_text(model_card(rep, info, rule), encoding="utf-8")
    return rep

"""Training loop for ``RiskGNN``: seeded, early stopping on a repository-disjoint validation
split. The shipped setting fits the linear path exactly first (a logistic regression of every
training row) and lets the graph part correct it only while that helps on the validation
repositories; the older Adam-fitted, class-weighted setting is Platt-calibrated on that split.

Kept out of the model module (PyG's examples do the same) so evaluation can train one model per
fold with exactly the code that trains the shipped one.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from ossmetrics.errors import InsufficientHistory
from ossmetrics.risk.batching import collate, fit_normaliser, repo_groups
from ossmetrics.risk.dataset import RiskDataset
from ossmetrics.risk.device import cpu_threads, resolve_device, seed_everything
from ossmetrics.risk.features import FEATURES, OTHER_PROJECT_FEATURES
from ossmetrics.risk.graphs import CONTRIBUTOR_FEATURES
from ossmetrics.risk.linear_fit import fit_linear_exactly, platt, warm_up_linear
from ossmetrics.risk.model import RiskBatch, RiskGNN
from ossmetrics.risk.results import LABELS  # one definition, shared with the evaluation
from ossmetrics.risk.train_types import LOGIT_CLIP, TrainConfig, TrainedModel

__all__ = ["predict", "train_model"]


def _targets(ds: RiskDataset) -> tuple[np.ndarray, np.ndarray]:
    y = ds.rows[list(LABELS)].to_numpy(np.float32)
    mask = ~np.isnan(y)
    return np.nan_to_num(y), mask.astype(np.float32)


def _split(ds: RiskDataset, frac: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    groups = repo_groups(ds.rows["repo"].tolist())
    uniq = np.unique(groups)
    rng = np.random.default_rng(seed)
    # stratify: repositories with a dormant snapshot are split separately from the others
    pos = set(groups[ds.rows["dormant"].fillna(0).to_numpy() > 0])
    val: set[str] = set()
    for part in ([g for g in uniq if g in pos], [g for g in uniq if g not in pos]):
        part = list(part)
        rng.shuffle(part)
        val.update(part[: max(1, round(len(part) * frac))] if part else [])
    is_val = np.array([g in val for g in groups])
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def _logits(model: RiskGNN, batch: RiskBatch) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        logits: torch.Tensor = model(batch)
        return logits


def train_model(
    ds: RiskDataset, config: TrainConfig | None = None, *, device: str = "auto"
) -> TrainedModel:
    """Train on every row of ``ds`` (a validation part of its repositories held out)."""
    cfg = config or TrainConfig()
    dev = resolve_device(device)
    y_all, m_all = _targets(ds)
    if len(ds) < 20 or m_all[:, 0].sum() < 20 or y_all[:, 0].sum() < 2:
        raise InsufficientHistory(
            f"only {len(ds)} labelled snapshot(s) with {int(y_all[:, 0].sum())} dormant: too few to train",
            "collect more repositories or longer histories; until then the shipped model is used",
        )
    t0 = time.perf_counter()
    # one thread: measured 3x faster than two on a shared 2-core machine (sparse ops and
    # small dense layers gain nothing from a second, contended core)
    with cpu_threads(1 if dev.type == "cpu" else torch.get_num_threads()):
        return _train(ds, cfg, dev, y_all, t0)


def _train(
    ds: RiskDataset, cfg: TrainConfig, dev: torch.device, y_all: np.ndarray, t0: float
) -> TrainedModel:
    if cfg.linear_fit not in ("adam", "exact"):
        raise ValueError(f"linear_fit must be 'adam' or 'exact', not {cfg.linear_fit!r}")
    seed_everything(cfg.seed)
    tr, va = _split(ds, cfg.val_fraction, cfg.seed)
    train_ds, val_ds = (
        ds.subset(np.isin(np.arange(len(ds)), tr)),
        ds.subset(np.isin(np.arange(len(ds)), va)),
    )
    exact = cfg.linear_fit == "exact"
    # the exact linear path uses every row, so it standardises with every row too
    norm = fit_normaliser(ds if exact else train_ds, use_graph=cfg.use_graph)

    def xb(d: RiskDataset) -> np.ndarray:
        return np.asarray(d.rows[list(FEATURES)].to_numpy(np.float32))

    btr = collate(xb(train_ds), train_ds.graphs, norm, dev)
    bva = collate(xb(val_ds), val_ds.graphs, norm, dev)
    ytr, mtr = (torch.as_tensor(a, device=dev) for a in _targets(train_ds))
    yva, mva = (torch.as_tensor(a, device=dev) for a in _targets(val_ds))
    pos = float(ytr[:, 0].sum().item())
    neg = float(mtr[:, 0].sum().item()) - pos
    pos_weight = torch.tensor([max(1.0, (neg / max(pos, 1.0)) ** 0.5), 1.0], device=dev)
    if not cfg.class_weight:
        pos_weight = torch.ones(2, device=dev)
    model = RiskGNN(
        len(FEATURES),
        len(CONTRIBUTOR_FEATURES),
        len(OTHER_PROJECT_FEATURES),
        hidden_channels=cfg.hidden_channels,
        num_layers=cfg.num_layers,
        dropout=cfg.dropout,
        use_graph=cfg.use_graph,
    ).to(dev)
    loss_fn = nn.BCEWithLogitsLoss(reduction="none", pos_weight=pos_weight)
    val_fn = nn.BCEWithLogitsLoss(reduction="none")
    best, best_state, best_epoch, history = float("inf"), None, 0, []
    if exact:
        full = collate(xb(ds), ds.graphs, norm, dev)
        y_t, m_t = (torch.as_tensor(a, device=dev) for a in _targets(ds))
        fit_linear_exactly(model, full.x_project, y_t, m_t, cfg)
        if cfg.residual_graph:
            # the untrained start (a pure logistic regression) is a candidate for early stopping
            vout = _logits(model, bva)
            best = float(((val_fn(vout, yva) * mva).sum() / mva.sum().clamp(min=1)).item())
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            best_epoch = -1
    else:
        warm_up_linear(model, btr.x_project, ytr, mtr, loss_fn, cfg)
    opt = torch.optim.Adam(
        [q for q in model.parameters() if q.requires_grad], lr=cfg.lr, weight_decay=cfg.weight_decay
    )
    # without the graph the shipped network is its sign-bounded regression: no correction
    off = exact and cfg.residual_graph and not cfg.use_graph and not cfg.tabular_correction
    epochs = 0 if off else cfg.max_epochs
    for epoch in range(epochs):
        model.train()
        opt.zero_grad()
        out = model(btr)
        loss = (loss_fn(out, ytr) * mtr).sum() / mtr.sum().clamp(min=1)
        loss.backward()
        opt.step()
        vout = _logits(model, bva)
        vloss = float(((val_fn(vout, yva) * mva).sum() / mva.sum().clamp(min=1)).item())
        history.append(vloss)
        if vloss < best - 1e-5:
            best, best_epoch = vloss, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= cfg.patience:
            break
    assert best_state is not None
    model.load_state_dict(best_state)
    for q in model.parameters():
        q.requires_grad_(True)
    vlog = _logits(model, bva).cpu().numpy()
    ycpu, mcpu = yva.cpu().numpy(), mva.cpu().numpy()
    if exact and not cfg.class_weight:
        # The exact linear path was fitted on the validation rows too, so a Platt fit on them
        # would be in-sample (it sharpened every fold's logits by ~1.25 and shifted them by a
        # fold-dependent -0.1..+0.7). An unweighted logistic fit is calibrated by construction,
        # and the graph correction is trained and early-stopped on the same unweighted loss.
        calib = [(1.0, 0.0) for _ in LABELS]
    else:
        calib = [
            platt(vlog[mcpu[:, j] > 0, j], ycpu[mcpu[:, j] > 0, j]) for j in range(len(LABELS))
        ]
    model = model.cpu()
    return TrainedModel(
        model,
        norm,
        calib,
        cfg,
        ds.key_source,
        len(ds),
        best_epoch,
        time.perf_counter() - t0,
        history,
    )


def predict(tm: TrainedModel, ds: RiskDataset, *, device: str = "cpu") -> np.ndarray:
    """Calibrated probabilities ``[len(ds), 2]`` (dormant, core loss)."""
    if len(ds) == 0:
        return np.zeros((0, len(LABELS)))
    dev = resolve_device(device)
    batch = collate(ds.rows[list(FEATURES)].to_numpy(np.float32), ds.graphs, tm.norm, dev)
    model = tm.model.to(dev)
    logits = _logits(model, batch).cpu().numpy()
    tm.model.cpu()
    a = np.array([c[0] for c in tm.calibration])
    b = np.array([c[1] for c in tm.calibration])
    return np.asarray(
        1 / (1 + np.exp(-np.clip(logits * a + b, -LOGIT_CLIP, LOGIT_CLIP))), dtype=float
    )

"""Training loop for ``RiskGNN``: seeded, early stopping on a repository-disjoint validation
split. The shipped setting fits the linear path exactly first (a logistic regression of every
training row) and lets the graph part correct it only while that helps on the validation
repositories; the older Adam-fitted, class-weighted setting is Platt-calibrated on that split.

Kept out of the model module (PyG's examples do the same) so evaluation can train one model per
fold with exactly the code that trains the shipped one.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from scipy.optimize import minimize
from scipy.special import expit
from torch import nn

from ossmetrics.errors import DeviceUnavailable, InsufficientHistory
from ossmetrics.risk.batching import Normaliser, collate, fit_normaliser, repo_groups
from ossmetrics.risk.dataset import RiskDataset
from ossmetrics.risk.features import FEATURES, OTHER_PROJECT_FEATURES, sign_priors
from ossmetrics.risk.graphs import CONTRIBUTOR_FEATURES
from ossmetrics.risk.model import RiskBatch, RiskGNN
from ossmetrics.risk.results import LABELS  # one definition, shared with the evaluation

__all__ = [
    "TrainConfig",
    "TrainedModel",
    "cpu_threads",
    "predict",
    "resolve_device",
    "seed_everything",
    "train_model",
]

#: Calibrated logits are clipped here: sigmoid(±30) is 1e-13 away from 0 and 1 in float64, so a
#: probability is never exactly 0 or 1 (±50 rounded to exactly 1.0 on separable toy data).
LOGIT_CLIP = 30.0


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` picks CUDA when present; ``cuda`` without a GPU is an error, not a fallback."""
    d = (device or "auto").lower()
    if d == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if d == "cpu":
        return torch.device("cpu")
    if d.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceUnavailable(
                "--device cuda was asked for but no CUDA GPU is visible to PyTorch",
                "use --device cpu, or --device auto to fall back to the CPU",
            )
        return torch.device(d)
    raise DeviceUnavailable(f"unknown device '{device}'", "use auto, cpu or cuda")


@contextmanager
def cpu_threads(n: int = 1) -> Iterator[None]:
    """Run torch's CPU kernels on ``n`` threads inside the block, then restore the setting.

    The risk model's tensors are tiny (tens of nodes per snapshot): a second intra-op thread
    only adds OpenMP hand-offs, and on a shared 2-core machine a contended second thread made
    training 3x and one ``explain`` call up to 10x slower (0.4 s against 3-4 s, measured on the
    demo store). Results are the same either way.
    """
    before = torch.get_num_threads()
    if before != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class TrainConfig:
    hidden_channels: int = 32
    num_layers: int = 2
    dropout: float = 0.1
    #: Off in the shipped setting since issue 19: on leave-one-ecosystem-out the paired
    #: difference "network with the graph − the same network without it" had its interval
    #: at or below 0 (docs/model-card.md), so the simpler model ships and the GNN stays an
    #: option (``ossmetrics train --graph``). Without the graph the network does not see the
    #: ``GRAPH_FEATURES`` either.
    use_graph: bool = False
    lr: float = 0.01
    weight_decay: float = 1e-4
    max_epochs: int = 200
    patience: int = 20
    val_fraction: float = 0.2
    seed: int = 0
    #: Epochs fitting the linear path alone by Adam before the network trains (0: none). Tried
    #: with 300 in the second round, not shipped: docs/model-history.md, "Tried, not shipped".
    linear_warmup: int = 0
    #: Keep the fitted linear path fixed and start the deep (graph) part at zero, so the network
    #: begins as a logistic regression and early stopping keeps a graph correction only while it
    #: lowers the loss on the validation repositories (the shipped setting, fourth round).
    residual_graph: bool = True
    #: ``"exact"`` (shipped): the linear path is an L2 logistic regression (scikit-learn's
    #: objective, ``1 / (2 linear_c) ||w||^2`` + summed log-loss, L-BFGS to convergence) fitted
    #: on *every* training row, per label — not only on the part left after the early-stopping
    #: split. ``"adam"``: fitted with the rest of the network (the model shipped until the
    #: fourth round, which ranked below logistic regression: its early stopping also stopped
    #: the linear path before it had converged).
    linear_fit: str = "exact"
    linear_c: float = 1.0
    #: Bound the exact linear path's weights to the directions of ``features.SIGN_PRIORS``
    #: (shipped from the fifth round: the same inner-fold ranking, and no driver or what-if
    #: that reads "an active key person raises risk"). Only with ``linear_fit="exact"``.
    sign_priors: bool = True
    #: Up-weight dormant snapshots by sqrt(negatives / positives) in the training loss. Off in
    #: the shipped setting: the unweighted loss keeps the output a calibrated probability, which
    #: the exact path needs (its validation rows are in its fit, so a Platt fit on them would be
    #: in-sample).
    class_weight: bool = False


@dataclass
class TrainedModel:
    model: RiskGNN
    norm: Normaliser
    calibration: list[tuple[float, float]]  # (a, b) per label: p = sigmoid(a * logit + b)
    config: TrainConfig
    key_source: str
    n_train: int
    best_epoch: int
    seconds: float
    history: list[float] = field(default_factory=list)
    trained_on: str = ""

    def describe(self) -> dict[str, object]:
        return {
            "config": asdict(self.config),
            "key_source": self.key_source,
            "n_train": self.n_train,
            "best_epoch": self.best_epoch,
            "seconds": round(self.seconds, 2),
            "trained_on": self.trained_on,
        }


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


def _platt(logit: np.ndarray, y: np.ndarray, ridge: float = 1.0) -> tuple[float, float]:
    """Fit p = sigmoid(a * logit + b) by Newton steps, with a ridge pulling (a, b) to (1, 0).

    The ridge keeps the fit finite when a small validation split is separable (it would
    otherwise run to infinite slopes); with hundreds of validation rows it barely matters.
    """
    if len(y) < 5 or y.min() == y.max():
        return 1.0, 0.0
    a, b = 1.0, 0.0
    for _ in range(50):
        z = np.clip(a * logit + b, -50, 50)
        p = 1 / (1 + np.exp(-z))
        g = np.array([np.sum((p - y) * logit) + ridge * (a - 1), np.sum(p - y) + ridge * b])
        w = p * (1 - p) + 1e-9
        h = np.array(
            [[np.sum(w * logit * logit), np.sum(w * logit)], [np.sum(w * logit), np.sum(w)]]
        ) + ridge * np.eye(2)
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return (float(a), float(b)) if a > 0 else (1.0, 0.0)


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


def _warm_up_linear(
    model: RiskGNN,
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor,
    loss_fn: nn.Module,
    cfg: TrainConfig,
) -> None:
    """Fit the linear path first; with ``residual_graph`` freeze it and zero the deep output.

    Why: with ~100 positive snapshots the deep part overfits within ~30 epochs, and early
    stopping then also stopped the linear path long before it had converged — the old network
    ranked worse than a plain logistic regression on the same features. Chosen on inner
    validation folds only; on the outer folds it raised ROC-AUC but not PR-AUC, so it is off by
    default (docs/model-history.md, "Tried, not shipped").
    """
    if model.skip is None or cfg.linear_warmup <= 0:
        return
    opt = torch.optim.Adam(model.skip.parameters(), lr=0.05, weight_decay=cfg.weight_decay)
    for _ in range(cfg.linear_warmup):
        opt.zero_grad()
        loss = (loss_fn(model.skip(x), y) * mask).sum() / mask.sum().clamp(min=1)
        loss.backward()
        opt.step()
    if cfg.residual_graph:
        _start_graph_at_zero(model)


def exact_logistic(
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor,
    c: float = 1.0,
    signs: Sequence[int] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights and bias of an L2 logistic regression on the rows where ``mask`` is 1.

    The objective is scikit-learn's (``LogisticRegression(C=c)``: summed log-loss plus
    ``||w||^2 / (2c)``, bias not penalised), minimised to convergence in float64, so without
    ``signs`` it matches the logistic-regression baseline to about 1e-4 in ROC-AUC (measured on
    the inner validation folds, docs/model-history.md). ``signs[k]`` of -1 / +1 bounds weight k to
    <= 0 / >= 0 (``features.SIGN_PRIORS``). SciPy's L-BFGS-B because it takes such bounds and the
    problem stays convex, so the answer is the unique optimum, not where an optimiser stopped;
    the design matrix is a few thousand rows, so it runs on the CPU whatever the device.
    """
    xs = x.double().cpu().numpy()
    ys = y.double().cpu().numpy()
    ms = mask.double().cpu().numpy()
    k = xs.shape[1]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:k], theta[k]
        z = xs @ w + b
        loss = float((ms * (np.logaddexp(0.0, z) - ys * z)).sum() + w @ w / (2 * c))
        r = ms * (expit(z) - ys)
        return loss, np.concatenate([xs.T @ r + w / c, [r.sum()]])

    bounds: list[tuple[float | None, float | None]] = [
        (None, 0.0) if s < 0 else (0.0, None) if s > 0 else (None, None)
        for s in (signs if signs is not None else [0] * k)
    ]
    res = minimize(
        objective,
        np.zeros(k + 1),
        jac=True,
        method="L-BFGS-B",
        bounds=[*bounds, (None, None)],
        options={"maxiter": 5000, "gtol": 1e-9, "ftol": 1e-15},
    )
    w = torch.tensor(res.x[:k], dtype=torch.float32, device=x.device)
    b = torch.tensor(res.x[k:], dtype=torch.float32, device=x.device)
    return w, b


def _start_graph_at_zero(model: RiskGNN) -> None:
    """Freeze the fitted linear path and zero the deep output: the network starts as it."""
    assert model.skip is not None
    last = model.head[-1]
    assert isinstance(last, nn.Linear)
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    for q in model.skip.parameters():
        q.requires_grad_(False)


def _fit_linear_exactly(
    model: RiskGNN, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, cfg: TrainConfig
) -> None:
    """Set the linear path to per-label exact logistic regressions (``linear_fit="exact"``)."""
    assert model.skip is not None
    with torch.no_grad():
        for j in range(y.shape[1]):
            signs = sign_priors(j) if cfg.sign_priors else None
            w, b = exact_logistic(x, y[:, j], mask[:, j], cfg.linear_c, signs)
            model.skip.weight[j].copy_(w)
            model.skip.bias[j].copy_(b[0])
    if cfg.residual_graph:
        _start_graph_at_zero(model)


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
        _fit_linear_exactly(model, full.x_project, y_t, m_t, cfg)
        if cfg.residual_graph:
            # the untrained start (a pure logistic regression) is a candidate for early stopping
            vout = _logits(model, bva)
            best = float(((val_fn(vout, yva) * mva).sum() / mva.sum().clamp(min=1)).item())
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            best_epoch = -1
    else:
        _warm_up_linear(model, btr.x_project, ytr, mtr, loss_fn, cfg)
    opt = torch.optim.Adam(
        [q for q in model.parameters() if q.requires_grad], lr=cfg.lr, weight_decay=cfg.weight_decay
    )
    for epoch in range(cfg.max_epochs):
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
            _platt(vlog[mcpu[:, j] > 0, j], ycpu[mcpu[:, j] > 0, j]) for j in range(len(LABELS))
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

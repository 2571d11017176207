"""The linear path of ``RiskGNN`` fitted on its own: exactly (an L2 logistic regression, the
shipped setting) or by an Adam warm-up, and the Platt calibration of the older setting.

Apart from the loop (``risk.train``): these are closed-form or convex fits with their own
reasons and tests, which the loop calls before and after it trains the graph part.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from scipy.optimize import minimize
from scipy.special import expit
from torch import nn

from ossmetrics.risk.features import sign_priors
from ossmetrics.risk.model import RiskGNN
from ossmetrics.risk.train_types import TrainConfig

__all__ = ["exact_logistic", "fit_linear_exactly", "platt", "start_graph_at_zero", "warm_up_linear"]


def platt(logit: np.ndarray, y: np.ndarray, ridge: float = 1.0) -> tuple[float, float]:
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


def warm_up_linear(
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
        start_graph_at_zero(model)


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


def start_graph_at_zero(model: RiskGNN) -> None:
    """Freeze the fitted linear path and zero the deep output: the network starts as it."""
    assert model.skip is not None
    last = model.head[-1]
    assert isinstance(last, nn.Linear)
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    for q in model.skip.parameters():
        q.requires_grad_(False)


def fit_linear_exactly(
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
        start_graph_at_zero(model)

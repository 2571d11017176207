"""How a score is judged: ranking, calibration and their uncertainty over projects.

* ``auc`` / ``average_precision``: ROC-AUC (ranks, ties count half) and PR-AUC (average
  precision, ties grouped), equal to scikit-learn's ``roc_auc_score`` and
  ``average_precision_score`` (tested against them).
* ``expected_calibration_error``: the snapshot-weighted mean gap between predicted probability
  and observed frequency over ``bins`` equal-width bins of the prediction,
  ``ECE = sum_b (n_b / n) * |mean(y_b) - mean(p_b)|`` (Naeini et al. 2015; bins closed on the
  left, the last one closed on both sides). ``reliability_curve`` gives the bins themselves.
* ``cluster_bootstrap`` / ``paired_bootstrap``: 95% percentile intervals from resampling
  *repositories* with replacement (all snapshots of a drawn repository come along: snapshots of
  one project are not independent). The paired version draws the same repositories for both
  scores, so the interval of a difference reflects only how the two scores differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

__all__ = [
    "ReliabilityBin",
    "auc",
    "average_precision",
    "cluster_bootstrap",
    "expected_calibration_error",
    "metrics",
    "paired_bootstrap",
    "reliability_curve",
]

Interval = tuple[float, float, float]


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC-AUC via ranks (ties count half)."""
    r = rankdata(p)
    npos = y.sum()
    nneg = len(y) - npos
    return float((r[y == 1].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    """Average precision (ties grouped), as scikit-learn computes it."""
    order = np.argsort(-p, kind="mergesort")
    ys, ps = y[order], p[order]
    last = np.r_[np.flatnonzero(np.diff(ps)), len(ps) - 1]
    tp = np.cumsum(ys)[last]
    fp = (last + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / ys.sum()
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def metrics(y: np.ndarray, p: np.ndarray) -> tuple[float, float, float]:
    """(ROC-AUC, PR-AUC, Brier); the ranking ones are NaN when ``y`` has one class."""
    brier = float(np.mean((p - y) ** 2))
    if y.min() == y.max():
        return float("nan"), float("nan"), brier
    return auc(y, p), average_precision(y, p), brier


@dataclass(frozen=True)
class ReliabilityBin:
    lo: float
    hi: float
    n: int
    mean_p: float
    mean_y: float


def _bin_of(p: np.ndarray, bins: int) -> np.ndarray:
    out: np.ndarray = np.minimum((np.clip(p, 0.0, 1.0) * bins).astype(int), bins - 1)
    return out


def reliability_curve(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[ReliabilityBin]:
    """The non-empty equal-width bins of ``p``: size, mean prediction, observed frequency."""
    b = _bin_of(p, bins)
    out = []
    for k in range(bins):
        m = b == k
        if m.any():
            out.append(
                ReliabilityBin(
                    k / bins, (k + 1) / bins, int(m.sum()), float(p[m].mean()), float(y[m].mean())
                )
            )
    return out


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """``sum_b (n_b / n) |mean(y_b) - mean(p_b)|`` over equal-width bins (NaN when empty)."""
    if len(y) == 0:
        return float("nan")
    return float(
        sum(r.n * abs(r.mean_y - r.mean_p) for r in reliability_curve(y, p, bins)) / len(y)
    )


def _members(groups: np.ndarray) -> list[np.ndarray]:
    _uniq, inv = np.unique(groups, return_inverse=True)
    order = np.argsort(inv, kind="mergesort")
    bounds = np.r_[0, np.cumsum(np.bincount(inv))]
    return [order[bounds[g] : bounds[g + 1]] for g in range(len(bounds) - 1)]


def _interval(point: float, samples: list[float]) -> Interval:
    arr = np.array([s for s in samples if s == s])
    if not len(arr):
        return point, float("nan"), float("nan")
    return point, float(np.percentile(arr, 2.5)), float(np.percentile(arr, 97.5))


def cluster_bootstrap(
    y: np.ndarray, p: np.ndarray, groups: np.ndarray, n_boot: int, seed: int
) -> list[Interval]:
    """[(point, lo, hi)] for ROC-AUC, PR-AUC and Brier, resampling repositories."""
    point = metrics(y, p)
    members = _members(groups)
    rng = np.random.default_rng(seed)
    samples: list[tuple[float, float, float]] = []
    for _ in range(n_boot):
        idx = np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))])
        samples.append(metrics(y[idx], p[idx]))
    return [_interval(point[i], [s[i] for s in samples]) for i in range(3)]


def paired_bootstrap(
    y: np.ndarray, pa: np.ndarray, pb: np.ndarray, groups: np.ndarray, n_boot: int, seed: int
) -> tuple[Interval, Interval]:
    """(ROC-AUC of a − b, PR-AUC of a − b), each (point, lo, hi), on the same resamples."""
    ma, mb = metrics(y, pa), metrics(y, pb)
    members = _members(groups)
    rng = np.random.default_rng(seed)
    d_roc: list[float] = []
    d_pr: list[float] = []
    for _ in range(n_boot):
        idx = np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))])
        sa, sb = metrics(y[idx], pa[idx]), metrics(y[idx], pb[idx])
        d_roc.append(sa[0] - sb[0])
        d_pr.append(sa[1] - sb[1])
    return _interval(ma[0] - mb[0], d_roc), _interval(ma[1] - mb[1], d_pr)

"""Backtest the GNN against the baselines on folds it cannot flatter itself on.

* **Repository-disjoint folds**: ``StratifiedGroupKFold`` over repositories (shared-history
  pairs merged into one group, ``batching.SHARED_HISTORY``), stratified by whether a repository
  ever goes dormant; no project is in both the training and the test side. The GNN's early
  stopping and calibration use a validation split of the *training* repositories only.
* **Time-forward check**: train on snapshots whose 12-month label window ends on or before a
  cutoff date, test on snapshots at or after it.

Every method is scored on the same test rows. Metrics: ROC-AUC, PR-AUC (average precision) and
Brier score on the pooled out-of-fold predictions, with 95% percentile intervals from a
**cluster bootstrap over repositories** (snapshots of one project are not independent), and the
mean over folds. Nothing here is tuned on a test fold: the hyper-parameters are the defaults of
``TrainConfig`` and of the sklearn models below, fixed before the first evaluation run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ossmetrics.risk.baselines import SCORE_BASELINES
from ossmetrics.risk.batching import repo_groups
from ossmetrics.risk.dataset import RiskDataset
from ossmetrics.risk.features import FEATURES
from ossmetrics.risk.train import LABELS, TrainConfig, predict, train_model

__all__ = ["EvaluationReport", "MethodResult", "evaluate", "time_forward_cutoff"]

GNN = "GNN (contributor graph + portfolio)"
MLP = "MLP ablation (same features, no graph)"
GB = "Gradient boosting (sklearn)"
LR = "Logistic regression (sklearn)"


@dataclass
class MethodResult:
    setting: str  # "repository-disjoint CV" or "time-forward"
    label: str
    method: str
    n: int
    n_pos: int
    roc_auc: tuple[float, float, float]
    pr_auc: tuple[float, float, float]
    brier: tuple[float, float, float]
    fold_roc_auc: float = float("nan")
    fold_pr_auc: float = float("nan")


@dataclass
class EvaluationReport:
    results: list[MethodResult]
    n_snapshots: int
    n_repos: int
    n_dormant: int
    n_core_loss_labelled: int
    n_core_loss: int
    folds: int
    cutoff: date
    key_source: str
    seconds: float
    first_date: date
    last_date: date
    notes: list[str] = field(default_factory=list)
    #: The GNN's early-stopping epoch per fit ("repository-disjoint CV": one per fold, then
    #: "time-forward"); -1 = no graph correction beat the network's start (its exact logistic
    #: regression), so that fold's GNN *is* that regression.
    gnn_best_epochs: dict[str, list[int]] = field(default_factory=dict)

    def table(self, setting: str, label: str) -> str:
        rows = [r for r in self.results if r.setting == setting and r.label == label]
        if not rows:
            return ""
        n, pos = rows[0].n, rows[0].n_pos

        def fmt(t: tuple[float, float, float]) -> str:
            return f"{t[0]:.3f} [{t[1]:.3f}, {t[2]:.3f}]"

        out = [
            f"{setting}, label **{label}** ({n} snapshots, {pos} positive):",
            "",
            "| method | ROC-AUC [95% CI] | PR-AUC [95% CI] | Brier [95% CI] | mean fold ROC-AUC | mean fold PR-AUC |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for r in sorted(rows, key=lambda r: -r.roc_auc[0]):
            out.append(
                f"| {r.method} | {fmt(r.roc_auc)} | {fmt(r.pr_auc)} | {fmt(r.brier)} | "
                f"{_num(r.fold_roc_auc)} | {_num(r.fold_pr_auc)} |"
            )
        return "\n".join(out)

    def markdown(self) -> str:
        parts = []
        for setting in ("repository-disjoint CV", "time-forward"):
            for label in LABELS:
                t = self.table(setting, label)
                if t:
                    parts.append(t)
        return "\n\n".join(parts)

    def get(self, setting: str, label: str, method: str) -> MethodResult | None:
        for r in self.results:
            if (r.setting, r.label, r.method) == (setting, label, method):
                return r
        return None


def _num(x: float) -> str:
    return "–" if x != x else f"{x:.3f}"


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC-AUC via ranks (ties count half), equal to ``sklearn.metrics.roc_auc_score``."""
    r = rankdata(p)
    npos = y.sum()
    nneg = len(y) - npos
    return float((r[y == 1].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def _ap(y: np.ndarray, p: np.ndarray) -> float:
    """Average precision, equal to ``sklearn.metrics.average_precision_score`` (ties grouped)."""
    order = np.argsort(-p, kind="mergesort")
    ys, ps = y[order], p[order]
    last = np.r_[np.flatnonzero(np.diff(ps)), len(ps) - 1]
    tp = np.cumsum(ys)[last]
    fp = (last + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / ys.sum()
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _metrics(y: np.ndarray, p: np.ndarray) -> tuple[float, float, float]:
    brier = float(np.mean((p - y) ** 2))
    if y.min() == y.max():
        return float("nan"), float("nan"), brier
    return _auc(y, p), _ap(y, p), brier


def _bootstrap(
    y: np.ndarray, p: np.ndarray, groups: np.ndarray, n_boot: int, seed: int
) -> list[tuple[float, float, float]]:
    point = _metrics(y, p)
    uniq, inv = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inv == g) for g in range(len(uniq))]
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(n_boot):
        pick = rng.integers(0, len(uniq), len(uniq))
        idx = np.concatenate([members[g] for g in pick])
        if y[idx].min() == y[idx].max():
            continue
        samples.append(_metrics(y[idx], p[idx]))
    arr = np.array(samples) if samples else np.full((1, 3), np.nan)
    lo = np.nanpercentile(arr, 2.5, axis=0)
    hi = np.nanpercentile(arr, 97.5, axis=0)
    return [(point[i], float(lo[i]), float(hi[i])) for i in range(3)]


def _sk_fit(
    kind: str, x: np.ndarray, y: np.ndarray, seed: int
) -> Callable[[np.ndarray], np.ndarray]:
    if y.min() == y.max():
        const = float(y.mean())
        return lambda xt: np.full(len(xt), const)
    if kind == "gb":
        m = HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.05, max_depth=3, l2_regularization=1.0, random_state=seed
        )
    elif kind == "lr":
        m = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    else:  # one-score calibration
        m = LogisticRegression(C=1e6, max_iter=2000)
    m.fit(x, y)
    return lambda xt: m.predict_proba(xt)[:, 1]


def _fit_predict(
    train: RiskDataset,
    test: RiskDataset,
    device: str,
    seed: int,
    config: TrainConfig | None = None,
    best_epochs: list[int] | None = None,
) -> dict[str, np.ndarray]:
    """Predictions ``[len(test), 2]`` of every method, fitted on ``train`` only."""
    base = config or TrainConfig()
    out: dict[str, np.ndarray] = {}
    gnn = train_model(train, replace(base, seed=seed), device=device)
    if best_epochs is not None:
        best_epochs.append(gnn.best_epoch)
    out[GNN] = predict(gnn, test)
    out[MLP] = predict(
        train_model(train, replace(base, seed=seed, use_graph=False), device=device), test
    )
    xtr, xte = train.rows[list(FEATURES)].to_numpy(float), test.rows[list(FEATURES)].to_numpy(float)
    for name, kind in ((GB, "gb"), (LR, "lr")):
        cols = []
        for label in LABELS:
            y = train.rows[label].to_numpy(float)
            ok = ~np.isnan(y)
            cols.append(_sk_fit(kind, xtr[ok], y[ok], seed)(xte))
        out[name] = np.stack(cols, axis=1)
    for name, fn in SCORE_BASELINES.items():
        str_, ste = fn(train.rows).reshape(-1, 1), fn(test.rows).reshape(-1, 1)
        cols = []
        for label in LABELS:
            y = train.rows[label].to_numpy(float)
            ok = ~np.isnan(y)
            cols.append(_sk_fit("one", str_[ok], y[ok], seed)(ste))
        out[name] = np.stack(cols, axis=1)
    return out


def time_forward_cutoff(ds: RiskDataset) -> date:
    """The snapshot date with about 60% of the labelled snapshots before it."""
    dates: list[date] = sorted(ds.rows["as_of"])
    return dates[int(0.6 * (len(dates) - 1))]


def _collect(
    setting: str,
    y_all: pd.DataFrame,
    preds: dict[str, np.ndarray],
    groups: np.ndarray,
    fold_of: np.ndarray,
    n_boot: int,
    seed: int,
) -> list[MethodResult]:
    results = []
    for j, label in enumerate(LABELS):
        y = y_all[label].to_numpy(float)
        ok = ~np.isnan(y)
        for method, p in preds.items():
            yy, pp, gg, ff = y[ok], p[ok, j], groups[ok], fold_of[ok]
            roc, pr, br = _bootstrap(yy, pp, gg, n_boot, seed)
            fold_scores = [
                _metrics(yy[ff == f], pp[ff == f])
                for f in np.unique(ff)
                if len(set(yy[ff == f])) > 1
            ]
            results.append(
                MethodResult(
                    setting,
                    label,
                    method,
                    int(ok.sum()),
                    int(yy.sum()),
                    roc,
                    pr,
                    br,
                    float(np.mean([s[0] for s in fold_scores])) if fold_scores else float("nan"),
                    float(np.mean([s[1] for s in fold_scores])) if fold_scores else float("nan"),
                )
            )
    return results


def evaluate(
    ds: RiskDataset,
    *,
    folds: int = 5,
    device: str = "auto",
    seed: int = 0,
    n_boot: int = 1000,
    progress: Callable[[str], None] | None = None,
    config: TrainConfig | None = None,
) -> EvaluationReport:
    """Repository-disjoint K-fold CV and a time-forward check of every method on ``ds``.

    ``config`` trains the GNN (and, without its graph, the MLP ablation); default: the shipped
    settings. Runs single-threaded (BLAS/OpenMP and torch): on a shared 2-core machine a
    second thread made each fold several times slower, not faster.
    """
    with threadpool_limits(1):
        return _evaluate(ds, folds, device, seed, n_boot, progress, config)


def _evaluate(
    ds: RiskDataset,
    folds: int,
    device: str,
    seed: int,
    n_boot: int,
    progress: Callable[[str], None] | None,
    config: TrainConfig | None = None,
) -> EvaluationReport:
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    groups = repo_groups(ds.rows["repo"].tolist())
    y_dorm = ds.rows["dormant"].to_numpy(float)
    ever = pd.Series(y_dorm).groupby(groups).transform("max").to_numpy()
    skf = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    n = len(ds)
    preds: dict[str, np.ndarray] = {}
    fold_of = np.full(n, -1)
    epochs: dict[str, list[int]] = {"repository-disjoint CV": [], "time-forward": []}
    for f, (tr, te) in enumerate(skf.split(np.zeros(n), ever, groups)):
        say(f"fold {f + 1}/{folds}: {len(tr)} train / {len(te)} test snapshots")
        mtr = np.isin(np.arange(n), tr)
        out = _fit_predict(
            ds.subset(mtr), ds.subset(~mtr), device, seed, config, epochs["repository-disjoint CV"]
        )
        for k, v in out.items():
            preds.setdefault(k, np.zeros((n, len(LABELS))))[te] = v
        fold_of[te] = f
    results = _collect("repository-disjoint CV", ds.rows, preds, groups, fold_of, n_boot, seed)

    cutoff = time_forward_cutoff(ds)
    from ossmetrics.risk.snapshots import add_months

    tr_mask = np.array([add_months(d, 12) <= cutoff for d in ds.rows["as_of"]])
    te_mask = np.array([d >= cutoff for d in ds.rows["as_of"]])
    say(
        f"time-forward: train {int(tr_mask.sum())} snapshots before, test {int(te_mask.sum())} from {cutoff}"
    )
    test = ds.subset(te_mask)
    out = _fit_predict(ds.subset(tr_mask), test, device, seed, config, epochs["time-forward"])
    results += _collect(
        "time-forward", test.rows, out, groups[te_mask], np.zeros(int(te_mask.sum())), n_boot, seed
    )
    core = ds.rows["core_loss"]
    return EvaluationReport(
        results=results,
        n_snapshots=n,
        n_repos=int(ds.rows["repo"].nunique()),
        n_dormant=int(np.nansum(y_dorm)),
        n_core_loss_labelled=int(core.notna().sum()),
        n_core_loss=int(core.sum()),
        folds=folds,
        cutoff=cutoff,
        key_source=ds.key_source,
        seconds=time.perf_counter() - t0,
        first_date=min(ds.rows["as_of"]),
        last_date=max(ds.rows["as_of"]),
        gnn_best_epochs=epochs,
    )

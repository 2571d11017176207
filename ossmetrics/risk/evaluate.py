"""Backtest the network against the baselines on splits it cannot flatter itself on.

Three settings (``folds``): repository-disjoint K-fold CV, a time-forward check, and
**leave-one-ecosystem-out** (train on every ecosystem but one, test on it). Reserved (Apache)
repositories are in no training side; when the store has any, they form a fourth setting,
"independent validation", scored by models trained on everything else. Inside every training
side, the network's early stopping uses a split of the *training* repositories only.

Every method is scored on the same test rows, for three labels (dormant, core loss, and
archived / declared unmaintained where the store has status data). Metrics: ROC-AUC, PR-AUC
and Brier on the pooled held-out predictions with 95% **cluster-bootstrap** intervals over
repositories (``measures``), the mean over folds, expected calibration error, and the same
again for **young** snapshots (project < 2 years old at T). The graph's contribution is
measured in every setting as the **paired** difference network − same network without the
graph, on the same bootstrap resamples. Nothing here is tuned on a test fold.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ossmetrics.errors import UsageError
from ossmetrics.risk.baselines import SCORE_BASELINES
from ossmetrics.risk.batching import repo_groups
from ossmetrics.risk.dataset import FEATURE_FILE_SOURCE, RiskDataset
from ossmetrics.risk.ecosystems import reserved_mask
from ossmetrics.risk.features import FEATURES
from ossmetrics.risk.folds import (
    Split,
    check_no_reserved,
    cv_folds,
    loeo_folds,
    time_forward,
    time_forward_cutoff,
)
from ossmetrics.risk.measures import (
    auc as _auc,
)
from ossmetrics.risk.measures import (
    cluster_bootstrap,
    expected_calibration_error,
    metrics,
    paired_bootstrap,
)
from ossmetrics.risk.results import (
    CV,
    EVAL_LABELS,
    GB,
    GNN,
    INDEP,
    LOEO,
    LR,
    MLP,
    TF,
    EvaluationReport,
    MethodResult,
    PairedResult,
    fmt,
)
from ossmetrics.risk.train import predict, train_model
from ossmetrics.risk.train_types import TrainConfig

_ = (_auc, fmt)  # re-exported: the tests check _auc against scikit-learn

__all__ = [
    "CV",
    "EVAL_LABELS",
    "GNN",
    "LOEO",
    "MLP",
    "TF",
    "EvaluationReport",
    "MethodResult",
    "PairedResult",
    "evaluate",
    "time_forward_cutoff",
]


def _sk_fit(
    kind: str, x: np.ndarray, y: np.ndarray, seed: int
) -> Callable[[np.ndarray], np.ndarray]:
    if len(y) == 0:
        return lambda xt: np.full(len(xt), np.nan)
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


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-9, 1 - 1e-9)
    out: np.ndarray = np.log(q / (1 - q)).reshape(-1, 1)
    return out


def _fit_predict(
    train: RiskDataset,
    test: RiskDataset,
    device: str,
    seed: int,
    config: TrainConfig | None = None,
    best_epochs: list[int] | None = None,
) -> dict[str, np.ndarray]:
    """Predictions ``[len(test), 3]`` of every method, fitted on ``train`` only."""
    check_no_reserved(train.rows["repo"])
    base = config or TrainConfig()
    out: dict[str, np.ndarray] = {}
    y_arch = train.rows["archived"].to_numpy(float) if "archived" in train.rows else None
    nets = (
        ((GNN, True), (MLP, False)) if train.key_source != FEATURE_FILE_SOURCE else ((MLP, False),)
    )
    for name, use_graph in nets:  # a feature file has no graphs: no GNN from it
        tm = train_model(train, replace(base, seed=seed, use_graph=use_graph), device=device)
        if best_epochs is not None and use_graph:
            best_epochs.append(tm.best_epoch)
        p = predict(tm, test)
        arch = np.full(len(test), np.nan)
        if y_arch is not None and (~np.isnan(y_arch)).any():
            ok = ~np.isnan(y_arch)
            ptr = predict(tm, train)[:, 0]
            arch = _sk_fit("one", _logit(ptr[ok]), y_arch[ok], seed)(_logit(p[:, 0]))
        out[name] = np.column_stack([p, arch])
    xtr, xte = train.rows[list(FEATURES)].to_numpy(float), test.rows[list(FEATURES)].to_numpy(float)
    scores = {n: (fn(train.rows), fn(test.rows)) for n, fn in SCORE_BASELINES.items()}
    for name, kind in ((GB, "gb"), (LR, "lr"), *((n, "one") for n in scores)):
        cols = []
        for label in EVAL_LABELS:
            y = (
                train.rows[label].to_numpy(float)
                if label in train.rows
                else np.full(len(train), np.nan)
            )
            ok = ~np.isnan(y)
            a, b = (
                (xtr, xte)
                if kind != "one"
                else (scores[name][0].reshape(-1, 1), scores[name][1].reshape(-1, 1))
            )
            cols.append(_sk_fit(kind, a[ok], y[ok], seed)(b))
        out[name] = np.stack(cols, axis=1)
    return out


def _collect(
    setting: str,
    rows: pd.DataFrame,
    preds: dict[str, np.ndarray],
    fold_of: np.ndarray,
    n_boot: int,
    seed: int,
    subset: str = "all",
    with_paired: list[PairedResult] | None = None,
) -> list[MethodResult]:
    groups = repo_groups(rows["repo"].tolist())
    results = []
    for j, label in enumerate(EVAL_LABELS):
        if label not in rows:
            continue
        y = rows[label].to_numpy(float)
        ok = ~np.isnan(y)
        if not ok.any() or y[ok].min() == y[ok].max():
            continue
        for method, p in preds.items():
            okm = ok & ~np.isnan(p[:, j])
            if not okm.any():
                continue
            yy, pp, gg, ff = y[okm], p[okm, j], groups[okm], fold_of[okm]
            roc, pr, br = cluster_bootstrap(yy, pp, gg, n_boot, seed)
            fs = [
                metrics(yy[ff == f], pp[ff == f])
                for f in np.unique(ff)
                if len(set(yy[ff == f])) > 1
            ]
            results.append(
                MethodResult(
                    setting, label, method, int(okm.sum()), int(yy.sum()), roc, pr, br,
                    float(np.mean([s[0] for s in fs])) if fs else float("nan"),
                    float(np.mean([s[1] for s in fs])) if fs else float("nan"),
                    subset, expected_calibration_error(yy, pp),
                )
            )  # fmt: skip
        if with_paired is not None and GNN in preds and MLP in preds:
            d_roc, d_pr = paired_bootstrap(
                y[ok], preds[GNN][ok, j], preds[MLP][ok, j], groups[ok], n_boot, seed
            )
            with_paired.append(PairedResult(setting, label, subset, d_roc, d_pr))
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
    settings: tuple[str, ...] = (LOEO, CV, TF),
) -> EvaluationReport:
    """Every setting of ``settings`` for every method on ``ds`` (single-threaded: on a shared
    2-core machine a second BLAS/torch thread made each fold slower, not faster)."""
    with threadpool_limits(1):
        return _evaluate(ds, folds, device, seed, n_boot, progress, config, settings)


def _run_splits(
    ds: RiskDataset,
    splits: list[Split],
    device: str,
    seed: int,
    config: TrainConfig | None,
    epochs: list[int],
    say: Callable[[str], None],
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """(test row indices, {method: predictions}, fold id of each test row)."""
    idx_all, fold_all, preds = [], [], {}  # type: ignore[var-annotated]
    for f, (name, tr, te) in enumerate(splits):
        say(f"{name}: {len(tr)} train / {len(te)} test snapshots")
        if len(te) == 0 or len(tr) == 0:
            continue
        mtr = np.zeros(len(ds), bool)
        mtr[tr] = True
        mte = np.zeros(len(ds), bool)
        mte[te] = True
        out = _fit_predict(ds.subset(mtr), ds.subset(mte), device, seed, config, epochs)
        idx_all.append(np.flatnonzero(mte))
        fold_all.append(np.full(len(te), f))
        for k, v in out.items():
            preds.setdefault(k, []).append(v)
    idx = np.concatenate(idx_all)
    return idx, {k: np.concatenate(v) for k, v in preds.items()}, np.concatenate(fold_all)


def _evaluate(
    ds: RiskDataset,
    folds: int,
    device: str,
    seed: int,
    n_boot: int,
    progress: Callable[[str], None] | None,
    config: TrainConfig | None,
    settings: tuple[str, ...],
) -> EvaluationReport:
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    rows = ds.rows
    if "ecosystem" not in rows:
        rows = rows.assign(ecosystem="other")
        ds = RiskDataset(rows, ds.graphs, ds.key_source, ds.data_ends, ds.seconds, ds.notes)
    cutoff = time_forward_cutoff(rows)
    plan: dict[str, list[Split]] = {}
    refused = ""
    for s in settings:
        if s == CV:
            plan[s] = cv_folds(rows, folds, seed)
        elif s == TF:
            plan[s] = [time_forward(rows, cutoff)]
        elif s == LOEO:
            try:
                plan[s] = loeo_folds(rows)
            except UsageError as exc:
                refused = exc.one_line()
                say(f"leave-one-ecosystem-out refused: {refused}")
    reserved = reserved_mask(rows["repo"].tolist())
    if reserved.any():
        plan[INDEP] = [("apache", np.flatnonzero(~reserved), np.flatnonzero(reserved))]
    results: list[MethodResult] = []
    paired: list[PairedResult] = []
    epochs: dict[str, list[int]] = {}
    oof: dict[str, tuple[pd.DataFrame, dict[str, np.ndarray]]] = {}
    for setting, splits in plan.items():
        epochs[setting] = []
        idx, preds, fold_of = _run_splits(ds, splits, device, seed, config, epochs[setting], say)
        sub = rows.iloc[idx].reset_index(drop=True)
        oof[setting] = (sub, preds)
        results += _collect(setting, sub, preds, fold_of, n_boot, seed, "all", paired)
        young = sub["young"].to_numpy(bool) if "young" in sub else np.zeros(len(sub), bool)
        if young.any():
            ys = sub[young].reset_index(drop=True)
            yp = {k: v[young] for k, v in preds.items()}
            results += _collect(setting, ys, yp, fold_of[young], n_boot, seed, "young", paired)
        if setting == LOEO:
            for f, (eco, _tr, _te) in enumerate(splits):
                m = fold_of == f
                es = sub[m].reset_index(drop=True)
                ep = {k: v[m] for k, v in preds.items()}
                results += [
                    r
                    for r in _collect(
                        setting, es, ep, fold_of[m], max(n_boot // 5, 50), seed, f"ecosystem:{eco}"
                    )
                    if r.label == "dormant"
                ]
    core = rows["core_loss"]
    arch = rows["archived"] if "archived" in rows else pd.Series(np.nan, index=rows.index)
    return EvaluationReport(
        results=results,
        n_snapshots=len(rows),
        n_repos=int(rows["repo"].nunique()),
        n_dormant=int(np.nansum(rows["dormant"].to_numpy(float))),
        n_core_loss_labelled=int(core.notna().sum()),
        n_core_loss=int(core.sum()),
        folds=folds,
        cutoff=cutoff,
        key_source=ds.key_source,
        seconds=time.perf_counter() - t0,
        first_date=min(rows["as_of"]),
        last_date=max(rows["as_of"]),
        gnn_best_epochs=epochs,
        paired=paired,
        ecosystems={
            str(k): int(v) for k, v in rows["ecosystem"].value_counts().sort_index().items()
        },
        n_young=int(rows["young"].sum()) if "young" in rows else 0,
        n_archived_labelled=int(arch.notna().sum()),
        n_archived=int(np.nansum(arch.to_numpy(float))),
        n_reserved=int(reserved.sum()),
        loeo_refused=refused,
        shipped=GNN if (config or TrainConfig()).use_graph else MLP,
        oof=oof,
    )

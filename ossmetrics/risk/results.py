"""What an evaluation run found: per-method results, the paired graph difference, and their
tables (the model card and ``risk evaluate`` print these). Kept apart from ``evaluate`` (which
fits and predicts) so the card can render a report without the fitting code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from ossmetrics.risk.baselines import SCORE_BASELINES
from ossmetrics.risk.measures import ReliabilityBin

__all__ = [
    "CV",
    "EVAL_LABELS",
    "GB",
    "GNN",
    "INDEP",
    "LABELS",
    "LOEO",
    "LR",
    "MLP",
    "TF",
    "EvaluationReport",
    "MethodResult",
    "PairedResult",
    "fmt",
]

#: The network's outputs, in order (``train.LABELS`` is this tuple).
LABELS = ("dormant", "core_loss")
GNN = "GNN (contributor graph + portfolio)"
MLP = "Same network without the graph"
GB = "Gradient boosting (sklearn)"
LR = "Logistic regression (sklearn)"
CV = "repository-disjoint CV"
TF = "time-forward"
LOEO = "leave-one-ecosystem-out"
INDEP = "independent validation (Apache)"
#: The network predicts the first two; the third (archived / declared unmaintained at T + 12 m)
#: is judged on each method's dormant score, recalibrated to it on the training side.
EVAL_LABELS = (*LABELS, "archived")


@dataclass
class MethodResult:
    setting: str
    label: str
    method: str
    n: int
    n_pos: int
    roc_auc: tuple[float, float, float]
    pr_auc: tuple[float, float, float]
    brier: tuple[float, float, float]
    fold_roc_auc: float = float("nan")
    fold_pr_auc: float = float("nan")
    subset: str = "all"  # "all", "young", or "ecosystem:<name>"
    ece: float = float("nan")


@dataclass
class PairedResult:
    """GNN − same network without the graph, on the same resamples."""

    setting: str
    label: str
    subset: str
    d_roc_auc: tuple[float, float, float]
    d_pr_auc: tuple[float, float, float]


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
    #: The GNN's early-stopping epoch per fit, by setting; -1 = no graph correction kept.
    gnn_best_epochs: dict[str, list[int]] = field(default_factory=dict)
    paired: list[PairedResult] = field(default_factory=list)
    ecosystems: dict[str, int] = field(default_factory=dict)  # snapshots per ecosystem
    n_young: int = 0
    n_archived_labelled: int = 0
    n_archived: int = 0
    n_reserved: int = 0
    loeo_refused: str = ""
    #: The method that ships (the network without the graph unless the graph earned its place).
    shipped: str = MLP
    #: Reliability curve of the shipped model's P(dormant), pooled LOEO (filled by the pipeline).
    reliability: list[ReliabilityBin] = field(default_factory=list)
    #: Out-of-fold predictions per setting (rows, {method: [n, 3]}), for the 0-100 rule.
    oof: dict[str, tuple[pd.DataFrame, dict[str, np.ndarray]]] = field(default_factory=dict)

    def table(self, setting: str, label: str, subset: str = "all") -> str:
        rows = [
            r
            for r in self.results
            if r.setting == setting and r.label == label and r.subset == subset
        ]
        if not rows:
            return ""
        n, pos = rows[0].n, rows[0].n_pos
        what = "" if subset == "all" else f", {subset} snapshots"
        out = [
            f"{setting}{what}, label **{label}** ({n} snapshots, {pos} positive):",
            "",
            "| method | ROC-AUC [95% CI] | PR-AUC [95% CI] | Brier [95% CI] | ECE | mean fold ROC-AUC | mean fold PR-AUC |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in sorted(
            rows, key=lambda r: -(r.roc_auc[0] if r.roc_auc[0] == r.roc_auc[0] else 0.0)
        ):
            out.append(
                f"| {r.method} | {fmt(r.roc_auc)} | {fmt(r.pr_auc)} | {fmt(r.brier)} | "
                f"{_num(r.ece)} | {_num(r.fold_roc_auc)} | {_num(r.fold_pr_auc)} |"
            )
        return "\n".join(out)

    def ecosystem_table(self, label: str = "dormant") -> str:
        """Per held-out ecosystem: the shipped model, the other network, and calibration."""
        other = GNN if self.shipped == MLP else MLP
        ecos = sorted({r.subset[10:] for r in self.results if r.subset.startswith("ecosystem:")})
        if not ecos:
            return ""
        out = [
            f"Per held-out ecosystem, label **{label}**, shipped model = {self.shipped} (trained on the other ecosystems):",
            "",
            f"| held-out ecosystem | snapshots | positive | shipped ROC-AUC [95% CI] | shipped PR-AUC | shipped Brier | shipped ECE | {other} ROC-AUC | best single signal (ROC-AUC) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        singles = set(SCORE_BASELINES)
        for e in ecos:
            sub = [r for r in self.results if r.subset == f"ecosystem:{e}" and r.label == label]
            g = next((r for r in sub if r.method == self.shipped), None)
            m = next((r for r in sub if r.method == other), None)
            s = [r for r in sub if r.method in singles and r.roc_auc[0] == r.roc_auc[0]]
            best = max(s, key=lambda r: r.roc_auc[0]) if s else None
            if g is None:
                continue
            out.append(
                f"| {e} | {g.n} | {g.n_pos} | {g.roc_auc[0]:.3f} [{g.roc_auc[1]:.3f}, {g.roc_auc[2]:.3f}] | "
                f"{_num(g.pr_auc[0])} | {g.brier[0]:.3f} | {_num(g.ece)} | "
                f"{_num(m.roc_auc[0]) if m else '–'} | "
                f"{f'{best.method} ({best.roc_auc[0]:.3f})' if best else '–'} |"
            )
        return "\n".join(out)

    def paired_table(self) -> str:
        if not self.paired:
            return ""
        out = [
            "The graph's contribution: GNN − the same network without the graph (paired cluster"
            " bootstrap). Without the graph the network trains no non-linear correction (the"
            " shipped setting, `TrainConfig.tabular_correction`), so the difference holds the"
            " graph and the GNN's non-linear correction together, against what ships:",
            "",
            "| setting | label | snapshots | Δ ROC-AUC [95% CI] | Δ PR-AUC [95% CI] | interval excludes 0 |",
            "|---|---|---|---:|---:|---|",
        ]
        for p in self.paired:
            d = p.d_roc_auc
            sig = "yes" if (d[1] > 0 or d[2] < 0) else "no"
            out.append(
                f"| {p.setting} | {p.label} | {p.subset} | {d[0]:+.3f} [{d[1]:+.3f}, {d[2]:+.3f}] | "
                f"{p.d_pr_auc[0]:+.3f} [{p.d_pr_auc[1]:+.3f}, {p.d_pr_auc[2]:+.3f}] | {sig} |"
            )
        return "\n".join(out)

    def markdown(self) -> str:
        parts = [self.table(LOEO, "dormant"), self.ecosystem_table()]
        for setting in (LOEO, CV, TF, INDEP):
            for label in EVAL_LABELS:
                if (setting, label) == (LOEO, "dormant"):
                    continue
                parts.append(self.table(setting, label))
        for setting in (LOEO, CV, TF):
            for label in EVAL_LABELS:
                parts.append(self.table(setting, label, "young"))
        parts.append(self.paired_table())
        return "\n\n".join(p for p in parts if p)

    def get(
        self, setting: str, label: str, method: str, subset: str = "all"
    ) -> MethodResult | None:
        for r in self.results:
            if (r.setting, r.label, r.method, r.subset) == (setting, label, method, subset):
                return r
        return None


def fmt(t: tuple[float, float, float]) -> str:
    """``point [lo, hi]`` with three decimals."""
    return f"{t[0]:.3f} [{t[1]:.3f}, {t[2]:.3f}]"


def _num(x: float) -> str:
    return "–" if x != x else f"{x:.3f}"

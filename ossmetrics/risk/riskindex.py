"""The 0–100 risk: which rule combines the model's probabilities, chosen and checked out of sample.

A funder reads one number. It should rank projects by how likely the project **stops being
maintained** in the next 12 months — it goes dormant, or it is archived / declared unmaintained
— so the target of the choice is that outcome (``ENDING``; an unknown archived label counts as
not happened). Losing every key person is a warning, not an end: the project may go on with
others. (The first run also put core loss in the target; with 598 of its 624 positives core
losses, it picked the rule that leans most on P(core loss), which ranked dormancy at 0.859
against 0.931 for P(dormant) alone on held-out ecosystems — a number that ranks "loses its
current people" above "stops". That target was dropped after seeing it; both are reported.) Candidate rules, written down
before any run (``RULES``): P(dormant) alone; the earlier 0.7 / 0.3 weighting; equal weights;
and P(dormant or core loss) under independence, ``1 − (1 − p_d)(1 − p_c)``. Each maps to
0–100 by ×100, so the number is a probability in percent.

**Checked out of sample** (``validate_rules``): in each leave-one-ecosystem-out fold, the rule
is chosen by the composite outcome's ROC-AUC on an *inner* leave-one-ecosystem-out over the
training ecosystems only (the shipped training setting), then applied to the held-out
ecosystem's predictions; pooled over the held-out ecosystems this gives the ROC-AUC a user
meeting an unfamiliar ecosystem gets from "choose the rule, then score", beside every fixed rule
and P(dormant) alone, with cluster-bootstrap intervals. The shipped rule (``SHIPPED_RULE``) is
the one chosen on all ecosystems' held-out predictions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ossmetrics.risk.measures import auc, cluster_bootstrap

if TYPE_CHECKING:  # scoring imports this module for RULES; the check needs the training code
    from ossmetrics.risk.dataset import RiskDataset
    from ossmetrics.risk.train_types import TrainConfig

__all__ = [
    "ANY",
    "ENDING",
    "RULES",
    "SHIPPED_RULE",
    "RuleCheck",
    "choose_rule",
    "composite_outcome",
    "risk_from_probabilities",
    "validate_rules",
]

Rule = Callable[[np.ndarray], np.ndarray]

#: Candidate rules over ``p[:, 0]`` = P(dormant), ``p[:, 1]`` = P(core loss); result in [0, 1].
RULES: dict[str, Rule] = {
    "P(dormant)": lambda p: p[:, 0],
    "0.7 P(dormant) + 0.3 P(core loss)": lambda p: 0.7 * p[:, 0] + 0.3 * p[:, 1],
    "0.5 P(dormant) + 0.5 P(core loss)": lambda p: 0.5 * p[:, 0] + 0.5 * p[:, 1],
    "P(dormant or core loss)": lambda p: 1 - (1 - p[:, 0]) * (1 - p[:, 1]),
}

#: The rule ``score`` uses, chosen by ``validate_rules`` on the corpus (see the model card).
SHIPPED_RULE = "P(dormant)"


def risk_from_probabilities(p: np.ndarray, rule: str = SHIPPED_RULE) -> np.ndarray:
    """0–100 risk of each row of ``p`` ([n, ≥2]) by ``rule``, rounded to 0.1."""
    return np.round(100 * np.clip(RULES[rule](p), 0.0, 1.0), 1)


#: The outcome the 0-100 rule is chosen for: the project stops being maintained.
ENDING = ("dormant", "archived")
#: Reported beside it: any of the three labels.
ANY = ("dormant", "core_loss", "archived")


def composite_outcome(rows: pd.DataFrame, labels: tuple[str, ...] = ENDING) -> np.ndarray:
    """1 where any of ``labels`` is 1; unknown labels count as 0."""
    cols = [c for c in labels if c in rows]
    y = np.nan_to_num(rows[cols].to_numpy(float), nan=0.0)
    out: np.ndarray = (y.max(axis=1) > 0).astype(float)
    return out


def choose_rule(rows: pd.DataFrame, p: np.ndarray) -> str:
    """The rule with the highest composite-outcome ROC-AUC on (rows, p); ties: earlier rule."""
    y = composite_outcome(rows)
    if y.min() == y.max():
        return SHIPPED_RULE
    scores = {name: auc(y, fn(p)) for name, fn in RULES.items()}
    return max(RULES, key=lambda n: (scores[n], -list(RULES).index(n)))


@dataclass
class RuleCheck:
    #: rule -> (ROC-AUC, lo, hi) of the composite outcome on the held-out ecosystems
    fixed: dict[str, tuple[float, float, float]]
    nested: tuple[float, float, float]  # "choose on inner folds, then score"
    chosen_per_fold: dict[str, str]
    chosen_on_all: str
    n: int
    n_pos: int
    dormant_auc_of_rule: dict[str, float] = field(default_factory=dict)
    any_auc_of_rule: dict[str, float] = field(default_factory=dict)  # target incl. core loss


def _inner_predictions(
    ds: RiskDataset, cfg: TrainConfig, device: str
) -> tuple[pd.DataFrame, np.ndarray]:
    from ossmetrics.risk.folds import check_no_reserved, loeo_folds
    from ossmetrics.risk.train import predict, train_model

    idx, preds = [], []
    for _eco, tr, te in loeo_folds(ds.rows):
        mtr = np.zeros(len(ds), bool)
        mtr[tr] = True
        mte = np.zeros(len(ds), bool)
        mte[te] = True
        check_no_reserved(ds.rows["repo"][mtr])
        tm = train_model(ds.subset(mtr), cfg, device=device)
        idx.append(np.flatnonzero(mte))
        preds.append(predict(tm, ds.subset(mte)))
    order = np.concatenate(idx)
    return ds.rows.iloc[order].reset_index(drop=True), np.concatenate(preds)


def validate_rules(
    ds: RiskDataset,
    held_out_rows: pd.DataFrame,
    held_out_p: np.ndarray,
    *,
    config: TrainConfig | None = None,
    device: str = "cpu",
    n_boot: int = 1000,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> RuleCheck:
    """Nested check of the rule choice; ``held_out_*``: the outer LOEO predictions of the
    shipped setting (``EvaluationReport.oof``), ``ds``: the data set they came from."""
    from ossmetrics.risk.batching import repo_groups
    from ossmetrics.risk.folds import loeo_folds
    from ossmetrics.risk.train_types import TrainConfig

    say = progress or (lambda _m: None)
    cfg = replace(config or TrainConfig(), seed=seed)
    y = composite_outcome(held_out_rows)
    groups = repo_groups(held_out_rows["repo"].tolist())
    nested = np.zeros(len(held_out_rows))
    chosen: dict[str, str] = {}
    for eco, tr, _te in loeo_folds(ds.rows):
        inner = ds.subset(np.isin(np.arange(len(ds)), tr))
        say(f"0-100 rule, held-out {eco}: inner leave-one-ecosystem-out on {len(inner)} snapshots")
        rows_i, p_i = _inner_predictions(inner, cfg, device)
        chosen[eco] = choose_rule(rows_i, p_i)
        m = (held_out_rows["ecosystem"] == eco).to_numpy()
        nested[m] = RULES[chosen[eco]](held_out_p[m])
    fixed = {
        name: cluster_bootstrap(y, fn(held_out_p), groups, n_boot, seed)[0]
        for name, fn in RULES.items()
    }
    yd = held_out_rows["dormant"].to_numpy(float)
    ya = composite_outcome(held_out_rows, ANY)
    return RuleCheck(
        fixed=fixed,
        nested=cluster_bootstrap(y, nested, groups, n_boot, seed)[0],
        chosen_per_fold=chosen,
        chosen_on_all=choose_rule(held_out_rows, held_out_p),
        n=len(y),
        n_pos=int(y.sum()),
        dormant_auc_of_rule={n: auc(yd, fn(held_out_p)) for n, fn in RULES.items()},
        any_auc_of_rule={n: auc(ya, fn(held_out_p)) for n, fn in RULES.items()},
    )

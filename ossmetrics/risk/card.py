"""The model card (docs/model-card.md), written from an evaluation run.

Generated, not hand-edited, so the numbers in the card are always the numbers of the last
``ossmetrics risk evaluate`` run; the prose around them states the definitions and limits.
"""

from __future__ import annotations

from ossmetrics.risk.evaluate import GB, GNN, MLP, EvaluationReport
from ossmetrics.risk.features import FEATURES, SIGN_PRIORS
from ossmetrics.risk.graphs import CONTRIBUTOR_FEATURES, MAX_CONTRIBUTORS
from ossmetrics.risk.modelfile import FORMAT_VERSION

__all__ = ["TRIED_NOT_SHIPPED", "model_card"]

#: Experiments that did not beat the shipped model, with their inner-validation numbers and the
#: outer-fold runs of the chosen candidates: measured once (sessions of 2026-12-01), kept here
#: so that regenerating the card keeps the record. Scripts: the inner protocol on
#: ``build_dataset(con)`` of the corpus store (~10-70 s per candidate on one CPU thread).
TRIED_NOT_SHIPPED = """## Tried, not shipped (graph signal, second round)

*Rounds two and three ran on the data set as it was built before 2026-12-01, when tied
collaboration edges were still kept in whatever order DuckDB returned them (so two builds
differed in 2,396 of 2,814 graphs, and retraining gave another model version). The comparisons
inside each round are like for like; "shipped GNN" there means the model shipped then,
`gnn-f2-5032a71c07`, not the one in the table above.*

**Protocol (no test fold used for any choice).** The same 5 outer repository-disjoint folds as
the table above. Inside each outer *training* fold, 20% of its repositories (stratified group
split, seed 100 + fold) were held out as an **inner validation** set; every candidate was
trained on the other 80% with the normal procedure (its own seeded early-stopping split) and
scored on the inner holdout: 2,245 snapshots, 102 dormant, pooled over the 5 inner holdouts
(pooled ROC-AUC / PR-AUC of the dormant logit, and the mean over the 5 holdouts). One candidate
was chosen on these numbers, then evaluated **once** on the outer folds.

| candidate (dormant label, inner validation) | pooled ROC-AUC | pooled PR-AUC | mean ROC-AUC | mean PR-AUC |
|---|---:|---:|---:|---:|
| gradient boosting (reference) | 0.926 | 0.373 | 0.926 | 0.415 |
| logistic regression (reference) | 0.920 | 0.375 | 0.920 | 0.422 |
| network's linear path alone, fitted 300 epochs | 0.916 | 0.353 | 0.915 | 0.390 |
| **linear warm-up + frozen linear path + zero-initialised graph head (chosen)** | 0.911 | 0.378 | 0.908 | 0.414 |
| same, early stopping on the dormant loss only (finished after the choice) | 0.910 | 0.397 | 0.908 | 0.413 |
| same, hidden 8 | 0.910 | 0.348 | 0.914 | 0.387 |
| same, no graph (MLP) | 0.910 | 0.365 | 0.908 | 0.390 |
| same + ridge on the linear path | 0.898 | 0.377 | 0.904 | 0.403 |
| 3-seed ensemble, hidden 8, weight decay 1e-3 (needs a new file format) | 0.909 | 0.386 | 0.911 | 0.427 |
| hidden 8, dropout 0.2, weight decay 1e-3, 1 message-passing layer | 0.910 | 0.372 | 0.912 | 0.404 |
| hidden 8, dropout 0.2, weight decay 1e-3 | 0.905 | 0.349 | 0.906 | 0.394 |
| linear warm-up, linear path trainable, zero head | 0.905 | 0.349 | 0.910 | 0.410 |
| hidden 16, dropout 0.3, weight decay 1e-3 + attention pooling gated by the project node | 0.891 | 0.337 | 0.895 | 0.378 |
| same + graph-level readouts (isolated work share, density, key-person load, share entropy, top-3 connectivity, recent-active share) | 0.885 | 0.318 | 0.890 | 0.360 |
| hidden 16 + graph-level readouts only | 0.886 | 0.292 | 0.890 | 0.345 |
| hidden 16 + dropout 0.5 on the pooled graph vector | 0.889 | 0.355 | 0.891 | 0.392 |
| hidden 16, dropout 0.3, weight decay 1e-3 / 1e-2 | 0.867 / 0.886 | 0.310 / 0.314 | 0.882 / 0.888 | 0.354 / 0.350 |
| MLP ablation, shipped settings | 0.891 | 0.364 | 0.891 | 0.383 |
| **shipped settings** (hidden 32, dropout 0.1, weight decay 1e-4) | 0.880 | 0.331 | 0.890 | 0.377 |
| shipped settings, older work weighted ¼ on contributor–project edges (recency) | 0.898 | 0.344 | 0.901 | 0.386 |
| chosen candidate + the same recency weighting | 0.899 | 0.378 | 0.908 | 0.416 |
| *seed check:* shipped settings, seed 1 | 0.897 | 0.339 | 0.898 | 0.375 |
| *seed check:* chosen candidate, seed 1 | 0.888 | 0.331 | 0.899 | 0.390 |

What the inner numbers say: the shipped network's deep part overfits within ~30 epochs and early
stopping then also stops its linear path before it has converged, so it ranks below a plain
logistic regression on the same features. Fitting the linear path first, freezing it and
starting the graph part at zero (the network begins as a logistic regression; early stopping
keeps a graph correction only while it helps on validation repositories) closes most of that gap.
Attention pooling and learned graph-level readouts of the contributor graph did not help; no
candidate beat logistic regression or gradient boosting on inner ROC-AUC. The seed check (rows in
italics, run after the choice) shows that changing only the seed moves a network's inner
ROC-AUC by about ±0.02 and PR-AUC by up to 0.05 — as much as most differences in this table, so
the ordering among the network variants is mostly noise; only "network below logistic
regression and gradient boosting" holds across seeds.

**Outer folds, once, for the chosen candidate** (`TrainConfig(linear_warmup=300,
residual_graph=True)`; same rows, folds, seeds and bootstrap as the table above), dormant label:

| setting | method | ROC-AUC [95% CI] | PR-AUC [95% CI] | Brier | mean fold ROC / PR |
|---|---|---:|---:|---:|---:|
| repository-disjoint CV | candidate GNN | 0.900 [0.868, 0.927] | 0.279 [0.217, 0.367] | 0.037 | 0.910 / 0.370 |
| repository-disjoint CV | candidate MLP ablation | 0.893 [0.860, 0.923] | 0.301 [0.231, 0.397] | 0.037 | 0.900 / 0.378 |
| repository-disjoint CV | shipped GNN (table above) | 0.887 [0.849, 0.918] | 0.289 [0.225, 0.376] | 0.036 | 0.897 / 0.386 |
| time-forward | candidate GNN | 0.858 [0.813, 0.899] | 0.388 [0.278, 0.494] | 0.064 | – |
| time-forward | shipped GNN (table above) | 0.844 [0.795, 0.888] | 0.337 [0.240, 0.445] | 0.068 | – |

Core loss, repository-disjoint: candidate 0.931 / 0.804 against shipped 0.931 / 0.775.

**Decision: not shipped.** On the repository-disjoint dormant label the candidate raises ROC-AUC
(0.887 → 0.900) but lowers PR-AUC (0.289 → 0.279; fold mean 0.386 → 0.370), the metric this
imbalanced task should be judged on; all differences are far inside the intervals. It still
**does not beat** logistic regression (0.925 / 0.377), gradient boosting (0.916 / 0.338) or the
OSS Compass-style activity score (0.908 / 0.275 — the candidate is below it on ROC-AUC, above on
PR-AUC), and it is no better than the same network without the graph on PR-AUC. No other
candidate was run on the outer folds (that would be choosing on them). The code path stays
available, off by default (`TrainConfig.linear_warmup`, `residual_graph`). Reproduce: the inner
protocol above on `build_dataset(con)` of the corpus store; run time ~10–70 s per candidate on one
CPU thread.

## Tried, not shipped (third round: start from an exact logistic regression)

Two handicaps of the network against the logistic-regression baseline remained: the baseline
is fitted on every row of a training fold, the network on the 80% left after its early-stopping
split, and the network's linear path is fitted by Adam with a class-weighted loss, not to the
optimum of the baseline's objective. The candidate removes both: `TrainConfig(linear_fit=
"exact", residual_graph=True, class_weight=False)` sets the linear path, per label, to an L2
logistic regression with scikit-learn's objective (C = 1, L-BFGS in float64) on **all** training
rows, freezes it, starts the graph part at zero and lets early stopping (unweighted validation
log-loss, the untrained start included) keep a graph correction only if it lowers that loss.
Same inner protocol and holdouts as round two (2,245 snapshots, 102 dormant):

| candidate (dormant label, inner validation) | pooled ROC-AUC | pooled PR-AUC | mean ROC-AUC | mean PR-AUC | best epoch per fold |
|---|---:|---:|---:|---:|---|
| logistic regression (reference, sklearn) | 0.920 | 0.375 | 0.920 | 0.422 | – |
| gradient boosting (reference) | 0.926 | 0.373 | 0.926 | 0.415 | – |
| exact logistic path alone (experiment script) | 0.921 | 0.375 | 0.921 | 0.422 | – |
| **candidate**, through `train_model` (Platt-calibrated per fold) | 0.915 | 0.364 | 0.921 | 0.422 | start, start, start, start, start |
| candidate, seed 1 | 0.916 | 0.366 | 0.921 | 0.422 | start ×5 |
| candidate without the graph (MLP correction) | 0.915 | 0.364 | 0.921 | 0.422 | start ×5 |
| experiment script, class-weighted graph part: seeds 0 and 1, hidden 8, no graph | 0.921 | 0.375 | 0.921 | 0.422 | start in every fold |
| experiment script, unweighted: early stopping on dormant only, learning rate 0.003, no graph | 0.921 | 0.375 | 0.921 | 0.422 | start in every fold |
| experiment script, unweighted graph part, seeds 0 / 1 / 2 | 0.921 / 0.920 / 0.921 | 0.383 / 0.389 / 0.375 | 0.921 | 0.425 / 0.424 / 0.422 | moved in some folds (seeds 0, 1) |

What it says: started from a converged logistic regression, **no graph (or non-linear)
correction lowers the validation loss** in any fold through the package's training code, and in
the separate experiment script only by amounts that change with the seed (PR-AUC 0.375–0.389).
The candidate is therefore the logistic regression itself; its pooled figures are a little lower
only because each fold's Platt calibration shifts that fold's scores. This is the clearest
evidence so far that, on this corpus and with ~100 dormant snapshots, the contributor graph
holds no signal a network can learn beyond the 27 project features (which already carry the
concentration and cross-project facts). **Not shipped** and not run on the outer folds: it
would tie logistic regression by construction and stay below gradient boosting on ROC-AUC, and
a "GNN" whose graph part is zero would make the neighbouring-contributor explanations empty.
The options stay in `TrainConfig` for stores where the graph may matter (a funder's portfolio of
related projects, with GitHub data), and `exact_logistic` is tested against scikit-learn.
*(Fourth round: this candidate is now shipped, after its Platt step was found to be in-sample;
see "How the model got here" and below.)*

## Fourth round: graph features for a linear model, a contributor-level target, and the shipped setting

Same inner protocol as rounds two and three, on the reproducible data set of the table above
(inner holdouts: 2,325 snapshots, 103 dormant; the set differs from the earlier rounds' 2,245
because those ran on the old, order-dependent build). Pre-registered before running: two ways
to give a *convex* learner the graph, so that early stopping and seeds no longer decide.

| candidate (inner validation) | dormant pooled ROC-AUC | pooled PR-AUC | mean ROC-AUC | mean PR-AUC | core loss ROC / PR |
|---|---:|---:|---:|---:|---:|
| logistic regression (reference) | 0.908 | 0.367 | 0.908 | 0.397 | 0.920 / 0.745 |
| gradient boosting (reference) | 0.908 | 0.328 | 0.909 | 0.374 | 0.934 / 0.759 |
| **shipped setting** through `train_model` (graph correction kept in 0 of 5 folds) | 0.908 | 0.367 | 0.908 | 0.397 | 0.920 / 0.745 |
| same without the graph | 0.908 | 0.367 | 0.908 | 0.397 | 0.920 / 0.745 |
| network shipped before (Adam, class-weighted, Platt; best epochs 25–30) | 0.894 | 0.363 | 0.899 | 0.397 | 0.923 / 0.740 |
| SGC/SIGN-style: logistic regression on the 27 features + contributor features propagated 0, 1 and 2 steps over the collaboration graph (row-normalised, self loops), pooled by commit share and by max, + commit-share-weighted portfolio means | 0.899 | 0.340 | 0.899 | 0.359 | 0.926 / 0.766 |
| same, 1 step only | 0.899 | 0.344 | 0.899 | 0.375 | 0.923 / 0.764 |
| same, 0–2 steps, share-weighted pooling only | 0.905 | 0.346 | 0.905 | 0.375 | 0.928 / 0.762 |
| same, 0 steps (pooled contributor features, no message passing) + portfolio | 0.909 | 0.350 | 0.907 | 0.373 | 0.928 / 0.768 |
| same, 0 steps, no portfolio | 0.913 | 0.361 | 0.911 | 0.380 | 0.928 / 0.769 |
| gradient boosting on the 0–2-step features | 0.899 | 0.343 | 0.899 | 0.361 | 0.936 / 0.767 |
| contributor-level target: logistic regression + project aggregates (expected active contributors, share-weighted continuation, max, share-weighted log P(all leave)) of a per-contributor model of "commits to the project in the next 12 months" (40,224 contributor rows, 31% positive; inputs: own, collaborators' and portfolio features; cross-fitted over 3 repository groups) | 0.908 | 0.361 | 0.907 | 0.390 | 0.921 / 0.747 |
| same, contributor model without graph inputs | 0.908 | 0.363 | 0.908 | 0.393 | 0.921 / 0.747 |
| the aggregates alone | 0.907 | 0.365 | 0.908 | 0.390 | 0.780 / 0.447 |
| gradient boosting + the aggregates | 0.906 | 0.350 | 0.907 | 0.380 | 0.935 / 0.763 |

What it says: giving the linear model the graph *lowers* its dormant ranking — 0.913 with the
contributors' features pooled and no edge used, 0.909 with the portfolio means added, 0.899 with
1 or 2 steps of propagation over the collaboration graph. (The edge-free pooled variant was the
one candidate above logistic regression on ROC-AUC, 0.913 vs 0.908, and it was below it on
PR-AUC, 0.361 vs 0.367.) The contributor-level model predicts who keeps committing with ROC-AUC
0.886–0.895 per fold, its graph inputs add 0.001–0.002 to that, and its aggregates rank
dormancy as well as the 27 features do but add nothing to them. For core loss the graph features
help the linear model (0.920 / 0.745 → 0.926 / 0.766), though not past gradient boosting. Every
round so far agrees: on this corpus, whether a project goes dormant is in its own recent activity,
which the 27 project features already hold; the collaboration graph and the thin portfolio add
nothing a learner can use. Neither graph-feature variant was shipped or run on the outer folds.

**The shipped setting, outer folds, first run** (with the in-sample Platt step it then had),
repository-disjoint, dormant: ROC-AUC 0.920 [0.895, 0.941], PR-AUC 0.352 [0.276, 0.444], Brier
0.035, fold means 0.930 / 0.438; core loss 0.928 / 0.805. Per-fold calibration slopes
1.25–1.29 and intercepts −0.13 … +0.69 (4 of 5 folds kept no graph correction). The second run,
without the Platt step (shipped as `gnn-f2-b7092d2d4f` until the fifth round): repository-disjoint
dormant ROC-AUC 0.926 [0.902, 0.946], PR-AUC 0.382 [0.306, 0.473], Brier 0.033, fold means
0.930 / 0.438; time-forward 0.866 / 0.418; core loss 0.932 / 0.808.

"""


def _signs_text() -> str:
    """``SIGN_PRIORS`` in words, so the card always lists the bounds the code applies."""
    parts = []
    for j, label in enumerate(("dormant", "core loss")):
        for s, verb in ((-1, "never raise"), (1, "never lower")):
            names = [f"`{f}`" for f, pair in SIGN_PRIORS.items() if pair[j] == s]
            if names:
                parts.append(f"{verb} {label}: {', '.join(names)}")
    return "; ".join(parts)


def _fifth_round() -> str:
    """The shipped round, with the bounds listed from ``SIGN_PRIORS`` itself (so the card
    cannot drift from the code); measured once, 2026-12-02."""
    return f"""## Fifth round: sign bounds on the linear path (shipped)

**Why.** The fourth-round model's regression, fitted on ~124 dormant snapshots of collinear
features, gave some weights the sign no reader would accept: dormant weights +0.233 for
`log_truck_factor` and +0.174 for `key_active_3m` (more key people, and key people still
active, *raising* dormancy), −0.393 for `hhi` beside +0.125 for `top1_share`. Drivers built from
them could say "3 key people (raises risk)", and the what-if a funder reads most — the
project's most active contributor taken out and the project rescored — lowered p_dormant in
31 of 120 sampled snapshots (26%; 27% where that person had made 50–80% of last year's commits;
by up to 0.030), by `benchmarks/whatif_direction.py` on the corpus store.

**What.** `TrainConfig.sign_priors`: each weight of the exact linear path is bounded to the
direction `features.SIGN_PRIORS` gives it ({_signs_text()}). The
problem stays convex (SciPy's L-BFGS-B), so a bound the data agree with changes nothing and a
bound they disagree with pins the weight at exactly 0 — it is never pushed the other way. In
the shipped model six dormant weights sit at 0 (`top1_share`, `hhi`, `log_authors_12m`,
`log_lines_12m`, `log_truck_factor`, `key_active_3m`) and one core-loss weight
(`log_days_since_last`, −0.016 before).

**How it was chosen.** The directions were written down from the health literature before any
run. Inner protocol of the fourth round (same holdouts: 2,325 snapshots, 103 dormant):

| setting (inner validation) | dormant pooled ROC-AUC | pooled PR-AUC | mean ROC-AUC | mean PR-AUC | core loss ROC / PR | graph correction kept |
|---|---:|---:|---:|---:|---:|---|
| fourth-round setting (reference) | 0.908 | 0.367 | 0.908 | 0.397 | 0.920 / 0.745 | 0 of 5 folds |
| same, solved by SciPy without bounds | 0.908 | 0.367 | 0.908 | 0.397 | 0.920 / 0.745 | 0 of 5 |
| **sign bounds** (shipped) | 0.913 | 0.368 | 0.913 | 0.392 | 0.920 / 0.745 | 0 of 5 |

Then the outer folds were run **once** — the table at the top of this card. Against the
fourth-round run: repository-disjoint dormant ROC-AUC 0.926 → 0.928, PR-AUC 0.382 → 0.383 (fold
means 0.930 / 0.438 → 0.932 / 0.442); time-forward 0.866 / 0.418 → 0.867 / 0.404; core loss
0.932 / 0.808 → 0.932 / 0.805. Every change is far inside the intervals: the bounds buy
coherent explanations at no measurable cost in ranking, not a better ranking. The same script with the
shipped model: the what-if lowers p_dormant in 9 of 120 snapshots (7.5%; 8% in the 50–80%
band, none above 80%), by at most 0.026, and the median what-if multiplies p_dormant by 2.26
(1.75 before).
"""


def _inside(x: float, ci: tuple[float, float, float]) -> bool:
    return ci[1] <= x <= ci[2]


def _verdict(rep: EvaluationReport) -> str:
    cv = "repository-disjoint CV"
    g = rep.get(cv, "dormant", GNN)
    # the baselines: the network's own ablation (MLP) is reported below, not counted as one
    others = [
        r
        for r in rep.results
        if r.setting == cv and r.label == "dormant" and r.method not in (GNN, MLP)
    ]
    if g is None or not others:
        return ""
    best_roc = max(others, key=lambda r: r.roc_auc[0])
    best_pr = max(others, key=lambda r: r.pr_auc[0])
    gb = rep.get(cv, "dormant", GB)
    mlp = rep.get(cv, "dormant", MLP)
    lines = []
    beats_roc = g.roc_auc[0] > best_roc.roc_auc[0]
    beats_pr = g.pr_auc[0] > best_pr.pr_auc[0]
    if beats_roc and beats_pr:
        lines.append(
            f"On the dormant label the GNN's pooled ROC-AUC ({g.roc_auc[0]:.3f}) and PR-AUC "
            f"({g.pr_auc[0]:.3f}) are above every baseline's; the best baselines are {best_roc.method} "
            f"(ROC-AUC {best_roc.roc_auc[0]:.3f}) and {best_pr.method} (PR-AUC {best_pr.pr_auc[0]:.3f})."
        )
        if _inside(g.roc_auc[0], best_roc.roc_auc) or _inside(g.pr_auc[0], best_pr.pr_auc):
            lines.append(
                f"**That is a tie, not a win:** the margins ({g.roc_auc[0] - best_roc.roc_auc[0]:+.4f} "
                f"ROC-AUC, {g.pr_auc[0] - best_pr.pr_auc[0]:+.4f} PR-AUC) lie far inside the "
                "runner-up's 95% interval, so the issue's target of beating every baseline is met "
                "in the point estimates only."
            )
    else:
        lines.append(
            f"**The GNN does not beat every baseline.** On the dormant label its pooled ROC-AUC is "
            f"{g.roc_auc[0]:.3f} against {best_roc.roc_auc[0]:.3f} for {best_roc.method}, and its "
            f"PR-AUC {g.pr_auc[0]:.3f} against {best_pr.pr_auc[0]:.3f} for {best_pr.method}."
        )
    if gb is not None:
        word = "above" if g.roc_auc[0] > gb.roc_auc[0] else "below"
        lines.append(
            f"Against gradient boosting on the same features the GNN is {word} it on ROC-AUC "
            f"({g.roc_auc[0]:.3f} vs {gb.roc_auc[0]:.3f}) and "
            f"{'above' if g.pr_auc[0] > gb.pr_auc[0] else 'below'} it on PR-AUC "
            f"({g.pr_auc[0]:.3f} vs {gb.pr_auc[0]:.3f})."
        )
    lines.append(
        "The intervals of the learned models overlap widely: with "
        f"{rep.n_dormant} dormant snapshots over {rep.n_repos} repositories the differences "
        "between them are not settled; every learned model is clearly ahead of the single-signal "
        "formulas except, on some splits, the OSS Compass-style activity score."
    )
    if g.roc_auc[0] >= 0.85:
        lines.append(f"The issue's target of ROC-AUC ≥ 0.85 is met ({g.roc_auc[0]:.3f}).")
    else:
        lines.append(f"The issue's target of ROC-AUC ≥ 0.85 is not met ({g.roc_auc[0]:.3f}).")
    epochs = rep.gnn_best_epochs.get(cv, [])
    if epochs:
        kept = sum(e >= 0 for e in epochs)
        lines.append(
            f"Early stopping kept a graph correction in {kept} of {len(epochs)} folds (best epochs "
            f"{', '.join(str(e) for e in epochs)}; −1 = none, that fold's GNN is its exact "
            "logistic regression)."
        )
    if mlp is not None:
        adds = (
            g.roc_auc[0] > mlp.roc_auc[0]
            and g.pr_auc[0] > mlp.pr_auc[0]
            and not _inside(g.pr_auc[0], mlp.pr_auc)
        )
        lines.append(
            f"The graph's own contribution (GNN vs the same network without the graph): ROC-AUC "
            f"{g.roc_auc[0]:.3f} vs {mlp.roc_auc[0]:.3f}, PR-AUC {g.pr_auc[0]:.3f} vs {mlp.pr_auc[0]:.3f}"
            + (
                "."
                if adds
                else " — on this corpus the graph adds nothing measurable over the tabular "
                "features, which already hold the concentration and cross-project signals the "
                "graph carries; the corpus' projects share few people, so the portfolio part "
                "rarely fires. The graph signal is open work (see Known limits)."
            )
        )
    return " ".join(lines)


def model_card(rep: EvaluationReport, *, model_version: str = "", train_seconds: str = "") -> str:
    feats = ", ".join(f"`{f}`" for f in FEATURES)
    cfeats = ", ".join(f"`{f}`" for f in CONTRIBUTOR_FEATURES)
    return f"""# Model card: ossmetrics sustainability-risk GNN

*Generated by `ossmetrics risk evaluate` — do not edit by hand; rerun it to refresh the numbers.*

- Model file format: {FORMAT_VERSION}{f"; shipped model version `{model_version}`" if model_version else ""}
- Code: `ossmetrics/risk/` (dataset, model, train, evaluate, score, explain)
- Hardware of this run: CPU only. **CUDA / H100 figures: not measured (no GPU in this session).**
{f"- Training the shipped model on the corpus (CPU): {train_seconds}" if train_seconds else ""}

## Data

The shared corpus of 130 public repositories (git metadata, pseudonymised; `../shared/corpus/`),
loaded into a store with `ossmetrics collect corpus` (reproduce this card with `ossmetrics risk
evaluate` on that store, the shipped model with `ossmetrics train`: both are deterministic).
Non-bot commits only (bots by
the corpus' `is_bot_like` flag). Snapshots every 6 months on a grid anchored at the data end
({rep.last_date} is the last labelled snapshot; first {rep.first_date}): **{rep.n_snapshots}
eligible, labelled snapshots of {rep.n_repos} repositories**, {rep.n_dormant} dormant
({rep.n_dormant / max(rep.n_snapshots, 1):.1%}); core loss defined for {rep.n_core_loss_labelled},
of which {rep.n_core_loss} positive. Key people: `{rep.key_source}`
(`truck_factor` = the graph stage's degree-of-authorship truck factor, Avelino et al. 2016).

## Label definitions

- **Eligible** snapshot at T: ≥ 10 non-bot commits in the 12 months before T.
- **Dormant**: fewer than 5 non-bot commits in the 12 months after T.
- **Core loss**: every truck-factor key person at T makes no commit to the project in the 12
  months after T (undefined when the truck factor has no key people).
- **Labelled** only when T + 12 months ≤ the data end. Data end = the store's newest non-bot
  commit, except for a repository that stops while busy (≥ 90 commits in its last 90 days, and
  more than 30 days before the global end), whose snapshot is taken to end early (corpus README
  caveat 2: cli/cli, facebook/zstd) — its data end is its last commit.
- "Known at T" = committed on or before day T (UTC). Every feature reads only such commits; a
  test appends future commits and checks the features at T do not change.

## Features and graph

Project features ({len(FEATURES)}): {feats}.

Graph at T: contributors and projects of the whole store. Per snapshot the model sees the
project's {MAX_CONTRIBUTORS} most active contributors of the last 24 months (features: {cfeats}),
collaboration edges between people who changed the same files (weight Σ 1/(authors of the file −
1), files with > 30 authors ignored, strongest 4 per node kept), and every other project those
people worked on at T (contributor–project edges weighted by recent and older commits). The
network encodes the project, passes messages contributor ↔ contributor and project → contributor
twice, and pools the contributors (mean, max, commit-share-weighted sum) next to the project
encoding. Two outputs (dormant, core loss). Training (shipped since the fifth round): the linear
path from the project features to each output is an exact L2 logistic regression of every
training row (C = 1) whose weights are bounded to the directions of `SIGN_PRIORS` (below),
frozen; the graph part starts at zero and early stopping on the unweighted
validation log-loss (20% of the training repositories) keeps a graph correction only if it
lowers that loss. No Platt step (the validation rows are in the regression's fit).

## Evaluation

Repository-disjoint {rep.folds}-fold cross-validation (no project on both sides; the
shared-history pairs node-sass/libsass, lodash/underscore, Hystrix/RxJava kept together), and a
time-forward check (train on snapshots whose label window ends by {rep.cutoff}, test on snapshots
from {rep.cutoff}). Pooled out-of-fold predictions; 95% intervals from a cluster bootstrap over
repositories. Baselines are scored on the same rows; single-signal baselines get a one-variable
logistic calibration fitted on the training folds (for the Brier score; it does not change their
ranking). No hyper-parameter was searched on a test fold; how each design change was chosen,
and which ones were made after seeing these folds, is told below.
Evaluation run time: {rep.seconds:.0f} s on CPU.

{rep.markdown()}

### Reading the table

{_verdict(rep)}

### How the model got here (said plainly, because it bears on the numbers)

The first evaluation run of this code (same data set, same folds and seeds) used the network
without its linear path from the project features to the output. Its dormant-label,
repository-disjoint results were: GNN ROC-AUC 0.879 [0.844, 0.911], PR-AUC 0.246 [0.185, 0.332];
MLP ablation 0.896 / 0.280; logistic regression 0.925 / 0.377; gradient boosting 0.916 / 0.338;
OSS Compass-style activity 0.908 / 0.275. The linear ("wide and deep") path was added *after*
seeing those numbers. The network then shipped (Adam on the whole network, class-weighted loss,
Platt-calibrated) reached 0.894 / 0.298 (`gnn-f2-8798266202`).

The shipped setting is the third round's candidate (below), with the fifth round's sign
bounds on its regression. The candidate was chosen on inner validation folds,
where it was the logistic regression itself and above every network variant. Its first
outer-fold run gave 0.920 / 0.352: below logistic regression although the fold means were equal
(0.930 / 0.438 against 0.930 / 0.433). The cause was a method error, not a setting: each fold's
Platt step was fitted on validation rows the exact regression had been fitted on (in-sample),
sharpened the logits by ~1.25 and shifted them by a fold-dependent −0.13 … +0.69, which spoils
the pooled ranking. The Platt step was removed for that setting (an unweighted logistic fit is
calibrated by construction) and the outer folds were run **a second time** (0.926 / 0.382,
"Fourth round" below). The fifth round's sign bounds were chosen on the inner folds and on the
direction of what-ifs (not a ranking metric), then run on the outer folds once — the table
above. So the Platt change was made after seeing outer folds; read the GNN rows as mildly
optimistic, and as a tie with logistic regression.

{TRIED_NOT_SHIPPED}{_fifth_round()}
## Known limits

- **The shipped network is its logistic regression** (sign-bounded). Trained on the whole
  corpus, early stopping kept no graph correction (best epoch −1), so the shipped model's scores
  and drivers come from its exact linear path over the 27 project features; the graph reaches them only
  through those features and through the what-if rescoring in `risk explain`. On another store
  `ossmetrics train` keeps whatever correction that store's validation repositories support
  (tested on synthetic snapshots whose label lives only in the graph: held-out ROC-AUC 0.99,
  against 0.65 for the regression the network starts from).
- **What-ifs are the model's answer, not forecasts.** `risk explain --without` removes a
  person's commits and rescores. With the sign bounds, taking out a project's most active
  contributor lowers p_dormant only rarely and by little (9 of 120 sampled corpus snapshots, by at
  most 0.026; 31 of 120 before the bounds); such a fall comes from
  free features such as the newcomer share, and a graph correction (none in the shipped model)
  is not bounded.
- **The bounds are priors, not findings.** `SIGN_PRIORS` fixes directions; it cannot make a
  weight the data do not support count, and a store where, say, a larger truck factor really
  did go with more dormancy would see that weight at 0, not negative.
- **Few positives.** About {rep.n_dormant} dormant snapshots; intervals are wide and differences
  between the better methods are within noise.
- **Hand-picked, famous projects** (corpus README caveat 13); JavaScript and Python weigh most.
  Scores for small or young projects are extrapolation.
- **Git history only.** Issues, reviews, releases and organisations are absent from the corpus,
  so the criticality_score and OSS Compass baselines run on a subset of their signals, and the
  shipped model uses no responsiveness features; with GitHub data those baselines get their
  other signals, the model does not.
- **Identities are not merged across emails** in the corpus: one person with two emails is two
  contributors, which understates concentration.
- **Portfolio signal is thin here**: the corpus' repositories share few contributors, so the
  portfolio edges rarely fire; on a funder's portfolio of related projects they matter more.
- **Dormancy is not death**: revived projects (jq, express) and finished, stable projects look
  the same as abandoned ones to this label.
- **Truncated snapshots** are detected by a rule (see labels); a project that really stops dead
  while busy would be misread as truncated and lose its last labels.
"""

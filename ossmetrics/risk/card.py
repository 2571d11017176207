"""The model card (docs/model-card.md): generated only, from one ``risk evaluate`` run.

Every number in the card is computed by the run that writes it — the evaluation tables, the
hardware it detected, the store it read, the timings — and nothing else: the hand-written
history of earlier rounds (with the numbers measured then) lives in ``docs/model-history.md``.
The card leads with the leave-one-ecosystem-out table, then says which model ships and why, what
the 0–100 risk means, and how the issue's targets came out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ossmetrics.risk.baselines import SCORE_BASELINES
from ossmetrics.risk.evaluate import GNN, LOEO, MLP, EvaluationReport
from ossmetrics.risk.features import FEATURES, GRAPH_FEATURES, TRAJECTORY_FEATURES
from ossmetrics.risk.modelfile import FORMAT_VERSION, feature_set_version, model_name
from ossmetrics.risk.riskindex import RULES, SHIPPED_RULE, RuleCheck
from ossmetrics.risk.snapshots import YOUNG_STEP_MONTHS, YOUNG_YEARS

__all__ = ["RunInfo", "graph_earns_its_place", "model_card"]


@dataclass
class RunInfo:
    """What the run knows about itself (filled by ``pipeline.evaluate_store``)."""

    hardware: str = ""
    store: str = ""
    store_summary: str = ""
    dataset_seconds: float = 0.0
    model_version: str = ""
    shipped_uses_graph: bool = False
    extra: list[str] = field(default_factory=list)


def graph_earns_its_place(rep: EvaluationReport) -> bool | None:
    """The issue's rule: the paired LOEO (pooled, dormant) gain's interval lies above 0.
    None when there is no LOEO result (one ecosystem)."""
    for p in rep.paired:
        if (p.setting, p.label, p.subset) == (LOEO, "dormant", "all"):
            return p.d_roc_auc[1] > 0
    return None


def _f(x: float) -> str:
    return "–" if x != x else f"{x:.3f}"


def _ci(t: tuple[float, float, float]) -> str:
    return f"{_f(t[0])} [{_f(t[1])}, {_f(t[2])}]"


def ok(met: bool) -> str:
    return "**met**" if met else "**not met**"


def _targets(rep: EvaluationReport, shipped: str) -> str:
    g = rep.get(LOEO, "dormant", shipped)
    if g is None:
        return "Leave-one-ecosystem-out did not run, so the targets cannot be checked."
    singles = [
        r for r in rep.results
        if (r.setting, r.label, r.subset) == (LOEO, "dormant", "all") and r.method in SCORE_BASELINES
    ]  # fmt: skip
    best = max(singles, key=lambda r: r.pr_auc[0]) if singles else None
    young = rep.get(LOEO, "dormant", shipped, "young")
    eces = {
        r.subset[10:]: r.ece
        for r in rep.results
        if r.subset.startswith("ecosystem:") and r.method == shipped and r.label == "dormant"
    }
    paired = next(
        (p for p in rep.paired if (p.setting, p.label, p.subset) == (LOEO, "dormant", "all")), None
    )
    lines = [
        "| target (dormant, leave-one-ecosystem-out, shipped model) | measured | |",
        "|---|---|---|",
        f"| pooled ROC-AUC ≥ 0.88 | {_ci(g.roc_auc)} | {ok(g.roc_auc[0] >= 0.88)} |",
    ]
    if best is not None:
        lines.append(
            f"| PR-AUC ≥ 2 × best single-signal baseline ({best.method}, {_f(best.pr_auc[0])}) | "
            f"{_ci(g.pr_auc)} (× {g.pr_auc[0] / max(best.pr_auc[0], 1e-9):.2f}) | "
            f"{ok(g.pr_auc[0] >= 2 * best.pr_auc[0])} |"
        )
    if young is not None:
        lines.append(
            f"| young projects: ROC-AUC ≥ 0.85 | {_ci(young.roc_auc)} ({young.n} snapshots, "
            f"{young.n_pos} dormant) | {ok(young.roc_auc[0] >= 0.85)} |"
        )
    if paired is not None:
        d = paired.d_roc_auc
        lines.append(
            f"| graph's paired gain ≥ +0.02 ROC-AUC, interval above 0 | {d[0]:+.3f} [{d[1]:+.3f}, {d[2]:+.3f}] | "
            f"{ok(d[0] >= 0.02 and d[1] > 0)} |"
        )
    if eces:
        worst = max(eces, key=lambda e: eces[e])
        lines.append(
            f"| ECE ≤ 0.05 in every held-out ecosystem | worst {worst} {_f(eces[worst])} | "
            f"{ok(all(v <= 0.05 for v in eces.values()))} |"
        )
    return "\n".join(lines)


def _reliability(rep: EvaluationReport) -> str:
    rows = [
        r for r in rep.results if r.setting == LOEO and r.subset == "all" and r.label == "dormant"
    ]
    if not rows:
        return ""
    out = ["| method (pooled held-out ecosystems) | ECE |", "|---|---:|"]
    out += [f"| {r.method} | {_f(r.ece)} |" for r in sorted(rows, key=lambda r: r.ece)]
    if rep.reliability:
        out += [
            "",
            "Reliability of the shipped model's P(dormant), pooled over held-out ecosystems "
            "(equal-width bins; empty bins left out):",
            "",
            "| bin | snapshots | mean predicted | observed dormant |",
            "|---|---:|---:|---:|",
        ]
        out += [
            f"| {b.lo:.1f}–{b.hi:.1f} | {b.n} | {b.mean_p:.3f} | {b.mean_y:.3f} |"
            for b in rep.reliability
        ]
    return "\n".join(out)


def _rule(rc: RuleCheck | None) -> str:
    if rc is None:
        return (
            f"The shipped rule is **{SHIPPED_RULE}** × 100; it was not re-checked on this run "
            "(leave-one-ecosystem-out did not run)."
        )
    out = [
        f"Target: the project stops being maintained in the next 12 months (dormant, or archived / "
        f"declared unmaintained where known): {rc.n_pos} of {rc.n} held-out snapshots. Each rule "
        "scored on the held-out ecosystems of the shipped model's leave-one-ecosystem-out run:",
        "",
        "| rule (× 100) | ROC-AUC, ending [95% CI] | ROC-AUC, dormant | ROC-AUC, any label incl. core loss |",
        "|---|---:|---:|---:|",
    ]
    for name in RULES:
        out.append(
            f"| {name} | {_ci(rc.fixed[name])} | {_f(rc.dormant_auc_of_rule.get(name, float('nan')))} | "
            f"{_f(rc.any_auc_of_rule.get(name, float('nan')))} |"
        )
    chosen = ", ".join(f"{e}: {r}" for e, r in rc.chosen_per_fold.items())
    out += [
        f"| **chosen on inner folds, then applied** (nested) | {_ci(rc.nested)} | | |",
        "",
        f"Chosen per held-out ecosystem (inner leave-one-ecosystem-out on the others): {chosen}. "
        f"Chosen on all held-out predictions: **{rc.chosen_on_all}**; shipped: **{SHIPPED_RULE}**"
        + (
            "."
            if rc.chosen_on_all == SHIPPED_RULE
            else " — **they differ: update `riskindex.SHIPPED_RULE`**."
        ),
    ]
    return "\n".join(out)


def model_card(
    rep: EvaluationReport, info: RunInfo | None = None, rule: RuleCheck | None = None
) -> str:
    info = info or RunInfo()
    shipped = GNN if info.shipped_uses_graph else MLP
    earns = graph_earns_its_place(rep)
    graph_text = {
        None: "Not decided on this run: leave-one-ecosystem-out did not run, or the run had no "
        "contributor graph to train the GNN on (`risk evaluate --features`: a feature file).",
        True: "The graph's paired gain on held-out ecosystems has its interval above 0: **the graph earns its place**.",
        False: "The graph's paired gain on held-out ecosystems does **not** have its interval above 0: "
        "**the graph does not earn its place**, so the simpler model (the same network without the "
        "graph, which also does not see the graph features) ships; the GNN stays an option "
        "(`ossmetrics train --graph`).",
    }[earns]
    if earns is not None and earns != info.shipped_uses_graph:
        graph_text += " **The shipped model does not follow this run's decision: retrain it.**"
    kept = "; ".join(
        f"{k}: {sum(e >= 0 for e in v)} of {len(v)}" for k, v in rep.gnn_best_epochs.items() if v
    )
    if kept:
        graph_text += (
            f" Folds in which the GNN's early stopping kept a graph correction at all — {kept}."
        )
    young_share = rep.n_young / max(rep.n_snapshots, 1)
    eco = ", ".join(f"{k} {v}" for k, v in rep.ecosystems.items())
    arch = (
        f"{rep.n_archived_labelled} snapshots have a known archived label, {rep.n_archived} positive."
        if rep.n_archived_labelled
        else "This store has no status data (`status_events`), so the archived label is NULL everywhere — never guessed from commits."
    )
    return f"""# Model card: ossmetrics sustainability risk — {model_name(info.shipped_uses_graph)}

*Generated by `ossmetrics risk evaluate` on the run described here; do not edit by hand. Earlier
rounds and their (frozen) numbers: `docs/model-history.md` (hand-written).*

- Shipped model: {f"`{info.model_version}`" if info.model_version else "(none found)"}; file format {FORMAT_VERSION}, {feature_set_version(FEATURES)}
- Hardware of this run: {info.hardware or "not recorded"}
- Store: {info.store or "not recorded"}{f" — {info.store_summary}" if info.store_summary else ""}
- Data set: **{rep.n_snapshots} eligible, labelled snapshots of {rep.n_repos} repositories** ({rep.first_date} … {rep.last_date}), {rep.n_dormant} dormant; core loss defined for {rep.n_core_loss_labelled} ({rep.n_core_loss} positive); key people from `{rep.key_source}`; built in {info.dataset_seconds:.0f} s
- Ecosystems (snapshots): {eco}; reserved Apache snapshots (never trained, tuned or selected on): {rep.n_reserved}
- Young snapshots (project < {YOUNG_YEARS:g} years old at T): {rep.n_young} ({young_share:.1%})
- Evaluation run time: {rep.seconds:.0f} s
{"".join(f"- {x}" + chr(10) for x in info.extra)}
## Leave-one-ecosystem-out

Train on every ecosystem but one, test on the one left out, for each; pooled held-out
predictions; 95% intervals from a cluster bootstrap over repositories; ECE = expected
calibration error over 10 equal-width bins. {("**Refused on this store:** " + rep.loeo_refused) if rep.loeo_refused else ""}

{rep.table(LOEO, "dormant")}

{rep.ecosystem_table()}

### Targets

{_targets(rep, shipped)}

## Which model ships: does the graph earn its place?

{rep.paired_table()}

{graph_text} Graph features (seen only with the graph): {", ".join(f"`{f}`" for f in GRAPH_FEATURES)}
— all six were written down before the first run and none was selected on a result.

How the project features were chosen (issue 19, third round): the trajectory features
{", ".join(f"`{f}`" for f in TRAJECTORY_FEATURES)} were chosen by repository-disjoint 5-fold
cross-validation *inside* each leave-one-ecosystem-out training side (nested: a held-out
ecosystem was never scored for the choice), among four candidate sets written down before the
run (the earlier features; with the trajectory features; with the six graph features as plain
inputs; with both): the trajectory features won in all 7 training sides, the graph features in
1 (by less than 0.0001 inner PR-AUC), so the shipped network takes the first and not the second.
**Seen after that choice and said here as the issue asks:** the nested pipeline's pooled
leave-one-ecosystem-out result on the 932-repository corpus (PR-AUC 0.283, below the 2× target);
two more candidate sets designed after seeing it (monotone hinge terms, active days) lost on the
inner folds and were not added. No choice that ships was made on a held-out ecosystem.

## What the 0–100 risk means

The 0–100 risk is **{SHIPPED_RULE} × 100**: the model's calibrated probability, in percent,
{"that the project goes dormant (fewer than 5 non-bot commits) in the next 12 months" if SHIPPED_RULE == "P(dormant)" else "of the outcome named by the rule, over the next 12 months"}. 10 means about one
such project in ten. The rule was chosen and checked out of sample:

{_rule(rule)}

## Calibration

{_reliability(rep)}

## Other settings

Repository-disjoint {rep.folds}-fold cross-validation and a time-forward check (train on
snapshots whose label window ends by {rep.cutoff}, test on snapshots from it); then the young
snapshots of every setting; Apache repositories, when the store has any, in "independent
validation" only.

{rep.markdown().replace(rep.table(LOEO, "dormant"), "").replace(rep.ecosystem_table(), "").replace(rep.paired_table(), "").strip()}

## Labels

- **Eligible** at T: ≥ 10 non-bot commits in the 12 months before T. Snapshots every 6 months on a
  grid anchored at the data end, and every {YOUNG_STEP_MONTHS} months while a project is young.
- **Dormant**: fewer than 5 non-bot commits in the 12 months after T.
- **Core loss**: every truck-factor key person at T makes no commit in the 12 months after T.
- **Archived**: archived or declared unmaintained / deprecated on or before T + 12 months, read
  from the store's `status_events`; NULL where no status source covered the repository. {arch}
  The network predicts dormant and core loss; for the archived label every method's dormant
  score is recalibrated to it on the training side.
- Labelled only when T + 12 months is inside the data; features read only commits up to T.

## Known limits

- Git history only; issues, reviews and releases are absent from corpus stores.
- Dormancy is not death: finished, stable projects look like abandoned ones to this label.
- One person with two unmerged identities counts as two contributors.
- Intervals are wide where an ecosystem has few dormant snapshots; read per-ecosystem rows with them.
"""

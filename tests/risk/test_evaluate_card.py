"""The evaluation end to end on a small synthetic data set, and the generated-only model card."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from ossmetrics.risk.baselines import SCORE_BASELINES
from ossmetrics.risk.card import RunInfo, graph_earns_its_place, model_card
from ossmetrics.risk.dataset import RiskDataset
from ossmetrics.risk.evaluate import CV, GNN, INDEP, LOEO, MLP, TF, evaluate
from ossmetrics.risk.features import FEATURES
from ossmetrics.risk.train_types import TrainConfig
from tests.risk.test_model import _graph

ECOS = ("PyPI", "npm", "crates")


def _data(n_repos: int = 12, dates: int = 4) -> RiskDataset:
    """``n_repos`` repositories over three ecosystems plus two Apache ones; dormant when the
    first feature is high; every column the baselines read present."""
    rng = np.random.default_rng(7)
    recs = []
    names = [f"o{k % 3}/r{k}" for k in range(n_repos)] + ["apache/a", "apache/b"]
    for k, repo in enumerate(names):
        for j in range(dates):
            recs.append({"repo": repo, "as_of": date(2015 + j, 6, 1), "ecosystem": ECOS[k % 3]})
    rows = pd.DataFrame(recs)
    # the labels' draws first, so they do not shift when the feature list grows
    signal = rng.normal(size=(len(rows), 2))
    noise = rng.normal(size=len(rows))
    # every fifth row clearly dormant: each ecosystem and the 8 Apache rows hold both classes
    # (a random draw left some without a positive, and then without a result to check)
    fifth = np.arange(len(rows)) % 5 == 0
    signal[fifth, 0] = 2.0 + np.abs(signal[fifth, 0])
    x = rng.normal(size=(len(rows), len(FEATURES)))
    x[:, :2] = signal
    rows[list(FEATURES)] = x
    rows["dormant"] = (x[:, 0] + 0.3 * noise > 1.0).astype(float)
    rows["core_loss"] = (x[:, 1] > 0.3).astype(float)
    rows["archived"] = np.nan
    rows["young"] = np.arange(len(rows)) % 4 == 0
    for c in (
        "age_years", "days_since_last", "authors_all", "orgs_12m", "commits_12m", "releases_12m",
        "updated_issues_90d", "closed_issues_90d", "comments_90d", "authors_90d", "commits_3m",
        "pulls_90d", "review_comments_90d", "dependency_51_12m", "bus_factor_12m",
        "bus_factor_all_history", "commit_trend",
    ):  # fmt: skip
        if c not in rows:
            rows[c] = rng.integers(1, 20, len(rows)).astype(float)
    graphs = [_graph(2 + i % 3, [(0, 1)], i % 2, i) for i in range(len(rows))]
    return RiskDataset(rows, graphs, "synthetic")


@pytest.fixture(scope="module")
def report():
    cfg = TrainConfig(hidden_channels=8, max_epochs=5, patience=3)
    return evaluate(_data(), folds=2, device="cpu", n_boot=30, config=cfg)


def test_every_setting_runs_and_apache_is_only_independent_validation(report) -> None:
    settings = {r.setting for r in report.results}
    assert settings == {LOEO, CV, TF, INDEP}
    # LOEO tests each of the three ecosystems on its 4 repositories x 4 dates; Apache (8 rows)
    # is scored only in the independent-validation setting
    loeo = report.get(LOEO, "dormant", GNN)
    assert loeo is not None and loeo.n == 12 * 4
    assert report.get(INDEP, "dormant", GNN).n == 8
    assert report.get(CV, "dormant", GNN).n == 12 * 4
    assert report.n_reserved == 8
    assert {r.subset for r in report.results if r.setting == LOEO} >= {
        "all", "young", "ecosystem:PyPI", "ecosystem:npm", "ecosystem:crates",
    }  # fmt: skip
    held_out, _p = report.oof[LOEO]
    assert not held_out["repo"].str.startswith("apache/").any()
    # every method, the single-signal baselines included, is in the LOEO table
    methods = {
        r.method
        for r in report.results
        if (r.setting, r.label, r.subset) == (LOEO, "dormant", "all")
    }
    assert methods >= {GNN, MLP, *SCORE_BASELINES}
    assert all(0 <= r.ece <= 1 for r in report.results if r.ece == r.ece)
    # the paired difference is reported for every setting
    assert {(p.setting, p.subset) for p in report.paired if p.label == "dormant"} >= {
        (LOEO, "all"), (CV, "all"), (TF, "all"),
    }  # fmt: skip


def test_one_ecosystem_refuses_loeo_but_runs_the_rest() -> None:
    ds = _data()
    ds.rows["ecosystem"] = "PyPI"
    rep = evaluate(
        ds, folds=2, device="cpu", n_boot=20, config=TrainConfig(max_epochs=2), settings=(LOEO, CV)
    )
    assert rep.loeo_refused.startswith("leave-one-ecosystem-out needs at least 2 ecosystems")
    assert {r.setting for r in rep.results} == {CV, INDEP}
    card = model_card(rep, RunInfo(hardware="test CPU"))
    assert "**Refused on this store:** leave-one-ecosystem-out needs" in card
    assert graph_earns_its_place(rep) is None


def test_card_is_generated_from_the_run_only(report) -> None:
    info = RunInfo(
        hardware="Example CPU, 2 logical CPUs", store="corpus.duckdb", model_version="tab-f3-x"
    )
    card = model_card(report, info)
    headings = [line for line in card.splitlines() if line.startswith("## ")]
    assert headings[0] == "## Leave-one-ecosystem-out"
    assert "Example CPU, 2 logical CPUs" in card and "corpus.duckdb" in card
    g = report.get(LOEO, "dormant", MLP)
    assert f"{g.roc_auc[0]:.3f} [{g.roc_auc[1]:.3f}, {g.roc_auc[2]:.3f}]" in card
    assert "docs/model-history.md" in card
    # the frozen history of earlier rounds is not in the card any more
    for old in ("gnn-f2-", "Fifth round", "Tried, not shipped", "How the model got here"):
        assert old not in card
    # the decision follows the paired interval, whichever way it falls
    p = next(x for x in report.paired if (x.setting, x.label, x.subset) == (LOEO, "dormant", "all"))
    up = replace(p, d_roc_auc=(0.05, 0.01, 0.09))
    down = replace(p, d_roc_auc=(0.0, -0.01, 0.01))
    report.paired[report.paired.index(p)] = up
    assert graph_earns_its_place(report) is True and "**the graph earns its place**" in model_card(
        report, info
    )
    report.paired[report.paired.index(up)] = down
    assert graph_earns_its_place(report) is False and "does not earn its place" in model_card(
        report, info
    )
    report.paired[report.paired.index(down)] = p

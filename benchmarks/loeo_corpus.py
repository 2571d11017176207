"""Leave-one-ecosystem-out on any store, with timings: the figures for a new corpus.

``ossmetrics risk evaluate`` runs every setting and writes the model card; this script runs only
leave-one-ecosystem-out (and its young-project and per-ecosystem tables, the paired graph
difference and the 0-100 rule check) on a store, so a large multi-ecosystem corpus can be judged
in less time. It times the data-set build and one training of the shipped setting on the whole
store (the issue's 30-minute budget for both).

Usage: ``.venv/bin/python benchmarks/loeo_corpus.py STORE [--bootstrap N] [--no-rule]``
(STORE: e.g. a store loaded with ``ossmetrics collect corpus DIR``). The last line is
``key=value`` figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ossmetrics.risk.dataset import build_dataset
from ossmetrics.risk.ecosystems import reserved_mask
from ossmetrics.risk.evaluate import LOEO, evaluate
from ossmetrics.risk.riskindex import validate_rules
from ossmetrics.risk.train import train_model
from ossmetrics.risk.train_types import TrainConfig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store")
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--no-rule", action="store_true", help="skip the nested 0-100 rule check")
    a = ap.parse_args()
    con = duckdb.connect(a.store, read_only=True)
    t0 = time.perf_counter()
    with threadpool_limits(1):
        ds = build_dataset(con)
    t_build = time.perf_counter() - t0
    r = ds.rows
    print(
        f"data set: {len(ds)} snapshots of {r['repo'].nunique()} repositories, "
        f"{int(r['dormant'].sum())} dormant, young {r['young'].mean():.1%}, "
        f"archived known {int(r['archived'].notna().sum())} ({int(np.nansum(r['archived']))} positive); "
        f"{t_build:.0f} s"
    )
    print("ecosystems:", dict(r["ecosystem"].value_counts().sort_index()))
    t1 = time.perf_counter()
    with threadpool_limits(1):
        train_model(ds.subset(~reserved_mask(r["repo"].tolist())), TrainConfig(), device="cpu")
    t_train = time.perf_counter() - t1
    print(f"training the shipped setting on all of it: {t_train:.0f} s")
    t2 = time.perf_counter()
    rep = evaluate(ds, device="cpu", n_boot=a.bootstrap, settings=(LOEO,), progress=print)
    print(rep.markdown())
    if not a.no_rule and LOEO in rep.oof:
        rows, preds = rep.oof[LOEO]
        with threadpool_limits(1):
            rc = validate_rules(ds, rows, preds[rep.shipped][:, :2], n_boot=a.bootstrap)
        for name, ci in rc.fixed.items():
            print(f"rule {name}: ending ROC-AUC {ci[0]:.3f} [{ci[1]:.3f}, {ci[2]:.3f}]")
        print(
            f"rule nested: {rc.nested[0]:.3f}; chosen per fold {rc.chosen_per_fold}; on all {rc.chosen_on_all}"
        )
    g = rep.get(LOEO, "dormant", rep.shipped)
    print(
        f"build_s={t_build:.1f} train_s={t_train:.1f} eval_s={time.perf_counter() - t2:.1f} "
        f"snapshots={len(ds)} loeo_roc_auc={g.roc_auc[0] if g else float('nan'):.4f} "
        f"loeo_pr_auc={g.pr_auc[0] if g else float('nan'):.4f}"
    )


if __name__ == "__main__":
    main()

"""Which way does a what-if move? Removing a project's most active contributor and rescoring.

A funder reads ``risk explain --without PERSON`` as "what if they left". Taking out the person
who made most of last year's commits leaves a project with fewer commits and fewer people, so
a model that reads such a project as *less* at risk is telling the funder something no
maintainer would believe. This script measures how often that happens: it samples eligible,
labelled snapshots of a store (the evaluation's population), rescores each without its top
contributor exactly as ``explain`` does (``build_scoring_set(..., exclude_people=[top])``), and
prints, by that person's share of the last 12 months' commits, the share of what-ifs that
*lower* p_dormant and the median ratio p_without / p. The issue-19 target: where that person made
over half of last year's commits, removing them must *raise* the 0–100 risk in at least 95% of
snapshots (``raise_share_over_half``; ``--over-half`` samples only such snapshots).

Usage: ``.venv/bin/python benchmarks/whatif_direction.py STORE [--model PATH] [--n 120]``
(STORE: e.g. a store loaded with ``ossmetrics collect corpus CORPUS_DIR``; ~2 s per
snapshot on one CPU thread). The last line is ``key=value`` figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ossmetrics.risk.dataset import build_dataset, build_scoring_set
from ossmetrics.risk.device import cpu_threads
from ossmetrics.risk.modelfile import load_model
from ossmetrics.risk.riskindex import RULES, SHIPPED_RULE
from ossmetrics.risk.train import predict

BUCKETS = ((0.0, 0.3), (0.3, 0.5), (0.5, 0.8), (0.8, 1.01))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store")
    ap.add_argument("--model", default=None, help="model file (default: the shipped one)")
    ap.add_argument("--n", type=int, default=120, help="snapshots sampled")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--over-half",
        action="store_true",
        help="sample only snapshots whose top person made over half of last year's commits",
    )
    a = ap.parse_args()
    con = duckdb.connect(a.store, read_only=True)
    lm = load_model(a.model)
    t0 = time.perf_counter()
    with cpu_threads(1):
        rows = build_dataset(con).rows
        pool = (
            np.flatnonzero(rows["top1_share"].to_numpy(float) > 0.5)
            if a.over_half
            else np.arange(len(rows))
        )
        pick = np.sort(
            np.random.default_rng(a.seed).choice(pool, min(a.n, len(pool)), replace=False)
        )
        share, p0, p1, r0, r1 = [], [], [], [], []
        for i in pick:
            r = rows.iloc[int(i)]
            rid, d = int(r["repo_id"]), r["as_of"]
            base = build_scoring_set(con, d, repo_ids=[rid])
            # the person who made most of the last 12 months' commits
            top = int(r["top1_person"])
            without = build_scoring_set(con, d, repo_ids=[rid], exclude_people=[top])
            share.append(float(r["top1_share"]))
            pb = predict(lm, base)
            pw = predict(lm, without) if len(without) else np.ones((1, 2))
            p0.append(float(pb[0, 0]))
            p1.append(float(pw[0, 0]))
            r0.append(float(RULES[SHIPPED_RULE](pb)[0]))  # unrounded 0-1 risk
            r1.append(float(RULES[SHIPPED_RULE](pw)[0]))
    s, b, w = np.array(share), np.array(p0), np.array(p1)
    rb, rw = np.array(r0), np.array(r1)
    over = s > 0.5
    raised = float(np.mean(rw[over] > rb[over])) if over.any() else float("nan")
    lower = w < b - 1e-9
    print(f"model {lm.version}; {len(s)} snapshots; {time.perf_counter() - t0:.0f} s")
    print(
        "top person's share of 12 m commits | snapshots | what-if lowers p_dormant | median p_without / p | largest fall"
    )
    for lo, hi in BUCKETS:
        m = (s >= lo) & (s < hi)
        if m.any():
            fall = float(np.max(b[m] - w[m]))
            print(
                f"{lo:.1f}-{min(hi, 1.0):.1f} | {m.sum()} | {lower[m].mean():.0%} | "
                f"{np.median(w[m] / b[m]):.2f} | {max(fall, 0.0):.3f}"
            )
    print(
        f"top person made over half of last year's commits: {int(over.sum())} snapshots; "
        f"removing them raises the 0-100 risk in {raised:.1%} (target >= 95%)"
    )
    print(
        f"model={lm.version} n={len(s)} n_over_half={int(over.sum())} "
        f"raise_share_over_half={raised:.3f} lower_share={lower.mean():.3f} "
        f"median_ratio={np.median(w / b):.2f} largest_fall={max(float(np.max(b - w)), 0.0):.4f}"
    )


if __name__ == "__main__":
    main()

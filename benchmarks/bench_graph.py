"""Benchmark the graph stage on the shared corpus: every graph and measure, per repository.

Loads the corpus (``ossmetrics.collect.corpus.load_corpus``) into a temporary store, then
1. computes the largest repository (most commits) alone in a fresh process, for its time and
   the process's peak memory (target: a 30k-commit repository in < 20 s and < 2 GB);
2. runs ``compute_graphs`` on every repository, printing seconds per repository (target: the
   whole corpus in < 5 minutes);
3. times ``truck_factor`` per call and ``truck_factor_series`` over 6-monthly cut dates (the
   risk model's access pattern).

Usage: ``python benchmarks/bench_graph.py [--repos N]`` (N: only the first N repositories by
name, for a quick run). Last line: ``key=value`` figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cpu() -> float:
    """CPU seconds of this process (all threads): on a shared machine, steadier than wall time."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _one(db: str, repo: str) -> None:
    """Child mode: compute one repository, print seconds and peak RSS as JSON."""
    from ossmetrics.graph import compute_graphs
    from ossmetrics.store import connect, get_repo_id

    con = connect(db)
    rid = get_repo_id(con, repo)
    t, c = time.perf_counter(), _cpu()
    res = compute_graphs(con, [rid], portfolio=False)
    secs, cpu = time.perf_counter() - t, _cpu() - c
    con.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": secs, "cpu": cpu, "peak_mb": peak_mb, "people": res[0].people}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=int, default=0, help="only the first N repositories")
    ap.add_argument("--one", nargs=2, metavar=("DB", "REPO"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        _one(*args.one)
        return

    from ossmetrics.collect.corpus import load_corpus
    from ossmetrics.graph import compute_graphs
    from ossmetrics.graph.truck_factor import truck_factor, truck_factor_series
    from ossmetrics.store import connect

    tmp = tempfile.TemporaryDirectory()
    db = str(Path(tmp.name) / "bench.duckdb")
    con = connect(db)
    t = time.perf_counter()
    load_corpus(con)
    print(f"corpus loaded in {time.perf_counter() - t:.1f} s")
    repos = con.execute(
        "SELECT r.repo_id, r.full_name, count(c.sha) AS n FROM repos r JOIN commits c USING (repo_id) "
        "GROUP BY ALL ORDER BY r.full_name"
    ).fetchall()
    if args.repos:
        repos = repos[: args.repos]
    largest = max(repos, key=lambda r: r[2])
    con.close()

    child = subprocess.run(
        [sys.executable, __file__, "--one", db, largest[1]],
        capture_output=True,
        text=True,
        check=True,
    )
    big = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"largest: {largest[1]} ({largest[2]:,} commits, {big['people']:,} people): "
        f"{big['seconds']:.2f} s ({big['cpu']:.2f} s CPU), peak {big['peak_mb']:.0f} MB (fresh process)"
    )

    con = connect(db)
    per: list[tuple[str, int, float]] = []
    t_all, c_all = time.perf_counter(), _cpu()
    for rid, name, n in repos:
        t, c = time.perf_counter(), _cpu()
        compute_graphs(con, [rid], portfolio=False)
        per.append((name, n, time.perf_counter() - t))
        print(f"  {name:40s} {n:>7,} commits  {per[-1][2]:6.2f} s  ({_cpu() - c:5.2f} s CPU)")
    t = time.perf_counter()
    compute_graphs(con, [], portfolio=True)
    t_port = time.perf_counter() - t
    total, total_cpu = time.perf_counter() - t_all, _cpu() - c_all
    print(f"portfolio graph (all repositories): {t_port:.2f} s")

    # truck factor alone, the way the risk model calls it
    t, c = time.perf_counter(), _cpu()
    for rid, _name, _n in repos:
        truck_factor(con, rid)
    tf_each = (time.perf_counter() - t) / len(repos)
    tf_cpu = (_cpu() - c) / len(repos)
    dates = [date(y, m, 1) for y in range(2008, 2026) for m in (1, 7)]
    t = time.perf_counter()
    truck_factor_series(con, largest[0], dates)
    series_s = time.perf_counter() - t
    t = time.perf_counter()
    for d in dates[::6]:
        truck_factor(con, largest[0], d)
    single_s = (time.perf_counter() - t) / len(dates[::6])
    con.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mean = total / len(repos)
    slowest = max(per, key=lambda r: r[2])
    print(
        f"all {len(repos)} repositories: {total:.1f} s, {total_cpu:.1f} s CPU ({mean:.2f} s mean, slowest {slowest[0]} "
        f"{slowest[2]:.2f} s); truck_factor {tf_each * 1000:.0f} ms per call ({tf_cpu * 1000:.0f} ms CPU); series of "
        f"{len(dates)} cut dates on {largest[1]} {series_s:.2f} s (single call at a cut date "
        f"{single_s:.2f} s, ratio {single_s * len(dates) / series_s:.1f}x)"
    )
    print(
        f"repos={len(repos)} total_s={total:.1f} total_cpu_s={total_cpu:.1f} mean_s={mean:.2f} "
        f"largest_s={big['seconds']:.2f} largest_cpu_s={big['cpu']:.2f} "
        f"largest_peak_mb={big['peak_mb']:.0f} largest_commits={largest[2]} "
        f"slowest_s={slowest[2]:.2f} portfolio_s={t_port:.2f} tf_call_ms={tf_each * 1000:.0f} "
        f"tf_call_cpu_ms={tf_cpu * 1000:.0f} "
        f"tf_series_s={series_s:.2f} tf_series_dates={len(dates)} peak_mb={peak_mb:.0f} "
        f"target_largest_ok={int(big['seconds'] < 20 and big['peak_mb'] < 2048)} "
        f"target_corpus_ok={int(total < 300)} load_avg={os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()

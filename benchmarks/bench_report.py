"""Benchmark: the whole report (``build_site``) for 100 real projects from the shared corpus.

Loads 100 corpus repositories (about half a million commits) into a fresh DuckDB file — not
timed — then times ``build_site`` end to end, in a fresh process state (no chart skeletons or
templates cached). Target: < 60 s on this machine. Prints the phases, the site's size and the
largest project page; the last line is ``key=value`` figures.

    .venv/bin/python benchmarks/bench_report.py [--repos 100] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import duckdb

from ossmetrics.collect.corpus import default_corpus_dir, load_corpus
from ossmetrics.report import build_site
from ossmetrics.report.model import SiteData
from ossmetrics.store import connect


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", type=int, default=100)
    ap.add_argument("--corpus", type=Path, default=None, help="default: $OSSMETRICS_CORPUS")
    args = ap.parse_args()
    if args.corpus is None:
        args.corpus = default_corpus_dir()  # $OSSMETRICS_CORPUS, else a one-line error
    names = [
        r[0]
        for r in duckdb.execute(
            "SELECT repo FROM read_parquet(?) ORDER BY repo LIMIT ?",
            [str(args.corpus / "repos.parquet"), args.repos],
        ).fetchall()
    ]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        con = connect(db)
        t = time.perf_counter()
        load_corpus(con, args.corpus, names)
        load_s = time.perf_counter() - t
        commits = con.execute("SELECT count(*) FROM commits").fetchone()[0]  # type: ignore[index]
        print(
            f"loaded {len(names)} repositories, {commits:,} commits in {load_s:.1f} s (not timed)"
        )

        t = time.perf_counter()
        SiteData.load(con, None)
        read_s = time.perf_counter() - t
        print(f"store reads alone: {read_s:.2f} s")

        out = Path(tmp) / "site"
        t, cpu = time.perf_counter(), time.process_time()
        build_site(con, out)
        total_s = time.perf_counter() - t
        cpu_s = time.process_time() - cpu
        load = os.getloadavg()[0]
        con.close()
        pages = list((out / "projects").glob("*.html"))
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        biggest = max(p.stat().st_size for p in pages)
        print(
            f"build_site: {total_s:.1f} s for {len(pages)} project pages "
            f"({total_s / len(pages) * 1000:.0f} ms each, reads included)"
        )
        print(
            f"site {size / 1e6:.1f} MB; largest project page {biggest / 1e6:.2f} MB "
            f"(budget 3 MB); target < 60 s: {'met' if total_s < 60 else 'MISSED'} "
            f"({total_s / 60:.2f}x the budget)"
        )
        print(
            f"(this process's CPU {cpu_s:.1f} s; 1-min load average {load:.1f} on {os.cpu_count()} cores)"
        )
        print(
            f"projects={len(pages)} commits={commits} total_s={total_s:.2f} cpu_s={cpu_s:.2f} "
            f"read_s={read_s:.2f} load_avg={load:.1f} "
            f"per_project_ms={total_s / len(pages) * 1000:.0f} site_mb={size / 1e6:.2f} "
            f"max_page_mb={biggest / 1e6:.3f} budget_ratio={total_s / 60:.3f}"
        )


if __name__ == "__main__":
    main()

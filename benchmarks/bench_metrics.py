"""Time every metric of the SQL library over the whole shared corpus.

Loads the corpus (``$OSSMETRICS_CORPUS``, 130 repositories, ~700k commits) into a temporary store,
installs the macros, then runs each metric once for all repositories at once (``repo=None``) —
the way the report and nightly stages call them — and once more to report the warm time.
Prints per-metric seconds, the EXPLAIN ANALYZE of the slowest, and as the last line
``metrics=N repos=N total_seconds=S`` (target: all metrics < 10 s on the 2-core machine).

The corpus has git data only, so the GitHub metrics run on empty issue/comment tables; a
synthetic GitHub history (``--github``, default on) of issues, pull requests, comments, reviews
and releases sized like a busy project is added so they do real work too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ossmetrics.collect.corpus import load_corpus
from ossmetrics.metrics import install, list_metrics, run_metric
from ossmetrics.store import connect

AS_OF = "2025-08-22T00:00:00+00:00"


def add_github(con, per_repo: int) -> int:
    """Synthetic issues/PRs/comments/reviews/releases for every repository, built in SQL."""
    con.execute(
        """
        INSERT INTO issues (repo_id, number, is_pull, author_identity, author_login, author_association,
                            state, created_at, closed_at, merged_at)
        SELECT r.repo_id, g.n, g.n % 3 = 0, NULL, 'user' || (hash(r.repo_id, g.n) % 500), 'CONTRIBUTOR',
               CASE WHEN g.n % 5 = 0 THEN 'open' ELSE 'closed' END,
               TIMESTAMPTZ '2016-01-01' + to_seconds(CAST(hash(g.n, r.repo_id) % 300000000 AS BIGINT)),
               CASE WHEN g.n % 5 <> 0 THEN TIMESTAMPTZ '2016-01-01'
                    + to_seconds(CAST(hash(g.n, r.repo_id) % 300000000 AS BIGINT) + 3600 * (g.n % 400)) END,
               CASE WHEN g.n % 3 = 0 AND g.n % 5 <> 0 AND g.n % 2 = 0 THEN TIMESTAMPTZ '2016-01-01'
                    + to_seconds(CAST(hash(g.n, r.repo_id) % 300000000 AS BIGINT) + 3600 * (g.n % 400)) END
        FROM repos r, range(1, $n + 1) g(n)""",
        {"n": per_repo},
    )
    con.execute(
        """
        INSERT INTO comments (repo_id, issue_number, comment_id, kind, author_login, author_association,
                              review_state, created_at)
        SELECT i.repo_id, i.number, i.repo_id * 10000000 + i.number * 4 + k,
               CASE WHEN i.is_pull AND k = 0 THEN 'review' ELSE 'issue' END,
               CASE WHEN k = 2 THEN 'helper[bot]' ELSE 'maint' || (k + i.number % 7) END,
               CASE WHEN k = 1 THEN 'MEMBER' ELSE 'NONE' END,
               CASE WHEN i.is_pull AND k = 0 THEN 'APPROVED' END,
               i.created_at + to_seconds(1800 * (k + 1) * (1 + i.number % 50))
        FROM issues i, range(0, 3) t(k) WHERE (i.number + k) % 4 <> 0"""
    )
    con.execute(
        """
        INSERT INTO releases (repo_id, tag, published_at, prerelease, draft)
        SELECT r.repo_id, 'v' || g.n, TIMESTAMPTZ '2015-01-01' + to_days(CAST(g.n * 37 + r.repo_id % 30 AS INTEGER)),
               g.n % 6 = 0, false
        FROM repos r, range(1, 101) g(n)"""
    )
    row = con.execute("SELECT count(*) FROM issues").fetchone()
    return int(row[0]) if row else 0


def top_operators(con, sql: str, params: dict, n: int = 8) -> list[tuple[float, str, int, str]]:
    """The n slowest operators of one profiled run (DuckDB's JSON profile), with their table."""
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        con.execute("PRAGMA enable_profiling = 'json'")
        con.execute(f"PRAGMA profiling_output = '{f.name}'")
        con.execute(sql, params).fetchall()
        con.execute("PRAGMA disable_profiling")
        prof = json.loads(Path(f.name).read_text())
    ops: list[tuple[float, str, int, str]] = []

    def walk(node: dict, parent: str) -> None:
        info = node.get("extra_info") or {}
        where = info.get("Table") or info.get("CTE Name") or ""
        ops.append(
            (
                float(node.get("timing", 0)),
                node.get("name", "?"),
                int(node.get("intermediate_rows", 0)),
                where,
            )
        )
        for child in node.get("children", []):
            walk(child, where)

    for node in prof.get("operator", []):
        walk(node, "")
    return sorted(ops, reverse=True)[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-github", action="store_true", help="skip the synthetic GitHub history")
    ap.add_argument("--issues-per-repo", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        con.execute("SET enable_progress_bar = false")
        t = time.perf_counter()
        repos = load_corpus(con)
        load_s = time.perf_counter() - t
        n_commits = con.execute("SELECT count(*) FROM commits").fetchone()
        print(
            f"loaded corpus: {repos} repos, {n_commits[0] if n_commits else 0} commits in {load_s:.2f} s"
        )
        if not args.no_github:
            t = time.perf_counter()
            n_issues = add_github(con, args.issues_per_repo)
            print(
                f"synthetic GitHub data: {n_issues} issues/PRs in {time.perf_counter() - t:.2f} s"
            )
        t = time.perf_counter()
        res = install(con, force=True)
        t_full = time.perf_counter() - t
        t = time.perf_counter()
        install(con)
        t_noop = time.perf_counter() - t
        print(
            f"install: full {t_full:.3f} s ({res.installed} metrics), up-to-date check {t_noop * 1000:.1f} ms"
        )
        metrics = list_metrics()
        cpu0 = time.process_time()
        times: dict[str, float] = {}
        rows: dict[str, int] = {}
        for m in metrics:
            params = {"as_of": AS_OF} if m.param("as_of") else {}
            t = time.perf_counter()
            df = run_metric(con, m.name, params=params)
            times[m.name] = time.perf_counter() - t
            rows[m.name] = len(df)
        cpu_first = time.process_time() - cpu0
        warm: dict[str, float] = {}
        for m in metrics:
            params = {"as_of": AS_OF} if m.param("as_of") else {}
            t = time.perf_counter()
            run_metric(con, m.name, params=params)
            warm[m.name] = time.perf_counter() - t
        print(f"{'metric':32s} {'rows':>8s} {'first s':>8s} {'warm s':>8s}")
        for name in sorted(times, key=lambda k: -times[k]):
            print(f"{name:32s} {rows[name]:8d} {times[name]:8.3f} {warm[name]:8.3f}")
        slowest = max(warm, key=lambda k: warm[k])
        m = next(x for x in metrics if x.name == slowest)
        given = {"repo", "as_of"} if m.param("as_of") else {"repo"}
        print(f"\nEXPLAIN ANALYZE {slowest}: the most expensive operators")
        for seconds, op, rows_out, where in top_operators(
            con, m.sql(given), {"repo": None, **({"as_of": AS_OF} if m.param("as_of") else {})}
        ):
            print(f"  {seconds:7.3f} s  {op:22s} {rows_out:>9,} rows  {where}")
        # macro path must cost the same as the direct path
        t = time.perf_counter()
        con.execute(f"FROM {slowest}(NULL)").fetchall()
        macro_s = time.perf_counter() - t
        total = sum(times.values())
        print(
            f"metrics={len(metrics)} repos={repos} total_seconds={total:.2f} "
            f"warm_total_seconds={sum(warm.values()):.2f} slowest={slowest} "
            f"slowest_seconds={warm[slowest]:.3f} macro_slowest_seconds={macro_s:.3f} "
            f"install_seconds={t_full:.3f} install_noop_ms={t_noop * 1000:.1f} "
            f"cpu_seconds={cpu_first:.2f} load_avg={os.getloadavg()[0]:.1f}"
        )
        con.close()


if __name__ == "__main__":
    main()

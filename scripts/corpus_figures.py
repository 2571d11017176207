"""Figures of a corpus build folder, as Markdown tables for docs/corpus.md.

Usage: ``python scripts/corpus_figures.py BUILD_DIR``. Reads only the Parquet files (never the
build store, which holds raw identities), so anyone given a build can check the figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb


def main(build: Path) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for t in ("repos", "commits", "commit_files", "status_events"):
        con.execute(f"CREATE VIEW {t} AS FROM read_parquet('{build / t}.parquet')")
    size = {
        t: (build / f"{t}.parquet").stat().st_size / 2**20
        for t in ("repos", "commits", "commit_files", "status_events")
    }
    print("| file | rows | MiB |\n|---|---:|---:|")
    for t, mib in size.items():
        n = con.execute(f"SELECT count(*) FROM {t}").fetchone()
        print(f"| `{t}.parquet` | {n[0] if n else 0:,} | {mib:.1f} |")
    print()
    print(
        "| ecosystem | repos | commits | file rows | people | people in ≥2 of its repos | first commit | median last commit | build s (median / p90 / sum) |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---|---|")
    rows = con.execute("""
        WITH p AS (SELECT ecosystem, author_mailmap_id AS pid, count(DISTINCT repo) AS nrep
                   FROM commits WHERE author_mailmap_id IS NOT NULL AND NOT is_bot_like GROUP BY ALL),
             f AS (SELECT r.ecosystem, count(*) AS n FROM commit_files f JOIN repos r USING (repo) GROUP BY 1)
        SELECT r.ecosystem, count(*), sum(n_commits), any_value(f.n),
               (SELECT count(*) FROM p WHERE p.ecosystem = r.ecosystem),
               (SELECT count(*) FROM p WHERE p.ecosystem = r.ecosystem AND nrep >= 2),
               min(first_commit_at)::DATE, median(last_commit_at)::DATE,
               median(build_seconds), quantile_cont(build_seconds, 0.9), sum(build_seconds)
        FROM repos r LEFT JOIN f USING (ecosystem) GROUP BY r.ecosystem ORDER BY 2 DESC""").fetchall()
    for e, n, c, fr, ppl, multi, first, last, med, p90, tot in rows:
        print(
            f"| {e} | {n} | {c:,} | {fr or 0:,} | {ppl:,} | {multi:,} | {first} | {last} | {med:.1f} / {p90:.1f} / {tot:,.0f} |"
        )
    tot = con.execute("""SELECT count(*), sum(n_commits), median(build_seconds),
        quantile_cont(build_seconds, 0.9), max(build_seconds), sum(build_seconds),
        sum(n_commits) / sum(build_seconds) FROM repos""").fetchone()
    assert tot is not None
    print(
        f"\nall: {tot[0]} repositories, {tot[1]:,} commits; build time per repository median "
        f"{tot[2]:.1f} s, p90 {tot[3]:.1f} s, max {tot[4]:.1f} s, total {tot[5] / 60:.1f} min "
        f"({tot[6]:,.0f} commits/s)"
    )
    cross = con.execute("""SELECT count(*) FILTER (WHERE n >= 2), count(*) FROM (
        SELECT author_mailmap_id, count(DISTINCT ecosystem) AS n FROM commits
        WHERE author_mailmap_id IS NOT NULL AND NOT is_bot_like GROUP BY 1)""").fetchone()
    assert cross is not None
    print(f"people (non-bot, merged): {cross[1]:,}; in ≥2 ecosystems: {cross[0]:,}")
    print("\n| status kind | events | repositories |\n|---|---:|---:|")
    for k, n, r in con.execute(
        "SELECT kind, count(*), count(DISTINCT repo) FROM status_events GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall():
        print(f"| {k} | {n} | {r} |")
    print("\n| expected fate | repos | last commit before 2025 |\n|---|---:|---:|")
    for fate, n, old in con.execute("""SELECT expected_fate, count(*),
            count(*) FILTER (WHERE last_commit_at < TIMESTAMPTZ '2025-01-01') FROM repos
            GROUP BY 1 ORDER BY 2 DESC""").fetchall():
        print(f"| {fate} | {n} | {old} |")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "corpus-build"))

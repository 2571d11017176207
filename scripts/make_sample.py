"""Cut the bundled demo sample (``ossmetrics/data/sample/``) out of the shared corpus.

Why a slice of real history rather than synthetic data: the demo should show what the tool says
about real projects with different fates (thriving, single-maintainer, revived, deprecated), and
the risk model was trained on this very kind of history. The output has the corpus's own schema
(three zstd Parquet files), so ``ossmetrics.collect.corpus.load_corpus(con, sample_dir)`` loads
it like the full corpus.

Run from the checkout: ``.venv/bin/python scripts/make_sample.py [--corpus DIR] [--out DIR]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

REPOS = [
    "simonw/sqlite-utils",  # thriving, one very active lead
    "encode/httpx",  # thriving, a team
    "sharkdp/bat",  # thriving, many contributors
    "jqlang/jq",  # revived after a dormant phase
    "fabric/fabric",  # in between: a single maintainer
    "moment/moment",  # maintenance mode, then quiet
    "karma-runner/karma",  # deprecated in 2023
    "rust-lang/rls",  # deprecated in 2022, replaced by rust-analyzer
]
SINCE = "2019-09-01"  # about seven years before the corpus snapshots end (2026-08)


def make_sample(corpus: Path, out: Path) -> dict[str, int]:
    """Write repos/commits/commit_files.parquet for REPOS since SINCE; return row counts."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    src = {t: str(corpus / f"{t}.parquet") for t in ("repos", "commits", "commit_files")}
    con.execute(
        "CREATE TEMP TABLE c AS SELECT * FROM read_parquet(?) WHERE list_contains(?, repo) "
        "AND committed_at >= CAST(? AS TIMESTAMPTZ) ORDER BY repo, committed_at, sha",
        [src["commits"], REPOS, SINCE],
    )
    con.execute(
        "CREATE TEMP TABLE f AS SELECT f.* FROM read_parquet(?) f SEMI JOIN c USING (repo, sha) "
        "ORDER BY repo, path",
        [src["commit_files"]],
    )
    # repos: recompute the per-repo figures for the slice so the file describes itself.
    con.execute(
        """CREATE TEMP TABLE r AS
        SELECT r.* REPLACE (s.n AS n_commits, s.a AS n_authors, s.lo AS first_commit_at,
                            s.hi AS last_commit_at)
        FROM read_parquet(?) r
        JOIN (SELECT repo, count(*)::INT AS n, count(DISTINCT author_id)::INT AS a,
                     min(committed_at) AS lo, max(committed_at) AS hi FROM c GROUP BY repo) s
        USING (repo) ORDER BY repo""",
        [src["repos"]],
    )
    counts = {}
    for name, table in (("repos", "r"), ("commits", "c"), ("commit_files", "f")):
        target = str(out / f"{name}.parquet")
        con.execute(f"COPY {table} TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        counts[name] = int(row[0]) if row else 0
    con.close()
    return counts


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, required=True, help="the corpus folder (Parquet files)")
    ap.add_argument("--out", type=Path, default=root / "ossmetrics" / "data" / "sample")
    args = ap.parse_args()
    print(make_sample(args.corpus, args.out))


if __name__ == "__main__":
    main()

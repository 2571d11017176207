"""Benchmark the corpus build's identity merge: after every repository vs once at the end.

    python benchmarks/bench_corpus_merge.py [--repos 12] [--commits 150] [--base STORE]

Why: the git collector re-merges every identity of the store when a repository brings new
people, and that merge reads the whole store, so a corpus build that merged after every
repository got slower as it grew (about 3-6 s extra per repository near 450 repositories).
``build_corpus(merge_every=0)`` merges once at the end. This builds the same ``--repos``
synthetic repositories (``git fast-import``: ``--commits`` commits each, 40 people of their
own plus 8 shared by all) twice, ``merge_every=1`` then ``0``, on top of a copy of ``--base``
(an existing build store, e.g. ``corpus-build/corpus.duckdb``, so the store is corpus-sized;
default: an empty store), and checks both give the same people.

Last line: ``repos=… base_identities=… per_repo_s_merge_each=… per_repo_s_merge_once=…
speedup=…``.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb

from ossmetrics.collect.corpus_build import build_corpus

BASE = 1_600_000_000


def _repo(path: Path, k: int, n_commits: int) -> None:
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    parts: list[bytes] = []
    for i in range(1, n_commits + 1):
        who = f"Shared {i % 8}" if i % 5 == 0 else f"Dev{k} Person{i % 40}"
        mail = who.lower().replace(" ", ".") + "@example.org"
        ident = f"{who} <{mail}> {BASE + 3600 * i} +0000"
        msg = f"commit {i}\n".encode()
        body = (f"line {i}\n" * (1 + i % 5)).encode()
        parts.append(f"commit refs/heads/main\nmark :{i}\n".encode())
        parts.append(f"author {ident}\ncommitter {ident}\n".encode())
        parts.append(b"data %d\n%s" % (len(msg), msg))
        if i > 1:
            parts.append(f"from :{i - 1}\n".encode())
        parts.append(f"M 100644 inline f{i % 20}.txt\n".encode())
        parts.append(b"data %d\n%s\n" % (len(body), body))
    subprocess.run(
        ["git", "--git-dir", str(path), "fast-import", "--quiet"],
        input=b"".join(parts),
        check=True,
    )


def _people(store: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(
            "SELECT identity_key, person_id FROM identities ORDER BY identity_key"
        ).fetchall()
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", type=int, default=12)
    ap.add_argument("--commits", type=int, default=150)
    ap.add_argument("--base", type=Path, default=None, help="build store to start from (copied)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        manifest = t / "manifest.csv"
        with manifest.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["repo", "ecosystem", "why", "source"])
            for k in range(args.repos):
                _repo(t / f"r{k}.git", k, args.commits)
                w.writerow([f"bench/r{k}", "pypi", "bench", str(t / f"r{k}.git")])
        per_repo: dict[int, float] = {}
        base_ids = 0
        for every in (1, 0):
            out = t / f"out{every}"
            out.mkdir()
            if args.base is not None:
                shutil.copyfile(args.base, out / "corpus.duckdb")
                base_ids = len(_people(out / "corpus.duckdb"))
            t0 = time.perf_counter()
            res = build_corpus(manifest, out, network=False, export=False, merge_every=every)
            per_repo[every] = (time.perf_counter() - t0) / len(res.built)
            print(f"merge_every={every}: {per_repo[every]:.2f} s per repository")
        same = _people(t / "out1" / "corpus.duckdb") == _people(t / "out0" / "corpus.duckdb")
        assert same, "merging once gave other people than merging after each repository"
    print(
        f"repos={args.repos} base_identities={base_ids} "
        f"per_repo_s_merge_each={per_repo[1]:.3f} per_repo_s_merge_once={per_repo[0]:.3f} "
        f"speedup={per_repo[1] / per_repo[0]:.1f}"
    )


if __name__ == "__main__":
    main()

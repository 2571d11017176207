"""Nightly over 100 tracked local repositories: a first run, then a run with nothing changed.

Repositories are generated with ``git fast-import`` (seeded: sizes from 10 to 120 commits, one
large repository of 1,500, authors drawn from a shared pool so people overlap across
projects). Each run is its own process, so its peak RSS is its own; a third process runs the
largest repository alone, and ``rss_ratio`` = peak RSS over 100 repositories / peak RSS over
the largest one shows memory follows the largest repository, not the sum (target: < 1.5).
Target: the no-change run under 60 s.

    .venv/bin/python benchmarks/bench_nightly.py [--repos 100] [--skip STAGE ...] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_600_000_000  # 2020-09-13


def fast_import(
    path: Path, n_commits: int, people: list[tuple[str, str]], rng: random.Random, t_end: int
) -> None:
    """A bare repository of ``n_commits`` linear commits on main, dated up to ``t_end``."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    out: list[bytes] = []
    step = max(1, (t_end - T0) // max(1, n_commits))
    files = [f"src/mod{i}.py" for i in range(8)] + ["README.md", "docs/guide.md", "setup.cfg"]
    for i in range(n_commits):
        name, email = rng.choice(people)
        ts = T0 + i * step + rng.randrange(step)
        out.append(b"commit refs/heads/main\n")
        who = f"{name} <{email}> {ts} +0000\n".encode()
        out.append(b"author " + who + b"committer " + who)
        msg = f"change {i}\n".encode()
        out.append(b"data %d\n%s" % (len(msg), msg))
        for f in rng.sample(files, rng.randint(1, 3)):
            body = f"# {f} v{i}\n".encode() + b"x = %d\n" % rng.randrange(10**6) * rng.randint(
                1, 20
            )
            out.append(f"M 100644 inline {f}\n".encode() + b"data %d\n" % len(body) + body)
        out.append(b"\n")
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(out), check=True
    )


def generate(base: Path, n: int, seed: int = 7) -> list[tuple[str, Path]]:
    rng = random.Random(seed)
    pool = [(f"Person {i}", f"person{i}@example.org") for i in range(400)]
    repos = []
    for k in range(n):
        size = 1500 if k == 0 else rng.randint(10, 120)
        people = rng.sample(pool, rng.randint(2, 25))
        # a fifth of the projects went quiet years ago: the portfolio has both kinds
        t_end = T0 + (rng.randint(200, 700) if k % 5 == 0 else rng.randint(1500, 1900)) * 86400
        path = base / f"proj{k:03d}.git"
        fast_import(path, size, people, rng, t_end)
        repos.append((f"bench/proj{k:03d}", path))
    return repos


def write_config(path: Path, repos: list[tuple[str, Path]], work: Path) -> None:
    lines = [f'[settings]\ncache_dir = "{work / "cache"}"\nout = "{work / "site"}"\n']
    for name, p in repos:
        lines.append(f'[[repos]]\nname = "{name}"\ngit = "{p}"\ngithub = false\n')
    path.write_text("\n".join(lines))


CHILD = r"""
import json, resource, sys, time
t = time.perf_counter()
from ossmetrics.nightly import run_nightly
db, cfg, skip = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
r = run_nightly(db, cfg, skip=skip)
stages = {}
for s in r.portfolio:
    stages[s.stage] = round(s.seconds, 2)
stages["collect"] = round(sum(o.seconds for o in r.repos), 2)
print(json.dumps({"seconds": time.perf_counter() - t, "status": r.status, "stages": stages,
                  "items": sum(o.items for o in r.repos),
                  "problems": [f"{o.repo}: {n}" for o in r.repos if o.status != "ok" for n in o.notes][:3]
                  + [f"{s.stage}: {s.error}" for s in r.portfolio if s.status == "failed"]}))
"""


def run_child(db: Path, cfg: Path, skip: list[str]) -> dict:
    """One nightly run in its own process; adds its wall seconds and peak RSS (MB)."""
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(cfg), json.dumps(skip)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=str(ROOT),
        env={**os.environ, "GITHUB_TOKEN": ""},
    )
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0 or not out.strip():
        raise SystemExit(f"nightly child failed: {err[-2000:]}")
    res = json.loads(out.strip().splitlines()[-1])
    res["wall"] = time.perf_counter() - t
    res["rss_mb"] = usage.ru_maxrss / 1024
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", type=int, default=100)
    ap.add_argument("--skip", action="append", default=[], help="stage to leave out (repeatable)")
    ap.add_argument(
        "--with-report",
        action="store_true",
        help="also build the HTML site (left out by default: it is the report stage's benchmark,"
        " and on the first run it costs more than every other stage together)",
    )
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = ap.parse_args()
    if not args.with_report:
        args.skip.append("report")
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-nightly-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        repos = generate(work / "repos", args.repos)
        gen_s = time.perf_counter() - t
        print(f"generated {len(repos)} repositories in {gen_s:.1f} s")
        cfg = work / "ossmetrics.toml"
        write_config(cfg, repos, work)
        first = run_child(work / "store.duckdb", cfg, args.skip)
        print(
            f"first run:     {first['wall']:.1f} s  ({first['status']}; {first['items']} commits; stages {first['stages']}; peak RSS {first['rss_mb']:.0f} MB)"
        )
        if first["problems"]:
            print("  problems:", first["problems"])
        second = run_child(work / "store.duckdb", cfg, args.skip)
        print(
            f"no-change run: {second['wall']:.1f} s  ({second['status']}; {second['items']} new; stages {second['stages']}; peak RSS {second['rss_mb']:.0f} MB)"
        )
        alone_cfg = work / "largest.toml"
        write_config(alone_cfg, repos[:1], work / "largest")
        alone = run_child(work / "largest.duckdb", alone_cfg, args.skip)
        print(f"largest alone: {alone['wall']:.1f} s  (peak RSS {alone['rss_mb']:.0f} MB)")
        ratio = first["rss_mb"] / alone["rss_mb"]
        print(
            f"repos={len(repos)} first_s={first['wall']:.1f} nochange_s={second['wall']:.1f}"
            f" nochange_target_s=60 first_rss_mb={first['rss_mb']:.0f}"
            f" nochange_rss_mb={second['rss_mb']:.0f} largest_alone_rss_mb={alone['rss_mb']:.0f}"
            f" rss_ratio={ratio:.2f} speedup_nochange={first['wall'] / second['wall']:.1f}"
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

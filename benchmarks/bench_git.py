"""Benchmark the git collector against bare ``git log`` on the same history, in the same run.

    python benchmarks/bench_git.py PATH [--runs N] [--pydriller PYTHON] [--newest 2000]

For each run, alternately: (1) the floor — ``git log HEAD --numstat -z -M`` with the
collector's exact format and config, output read and thrown away (when a partial clone's
missing blob kills it, the rest of the history is logged the same way, as the collector does);
(2) ``collect_git`` end to end in a fresh Python process into a new DuckDB file (interpreter
start, imports, parse, Arrow batches, identities, commit, close). Pairing the two in one run
cancels the machine's noise (2 shared cores). Then the unchanged re-run (a fresh process
again). Peak RSS is the collecting Python process's own (git's is printed separately).

``--pydriller PYTHON`` also times PyDriller (installed in a throwaway venv, given by its
interpreter) on the newest ``--newest`` commits, against the collector on the same commits.

Last line: ``commits=… file_rows=… seconds=… floor_seconds=… ratio_vs_git_log=…
peak_rss_mb=… rerun_seconds=…`` (plus PyDriller figures when asked).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ossmetrics.collect.gitlog import LOG_FLAGS, NO_WALK_FLAGS, open_repository  # noqa: E402

COLLECT = textwrap.dedent("""
    import json, resource, sys, time
    t0 = time.perf_counter()
    from ossmetrics.store import connect
    from ossmetrics.collect.git import collect_git
    con = connect(sys.argv[1])
    r = collect_git(con, sys.argv[2], extra_bots=(), jobs=sys.argv[3])
    con.close()
    print(json.dumps({"commits": r.commits_total, "files": r.files_added,
        "lib_seconds": r.seconds, "unchanged": r.unchanged,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "git_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
""")

NEWEST = textwrap.dedent("""
    import json, sys, time
    t0 = time.perf_counter()
    from ossmetrics.store import connect, transaction, ensure_repo
    from ossmetrics.collect import git as g, git_stage
    from ossmetrics.collect.gitlog import log_commits, open_repository
    repo = open_repository(sys.argv[2])
    git_stage.warm_up_arrow()  # as collect_git does: the pyarrow import overlaps git's work
    shas = repo.rev_list(["HEAD"], "--max-count=" + sys.argv[3])
    con = connect(sys.argv[1])
    with transaction(con):
        rid = ensure_repo(con, "bench/newest")
        st = git_stage.Stager(con, rid, shas)
        for c in log_commits(repo, shas, jobs=g.git_jobs(sys.argv[4])):
            st.add(c)
        st.finish()
    con.close()
    print(json.dumps({"commits": st.commits, "files": st.files}))
""")

PYDRILLER = textwrap.dedent("""
    import json, sys
    from pydriller import Repository
    shas = sys.argv[2].split(",")
    n = rows = errors = 0
    # Newest first, stopped after the last wanted commit: only_commits= would walk (and build
    # a Commit object for) the whole history to filter it, which is not PyDriller's fair cost.
    # "all" = the whole history. A commit whose diff touches a blob missing from a partial
    # clone raises in PyDriller: counted, and the run goes on.
    for c in Repository(sys.argv[1], order="reverse").traverse_commits():
        if shas != ["all"]:
            if n == len(shas):
                break
            assert c.hash == shas[n], (c.hash, shas[n])
        n += 1
        try:
            for m in c.modified_files:
                rows += 1
                _ = (m.new_path, m.old_path, m.added_lines, m.deleted_lines)
        except Exception:
            errors += 1
        _ = (c.author.name, c.author.email, c.author_date, c.committer_date, c.parents)
    print(json.dumps({"commits": n, "files": rows, "errors": errors}))
""")


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def cpu_children() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def floor(path: str) -> tuple[float, float, int]:
    """Wall and CPU seconds of pure git log over HEAD's history (output discarded); commits."""
    repo = open_repository(path)
    t0 = time.perf_counter()
    c0 = cpu_children()
    args = [*LOG_FLAGS, "HEAD"]
    stdin: bytes | None = None
    order: list[str] | None = None
    offset = 0  # position in `order` where the current log started
    while True:
        proc = subprocess.Popen(
            repo.argv("log", *args),
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        if stdin:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
            proc.stdin.close()
        assert proc.stdout is not None
        n = 0
        while chunk := proc.stdout.read(1 << 20):
            n += chunk.count(b"\x1e")
        if proc.wait() == 0:
            return time.perf_counter() - t0, cpu_children() - c0, offset + n
        # died on a missing blob: skip the commit it was on, log the rest as the collector does
        if order is None:
            order = repo.rev_list(["HEAD"])
        offset += max(n - 1, 0) + 1
        rest = order[offset:]
        if not rest:
            return time.perf_counter() - t0, cpu_children() - c0, offset
        args = list(NO_WALK_FLAGS)
        stdin = ("\n".join(rest) + "\n").encode()


def floor_newest(path: str, n: int) -> tuple[float, float]:
    """Wall and CPU seconds of ``git log -n N`` with the collector's flags (output discarded)."""
    repo = open_repository(path)
    t0, c0 = time.perf_counter(), cpu_children()
    subprocess.run(
        repo.argv("log", *LOG_FLAGS, f"--max-count={n}", "HEAD"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - t0, cpu_children() - c0


def run_child(code: str, *args: str, python: str = sys.executable) -> tuple[float, float, dict]:
    """Wall and CPU seconds (the child and the git processes it waited for) and its JSON."""
    t0 = time.perf_counter()
    c0 = cpu_children()
    out = subprocess.run(
        [python, "-c", code, *args], capture_output=True, text=True, env=child_env(), check=False
    )
    dt = time.perf_counter() - t0
    cpu = cpu_children() - c0
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed: {out.stderr.strip().splitlines()[-1:]}")
    return dt, cpu, json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--pydriller", metavar="PYTHON", help="interpreter of a venv with pydriller")
    ap.add_argument("--newest", type=int, default=2000)
    ap.add_argument(
        "--pydriller-full",
        action="store_true",
        help="also time PyDriller over the whole history (numpy: ~8 min)",
    )
    ap.add_argument(
        "--jobs", default="auto", help="git log processes for the collector (default: auto)"
    )
    a = ap.parse_args()
    path = str(Path(a.path).resolve())
    floors, ours, ours_cpu, cpu_ratios, rss, git_rss = [], [], [], [], [], []
    result: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench_git_") as tmp:
        for i in range(a.runs):
            f, f_cpu, n_floor = floor(path)
            db = str(Path(tmp) / f"run{i}.duckdb")
            t, t_cpu, result = run_child(COLLECT, db, path, a.jobs)
            floors.append(f)
            ours.append(t)
            ours_cpu.append(t_cpu)
            cpu_ratios.append(t_cpu / f_cpu)
            rss.append(result["rss_mb"])
            git_rss.append(result["git_rss_mb"])
            print(
                f"run {i + 1}: git log floor {f:.2f} s wall / {f_cpu:.2f} s cpu "
                f"({n_floor:,} commits); collect_git {t:.2f} s wall / {t_cpu:.2f} s cpu "
                f"(library {result['lib_seconds']:.2f} s); ratio {t / f:.2f} wall, "
                f"{t_cpu / f_cpu:.2f} cpu"
            )
        rerun_t, _, rerun = run_child(COLLECT, db, path, a.jobs)
        assert rerun["unchanged"], rerun
        pd_fig = ""
        if a.pydriller:
            shas = ",".join(open_repository(path).rev_list(["HEAD"], f"--max-count={a.newest}"))
            db2 = str(Path(tmp) / "newest.duckdb")
            t_new, c_new, new = run_child(NEWEST, db2, path, str(a.newest), a.jobs)
            os.environ["GIT_DIR"] = path  # GitPython needs it for a bare mirror without config
            t_pd, c_pd, pd = run_child(PYDRILLER, path, shas, python=a.pydriller)
            f_new, fc_new = floor_newest(path, a.newest)
            print(
                f"newest {a.newest:,} commits: git log floor {f_new:.2f} s wall / {fc_new:.2f} s cpu;"
                f" PyDriller = {t_pd / f_new:.1f}x floor, collect_git = {t_new / f_new:.1f}x floor"
            )
            print(
                f"newest {new['commits']:,} commits: collect_git {t_new:.2f} s wall / "
                f"{c_new:.2f} s cpu ({new['files']:,} file rows); PyDriller {t_pd:.2f} s wall / "
                f"{c_pd:.2f} s cpu ({pd['files']:,} file rows); PyDriller/ours "
                f"{t_pd / t_new:.1f}x wall, {c_pd / c_new:.1f}x cpu"
            )
            if a.pydriller_full:
                t_pf, c_pf, pf = run_child(PYDRILLER, path, "all", python=a.pydriller)
                print(
                    f"whole history: PyDriller {t_pf:.1f} s wall / {c_pf:.1f} s cpu "
                    f"({pf['commits']:,} commits, {pf['files']:,} file rows, {pf['errors']} "
                    f"commits failed); collect_git median {statistics.median(ours):.2f} s: "
                    f"{t_pf / statistics.median(ours):.1f}x faster"
                )
                pd_fig += (
                    f" pydriller_full_seconds={t_pf:.1f}"
                    f" speedup_vs_pydriller_full={t_pf / statistics.median(ours):.1f}"
                    f" speedup_vs_pydriller_full_cpu={c_pf / statistics.median(ours_cpu):.1f}"
                )
            per_commit = (t_pd / pd["commits"]) / (statistics.median(ours) / result["commits"])
            print(f"PyDriller s/commit (newest) / ours s/commit (full history): {per_commit:.1f}x")
            pd_fig += (
                f" newest={new['commits']} newest_seconds={t_new:.2f} "
                f"pydriller_seconds={t_pd:.2f} speedup_vs_pydriller={t_pd / t_new:.1f} "
                f"speedup_vs_pydriller_cpu={c_pd / c_new:.1f} "
                f"speedup_vs_pydriller_per_commit={per_commit:.1f} "
                f"newest_floor_seconds={f_new:.2f}"
            )
    sec = statistics.median(ours)
    fl = statistics.median(floors)
    ratio = statistics.median([o / f for o, f in zip(ours, floors, strict=True)])
    commits, files = result["commits"], result["files"]
    print(f"commits: {commits:,}  file rows: {files:,}")
    print(f"collect_git: {sec:.2f} s ({commits / sec:,.0f} commits/s), git log floor {fl:.2f} s")
    print(
        f"ratio vs git log: {ratio:.2f}x wall, {statistics.median(cpu_ratios):.2f}x cpu   "
        f"peak RSS: python {max(rss):.0f} MB, git {max(git_rss):.0f} MB"
    )
    print(
        f"unchanged re-run: {rerun['lib_seconds']:.3f} s in the library, {rerun_t:.2f} s whole process"
    )
    print(
        f"commits={commits} file_rows={files} seconds={sec:.2f} floor_seconds={fl:.2f} "
        f"commits_per_s={commits / sec:.0f} ratio_vs_git_log={ratio:.2f} "
        f"cpu_ratio_vs_git_log={statistics.median(cpu_ratios):.2f} "
        f"peak_rss_mb={max(rss):.0f} rerun_seconds={rerun['lib_seconds']:.3f}"
        f" rerun_process_seconds={rerun_t:.2f}{pd_fig}"
    )


if __name__ == "__main__":
    main()

"""Scale figures for docs/scale.md: the metric suite on DuckDB vs Spark, GH Archive backfill
throughput, and collection fan-out.

    python benchmarks/bench_scale.py [--repos 20000] [--commits 20000000] [--master local[2]]
                                     [--gha-hours 24] [--gha-events 20000] [--collect-repos 200]

1. A generated store (``ossmetrics.lake.synthetic``) of ``--repos`` repositories and
   ``--commits`` commits is exported as a lake. DuckDB: ``open_lake`` plus every metric of
   ``queries/`` one after another (each query on all cores), fetched as Arrow. Spark
   (``--master``): ``register_lake`` with the tables cached (``--no-cache``: Parquet per
   metric) plus every metric through ``run_metrics``, ``--concurrent`` at a time, written to the
   no-op sink -- what ``ossmetrics spark metrics`` runs, less the Parquet output. Wall seconds,
   ratio, and CPU seconds of each engine (the DuckDB process; the Spark JVM), since this
   machine is shared and wall time depends on the others' load (``load_avg_1m``).
   ``--spark-passes N`` runs the Spark side N times in the same JVM: the first pass stays the
   figure (a fresh JVM, as a nightly local run pays it); the last is reported beside it as
   ``metrics_spark_warm_s`` -- Spark with its code generation, class loading and JIT warm-up
   already paid, as a long-lived cluster runs, and the least its local run could cost.
2. ``--gha-hours`` hour files of ``--gha-events`` events in the archive's line format are
   backfilled: parsed in this one process (events/s per core, for the lake's repositories --
   the command's default -- and for all), then through Spark (whole job, wall clock).
3. ``--collect-repos`` local git repositories (made with git fast-import) are collected.
   Sequential: ``collect_git`` (one ``git log`` process) one repository after another into one
   store, as ``ossmetrics collect git`` runs them. Spark: ``collect_repos`` without the final
   merge (the tasks only), each repository with one ``git log`` process in a Python worker.
   speedup = sequential / Spark seconds; ``--collect-rounds N`` alternates the two N times
   and reports medians, the paired speedup, and the speedup by CPU seconds.

Last line: key=value with metrics_duckdb_s= metrics_spark_s= spark_duckdb_ratio=
gharchive_events_per_core_s= gharchive_all_events_per_core_s= collect_sequential_s=
collect_spark_s= collect_speedup= and the scale used.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = "2024-12-01 00:00:00+00"


def _jvm_cpu_s(spark: Any) -> float:
    """CPU seconds the Spark JVM (driver and, in local mode, executors) has used so far."""
    pid = int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _metrics(args: argparse.Namespace, work: Path, spark: Any, out: dict[str, Any]) -> None:
    from ossmetrics.lake import export_lake, open_lake
    from ossmetrics.lake.synthetic import generate_store
    from ossmetrics.metrics import list_metrics
    from ossmetrics.spark.metric_sql import metric_duckdb_sql
    from ossmetrics.store import connect

    t = time.perf_counter()
    if not (args.reuse and (work / "lake" / "_manifest.json").exists()):
        con = connect(work / "gen.duckdb")
        generate_store(con, repos=args.repos, commits=args.commits)
        export_lake(con, work / "lake")
        con.close()
        out["generate_and_export_s"] = round(time.perf_counter() - t, 1)
    metrics = list_metrics()

    def params(m: Any) -> dict[str, Any]:
        return {"as_of": AS_OF} if m.param("as_of") else {}

    t = time.perf_counter()  # both engines: opening the lake plus every metric
    cpu = time.process_time()
    lk = open_lake(str(work / "lake"))
    per: dict[str, float] = {}
    for m in metrics:
        t1 = time.perf_counter()
        lk.con.execute(metric_duckdb_sql(m, params(m))).to_arrow_table()
        per[m.name] = time.perf_counter() - t1
    out["metrics_duckdb_s"] = round(time.perf_counter() - t, 2)
    out["metrics_duckdb_cpu_s"] = round(time.process_time() - cpu, 1)
    print(f"duckdb: {out}", flush=True)
    lk.close()
    for k in range(args.spark_passes):
        secs, cpu_s, cache_s = _spark_pass(args, work, spark, metrics, params, per)
        if k == 0:  # a fresh JVM, as a nightly `ossmetrics spark metrics` in local mode
            out["metrics_spark_s"], out["metrics_spark_cpu_s"] = secs, cpu_s
            out["spark_register_cache_s"] = cache_s
        else:  # the same JVM again: its code generation, class loading and JIT already paid
            out["metrics_spark_warm_s"], out["metrics_spark_warm_cpu_s"] = secs, cpu_s
            print(f"spark pass {k + 1} (warm): {secs:.2f} s, {cpu_s:.1f} CPU-s", flush=True)
    out["load_avg_1m"] = round(os.getloadavg()[0], 1)
    out["spark_duckdb_ratio"] = round(
        out["metrics_spark_s"] / max(out["metrics_duckdb_s"], 1e-9), 2
    )
    if "metrics_spark_warm_s" in out:
        out["spark_warm_duckdb_ratio"] = round(
            out["metrics_spark_warm_s"] / max(out["metrics_duckdb_s"], 1e-9), 2
        )


def _spark_pass(
    args: argparse.Namespace,
    work: Path,
    spark: Any,
    metrics: list[Any],
    params: Any,
    per: dict[str, float],
) -> tuple[float, float, float]:
    """The whole Spark side once: reading the lake into the cache plus every metric; (wall
    seconds, JVM CPU seconds, seconds of the register and cache step). ``per`` holds DuckDB's
    seconds per metric, printed beside Spark's."""
    from ossmetrics.spark.jobs import run_metrics
    from ossmetrics.spark.lake_views import register_lake

    t = time.perf_counter()
    cpu = _jvm_cpu_s(spark)
    register_lake(spark, str(work / "lake"), cache=not args.no_cache)
    cache_s = round(time.perf_counter() - t, 2)

    def noop(name: str, df: Any) -> int:
        df.write.format("noop").mode("overwrite").save()
        print(f"  spark {name} done at {time.perf_counter() - t:.1f} s", flush=True)
        return 0

    ran = run_metrics(spark, metrics, params, noop, concurrent=args.concurrent)
    for name, (_, secs) in ran.items():
        print(f"  {name}: duckdb {per[name]:.2f} s, spark {secs:.2f} s (in flight with others)")
    spark.catalog.clearCache()
    return round(time.perf_counter() - t, 2), round(_jvm_cpu_s(spark) - cpu, 1), cache_s


def _gharchive(args: argparse.Namespace, work: Path, spark: Any, out: dict[str, Any]) -> None:
    from ossmetrics.gharchive.parse import parse_hour
    from ossmetrics.gharchive.synthetic import write_hour_file
    from ossmetrics.lake import export_lake
    from ossmetrics.spark.backfill import backfill
    from ossmetrics.store import connect, ensure_repo

    # 5,000 repositories appear in the hours; the lake tracks 200 of them
    names = [f"org{i % 300}/proj{i}" for i in range(5000)]
    tracked = names[::25]
    # a fresh store and lake: an earlier run's lake already holds these hours, and the backfill,
    # idempotent per hour file, would skip every one of them (0 events measured)
    (work / "gha.duckdb").unlink(missing_ok=True)
    shutil.rmtree(work / "gha_lake", ignore_errors=True)
    con = connect(work / "gha.duckdb")
    for n in tracked:
        ensure_repo(con, n)
    export_lake(con, work / "gha_lake")
    con.close()
    files = []
    for h in range(args.gha_hours):
        p = work / f"2024-05-01-{h}.json.gz"
        write_hour_file(p, f"2024-05-01-{h}", names, args.gha_events)
        files.append(str(p))
    size = sum(Path(f).stat().st_size for f in files)
    out["gharchive_mb_per_hour"] = round(size / len(files) / 1e6, 2)
    keep = {n.lower() for n in tracked}
    t = time.perf_counter()
    events = sum(parse_hour(f, keep).events for f in files)
    out["gharchive_events_per_core_s"] = round(events / (time.perf_counter() - t))
    t = time.perf_counter()
    events = sum(parse_hour(f, None).events for f in files)
    out["gharchive_all_events_per_core_s"] = round(events / (time.perf_counter() - t))
    r = backfill(spark, work / "gha_lake", files)
    out["gharchive_spark_job_s"] = round(r.seconds, 1)
    out["gharchive_spark_events_per_s"] = round(r.events / max(r.seconds, 1e-9))


def _make_repo(path: Path, i: int, commits: int) -> None:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    lines = []
    for c in range(commits):
        ts = 1_700_000_000 + c * 3600
        who = f"Dev{(i + c) % 7} <dev{(i + c) % 7}@example.org>"
        body = "".join(f"line {c} {k}\n" for k in range(1 + c % 5))
        lines.append(f"commit refs/heads/main\ncommitter {who} {ts} +0000\ndata 3\nc{c % 10}\n")
        for f in range(3):
            lines.append(f"M 644 inline src/f{(c + f) % 11}.py\ndata {len(body)}\n{body}\n")
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"],
        input="".join(lines).encode(),
        check=True,
    )
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "main"], check=True)


def _collect(args: argparse.Namespace, work: Path, spark: Any, out: dict[str, Any]) -> None:
    """Sequential: the local collector (``collect_git``, one ``git log`` process), one
    repository after another into one store, as ``ossmetrics collect git`` runs them.
    Spark: ``collect_repos`` without the merge: tasks of a slice of the repositories each,
    collecting into one in-memory store per task, one ``git log`` process per repository.
    Both start from nothing. ``--collect-rounds`` runs the two alternately (odd rounds
    sequential first, even rounds Spark first), so each pair sees about the same load; the
    figures are medians over the rounds, ``collect_speedup`` the median of the pairs' ratios.
    CPU: the sequential process with its git children; for Spark the JVM, the Python
    workers with their git children (summed over the tasks) and the driver."""
    import statistics

    from ossmetrics.collect.git import collect_git
    from ossmetrics.spark.collect import collect_repos
    from ossmetrics.store import connect

    items = []
    for i in range(args.collect_repos):
        p = work / "repos" / f"r{i}"
        if not p.exists():
            _make_repo(p, i, args.collect_commits)
        items.append((f"bench/r{i}", str(p)))
    # start the Python workers and import the collector there, as the driver already has
    warm = spark.sparkContext.parallelize(range(2), 2)
    warm.map(lambda _: __import__("ossmetrics.collect.git").__name__).count()

    def sequential(merge_people: bool = True) -> tuple[float, float, float]:
        shutil.rmtree(work / "seq", ignore_errors=True)
        (work / "seq").mkdir()
        load = os.getloadavg()[0]
        t, c = time.perf_counter(), _cpu()
        con = connect(work / "seq" / "store.duckdb")
        for name, path in items:
            collect_git(con, path, name, jobs=1, merge_people=merge_people)
        con.close()
        return time.perf_counter() - t, _cpu() - c, load

    def fanned_out() -> tuple[float, float, float, Any]:
        shutil.rmtree(work / "spark_lake", ignore_errors=True)
        load = os.getloadavg()[0]
        t, c, j = time.perf_counter(), time.process_time(), _jvm_cpu_s(spark)
        r = collect_repos(spark, work / "spark_lake", items, merge=False)
        assert not r.failed, r.failed
        cpu = time.process_time() - c + _jvm_cpu_s(spark) - j + r.task_cpu_seconds
        return time.perf_counter() - t, cpu, load, r

    seq: list[tuple[float, float, float]] = []
    par: list[tuple[float, float, float, Any]] = []
    for k in range(args.collect_rounds):
        if k % 2 == 0:
            seq.append(sequential())
            par.append(fanned_out())
        else:
            par.append(fanned_out())
            seq.append(sequential())
        print(f"collect round {k + 1}: sequential {seq[-1][0]:.2f} s ({seq[-1][1]:.2f} CPU-s, "
              f"load {seq[-1][2]:.1f}), Spark {par[-1][0]:.2f} s ({par[-1][1]:.2f} CPU-s, "
              f"load {par[-1][2]:.1f})", flush=True)  # fmt: skip
    med = statistics.median
    out["collect_rounds"] = args.collect_rounds
    out["collect_load"] = round(med([x[2] for x in seq + par]), 1)
    out["collect_sequential_s"] = round(med([x[0] for x in seq]), 2)
    out["collect_sequential_cpu_s"] = round(med([x[1] for x in seq]), 2)
    # the same without the per-repository people merge, which the Spark tasks leave to the
    # driver's merge (as a corpus build does): the fair baseline for the tasks' own cost
    nomerge = sequential(merge_people=False)
    out["collect_sequential_nomerge_s"] = round(nomerge[0], 2)
    out["collect_sequential_nomerge_cpu_s"] = round(nomerge[1], 2)
    out["collect_spark_s"] = round(med([x[0] for x in par]), 2)
    out["collect_spark_cpu_s"] = round(med([x[1] for x in par]), 2)
    # summed over the tasks: wall (what the workers waited) and CPU (worker + git)
    out["collect_task_wall_sum_s"] = round(med([x[3].task_seconds for x in par]), 2)
    out["collect_task_cpu_sum_s"] = round(med([x[3].task_cpu_seconds for x in par]), 2)
    out["collect_tasks"] = getattr(par[-1][3], "tasks", None)  # (older versions: none)
    if hasattr(par[-1][3], "tasks"):  # what the job adds after the tasks: the lake merge
        import json

        from ossmetrics.spark.collect import merge_repo_rows

        lake = work / "spark_lake"
        done = json.loads((lake / "_manifest.json").read_text())["collect"]
        t = time.perf_counter()
        merge_repo_rows(lake, {n: e["rows"] for n, e in done.items()})
        out["collect_merge_s"] = round(time.perf_counter() - t, 2)
    out["collect_load_after"] = round(os.getloadavg()[0], 1)
    out["collect_speedup"] = round(med([s[0] / p[0] for s, p in zip(seq, par, strict=True)]), 2)
    # what two free cores would give: the sequential CPU over half of Spark's
    cores = int(spark.sparkContext.defaultParallelism)
    out["collect_speedup_by_cpu"] = round(
        med([cores * s[1] / p[1] for s, p in zip(seq, par, strict=True)]), 2
    )


def _cpu() -> float:
    """CPU seconds of this process and its waited-for children (the git processes)."""
    import resource

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def _at_least_one(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} passes: give 1 or more")
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", type=int, default=20_000)
    ap.add_argument("--commits", type=int, default=20_000_000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--concurrent", type=int, default=2, help="Metrics in flight on Spark.")
    ap.add_argument("--no-cache", action="store_true", help="Spark reads Parquet per metric.")
    ap.add_argument(
        "--spark-passes",
        type=_at_least_one,
        default=1,
        help="Run the Spark side N times in one JVM; N > 1 adds the last (warm) pass's figures.",
    )
    ap.add_argument("--driver-memory", default=None, help="Spark driver heap (default: auto).")
    ap.add_argument(
        "--conf", action="append", default=[], help="Extra Spark setting KEY=VALUE (repeatable)."
    )
    ap.add_argument("--gha-hours", type=int, default=24)
    ap.add_argument("--gha-events", type=int, default=20_000)
    ap.add_argument("--collect-repos", type=int, default=200)
    ap.add_argument("--collect-commits", type=int, default=150)
    ap.add_argument(
        "--collect-rounds", type=int, default=1, help="Sequential/Spark pairs, alternating."
    )
    ap.add_argument(
        "--skip", action="append", default=[], choices=["metrics", "gharchive", "collect"]
    )
    ap.add_argument("--work", type=Path, default=None, help="Keep the generated data here.")
    ap.add_argument(
        "--reuse", action="store_true", help="Use the lake already in --work (same scale)."
    )
    args = ap.parse_args()

    from ossmetrics.spark import get_spark

    spark = get_spark(args.master, app_name="bench_scale", driver_memory=args.driver_memory)
    spark.sparkContext.setLogLevel("ERROR")
    for kv in args.conf:
        key, _, value = kv.partition("=")
        spark.conf.set(key, value)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"repos": args.repos, "commits": args.commits, "master": args.master}
    # what get_spark chose for this master (and --conf changed): part of what was measured
    out["spark_partitions"] = spark.conf.get("spark.sql.shuffle.partitions")
    out["spark_adaptive"] = spark.conf.get("spark.sql.adaptive.enabled")
    try:
        for name, fn in (("metrics", _metrics), ("gharchive", _gharchive), ("collect", _collect)):
            if name not in args.skip:
                t = time.perf_counter()
                fn(args, work, spark, out)
                print(f"{name}: {time.perf_counter() - t:.1f} s {out}", flush=True)
    finally:
        spark.stop()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(" ".join(f"{k}={v}" for k, v in out.items()))


if __name__ == "__main__":
    main()

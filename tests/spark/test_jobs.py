"""Spark metrics and graph jobs write their results back into the lake, and agree with the
single-machine path (the graph job runs the same library code per repository group)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ossmetrics.errors import UsageError
from ossmetrics.graph.truck_factor import truck_factor
from ossmetrics.lake import MANIFEST, export_lake, open_lake
from ossmetrics.spark.graph_job import spark_graph
from ossmetrics.spark.jobs import spark_metrics
from ossmetrics.spark.session import local_cores, partitions_for
from ossmetrics.store import connect
from tests.lake.conftest import fill_every_table


def test_spark_metrics_written_to_the_lake(
    spark: Any, widget_lake: tuple[Path, Path], tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(widget_lake[1], lake)
    out = spark_metrics(
        spark, lake, names=["commits_per_month", "bus_factor"], as_of="2024-12-01T00:00:00+00:00"
    )
    m = json.loads((lake / MANIFEST).read_text())
    assert set(m["metric_results"]) == {"commits_per_month", "bus_factor"}
    con = duckdb.connect()
    got = con.execute(
        f"SELECT repo, bus_factor FROM read_parquet('{lake}/metric_results/metric=bus_factor/*.parquet') ORDER BY repo"
    ).fetchall()
    # tests/metrics: acme/widget's bus factor over the 12 months to 2024-12-01 is 2, solo/one's 1
    assert got == [("acme/empty", None), ("acme/widget", 2), ("solo/one", 1)]
    assert out["commits_per_month"] == m["metric_results"]["commits_per_month"]["rows"] > 0


def test_spark_graph_matches_the_library_and_lands_in_the_lake(spark: Any, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    con = connect(db)
    fill_every_table(con)
    export_lake(con, tmp_path / "lake", buckets=4)
    expected = {rid: truck_factor(con, rid, None) for rid in (2, 3)}
    con.close()
    got = spark_graph(spark, tmp_path / "lake")
    for rid, r in expected.items():
        assert got[rid]["truck_factor"] == (
            None if r.truck_factor is None else float(r.truck_factor)
        )
        assert got[rid]["bus_factor_all_history"] == float(r.bus_factor_all_history or 0)
    assert expected[2].bus_factor_all_history == 2  # two people hold >= 50% of widget's commits
    lk = open_lake(str(tmp_path / "lake"))
    try:
        rows = lk.con.execute(
            "SELECT repo_id, value FROM graph_repo_measures WHERE measure = 'bus_factor_all_history' "
            "AND as_of = current_date ORDER BY repo_id"
        ).fetchall()
    finally:
        lk.close()
    # repository 1 has no commits: stored as undefined, as `ossmetrics graph` stores it
    assert rows == [(1, None), (2, 2.0), (3, 1.0)]


def test_a_local_session_runs_its_jvm_with_the_local_options(spark: Any) -> None:
    """A local-mode session's one JVM uses the throughput collector, the JIT thresholds and
    inlining limits of LOCAL_JAVA_OPTIONS (measured faster for the metric suite), and stays
    in UTC."""
    from ossmetrics.spark.session import LOCAL_JAVA_OPTIONS

    jvm = spark.sparkContext._jvm
    mf = jvm.java.lang.management.ManagementFactory
    beans = mf.getGarbageCollectorMXBeans()
    collectors = {str(beans.get(i).getName()) for i in range(beans.size())}
    assert collectors == {"PS Scavenge", "PS MarkSweep"}, collectors
    args = mf.getRuntimeMXBean().getInputArguments()
    given = {str(args.get(i)) for i in range(args.size())}
    assert set(LOCAL_JAVA_OPTIONS) | {"-Duser.timezone=UTC"} <= given, given
    assert str(jvm.java.util.TimeZone.getDefault().getID()) == "UTC"
    # the values in force, not just given: no later option on the command line undid them
    hotspot = mf.getPlatformMXBean(
        jvm.java.lang.Class.forName("com.sun.management.HotSpotDiagnosticMXBean")
    )
    for option in LOCAL_JAVA_OPTIONS:
        if "=" in option:
            name, value = option.removeprefix("-XX:").split("=", 1)
            assert str(hotspot.getVMOption(name).getValue()) == value, option


def test_a_local_session_plans_without_adaptive_execution(spark: Any) -> None:
    """get_spark turns adaptive execution off in local mode (LOCAL_SQL_CONF: re-planning each
    stage cost the metric suite more than it saved) and keeps the partitions it was given."""
    assert spark.conf.get("spark.sql.adaptive.enabled") == "false"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"  # the fixture's number


def test_local_cores_and_partitions_follow_the_master() -> None:
    assert local_cores("local") == 1
    assert local_cores("local[3]") == 3
    assert local_cores("local[4, 2]") == 4  # cores, retries
    assert local_cores("local[*]") == (os.cpu_count() or 1)
    assert local_cores("spark://master:7077") is None
    assert local_cores("local-cluster[2,1,1024]") is None
    assert partitions_for("auto", "local[2]") == 4  # two per core
    assert partitions_for("", "local") == 2
    assert partitions_for("auto", "k8s://https://api:443") is None  # spark-submit's, or 2/core
    assert partitions_for(16, "local[2]") == 16
    assert partitions_for("256", "spark://master:7077") == 256
    for bad in ("0", "many", "-4"):
        with pytest.raises(UsageError, match="spark partitions must be a positive number"):
            partitions_for(bad, "local[2]")


def test_under_spark_submit_its_master_and_conf_stand(tmp_path: Path) -> None:
    """A job started by spark-submit keeps spark-submit's --master and --conf: get_spark()
    without a master joins that JVM's settings instead of replacing them with local[*]."""
    import subprocess
    import sys

    submit = Path(sys.executable).parent / "spark-submit"
    if not submit.exists():
        pytest.skip("spark-submit is not installed beside this Python")
    script = tmp_path / "job.py"
    script.write_text(
        "from ossmetrics.spark.session import get_spark\n"
        "s = get_spark()\n"
        "print('RESULT', s.sparkContext.master, s.conf.get('spark.sql.shuffle.partitions'),"
        " s.conf.get('spark.sql.adaptive.enabled'))\n"
        "print('EXECUTOR', s.sparkContext.getConf().get('spark.executor.extraJavaOptions'))\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "PYSPARK_PYTHON": sys.executable}
    env.pop("SPARK_MASTER", None)
    out = subprocess.run(
        [
            str(submit),
            "--master",
            "local[1]",
            "--conf",
            "spark.sql.shuffle.partitions=3",
            "--conf",
            "spark.executor.extraJavaOptions=-Dossmetrics.probe=1",
            str(script),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT")]
    assert lines == ["RESULT local[1] 3 false"], out.stderr[-2000:]
    # the executors' JVM options keep the user's and gain the UTC time zone results rely on
    # (Spark adds its own module options to them as well)
    executor = [ln.split() for ln in out.stdout.splitlines() if ln.startswith("EXECUTOR")]
    assert len(executor) == 1, out.stderr[-2000:]
    assert "-Dossmetrics.probe=1" in executor[0] and "-Duser.timezone=UTC" in executor[0]

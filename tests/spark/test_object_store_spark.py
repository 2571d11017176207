"""Spark on a lake given as a URL: one line naming the hadoop-aws package when Spark cannot read
s3a://, and the URL code path itself (manifest through fsspec, files handed to Spark as URLs,
results and manifest written back through the same layer) run end to end on a file:// URL,
which Spark reads without extra jars."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ossmetrics.errors import LakeError, SparkUnavailable
from ossmetrics.lake import MANIFEST, open_lake
from ossmetrics.spark.graph_job import spark_graph
from ossmetrics.spark.jobs import spark_metrics
from ossmetrics.spark.session import check_object_store, spark_url
from tests.conftest import run_cli


def _bundled_hadoop() -> str:
    """The Hadoop version PySpark ships, read from its jar names (independently of the JVM)."""
    import pyspark

    jars = Path(pyspark.__file__).parent / "jars"
    found = [
        m.group(1)
        for j in jars.glob("hadoop-client-api-*.jar")
        if (m := re.fullmatch(r"hadoop-client-api-(\d+\.\d+\.\d+)\.jar", j.name))
    ]
    assert len(found) == 1, found
    return found[0]


def test_s3_urls_are_s3a_for_spark() -> None:
    assert spark_url("s3://b/lake") == "s3a://b/lake"
    assert spark_url("s3a://b/lake") == "s3a://b/lake"
    assert spark_url("file:///data/lake") == "file:///data/lake"


@pytest.mark.parametrize("url", ["s3a://lakes/full", "s3://lakes/full"])
def test_without_hadoop_aws_spark_says_which_package_to_add(spark: Any, url: str) -> None:
    with pytest.raises(SparkUnavailable) as err:
        check_object_store(spark, url)
    line = err.value.one_line()
    assert "\n" not in line and "hadoop-aws" in line and url in line
    assert f"--packages org.apache.hadoop:hadoop-aws:{_bundled_hadoop()}" in line
    check_object_store(spark, "file:///tmp/lake")  # Hadoop's own file system: nothing to add


def test_spark_command_on_s3a_fails_in_one_line(tmp_path: Path) -> None:
    if not shutil.which("java"):
        pytest.skip("needs Java: apt-get install -y openjdk-17-jre-headless")
    r = run_cli("spark", "metrics", "--lake", "s3a://lakes/lake", "--master", "local[1]")
    assert r.returncode == 1, r.stdout + r.stderr[-2000:]
    # the JVM's own start-up notices may precede it; ours is one line, the last
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and r.stderr.rstrip().endswith(errors[0]), r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    assert f"--packages org.apache.hadoop:hadoop-aws:{_bundled_hadoop()}" in errors[0]


def test_a_url_without_a_manifest_is_not_a_lake(spark: Any, tmp_path: Path) -> None:
    from ossmetrics.spark.lake_views import register_lake

    with pytest.raises(LakeError, match="not an ossmetrics lake"):
        register_lake(spark, f"file://{tmp_path}")


@pytest.mark.parametrize("job", [("collect", "a/b=."), ("backfill", "2024-01-01-0.json.gz")])
def test_collect_and_backfill_need_a_folder(job: tuple[str, str]) -> None:
    r = run_cli("spark", job[0], job[1], "--lake", "s3://lakes/lake")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert f"`spark {job[0]}` writes its staging files beside the lake" in r.stderr


def test_metrics_and_graph_on_a_url_lake(
    spark: Any, widget_lake: tuple[Path, Path], tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(widget_lake[1], lake)
    url = f"file://{lake}"
    out = spark_metrics(spark, url, names=["bus_factor"], as_of="2024-12-01T00:00:00+00:00")
    m = json.loads((lake / MANIFEST).read_text())
    assert m["metric_results"]["bus_factor"]["rows"] == out["bus_factor"] == 3
    con = duckdb.connect()
    got = con.execute(
        f"SELECT repo, bus_factor FROM read_parquet('{lake}/metric_results/metric=bus_factor/*.parquet') ORDER BY repo"
    ).fetchall()
    con.close()
    # tests/metrics: the hand-computed bus factors over the 12 months to 2024-12-01
    assert got == [("acme/empty", None), ("acme/widget", 2), ("solo/one", 1)]
    by_repo = spark_graph(spark, url, as_of=datetime(2024, 12, 1, tzinfo=UTC))
    assert by_repo[2]["bus_factor_all_history"] == 2.0
    lk = open_lake(str(lake))  # written back through the URL, read as a folder
    try:
        rows = lk.con.execute(
            "SELECT repo_id, value FROM graph_repo_measures WHERE measure = "
            "'bus_factor_all_history' AND as_of = DATE '2024-12-01' ORDER BY repo_id"
        ).fetchall()
    finally:
        lk.close()
    assert rows == [(1, None), (2, 2.0), (3, 1.0)]  # acme/empty: no commits, undefined

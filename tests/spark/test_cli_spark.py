"""The spark commands from the command line: a real run, and one line when Java is missing."""

from __future__ import annotations

import gzip
import os
import shutil
import sys
from pathlib import Path

from ossmetrics.lake import export_lake
from ossmetrics.store import connect
from tests.conftest import run_cli
from tests.metrics.conftest import build_widget
from tests.spark.test_backfill import HOUR_A


def test_java_missing_is_one_line(tmp_path: Path) -> None:
    # a PATH with python but without java, and no JAVA_HOME
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(sys.executable, bin_dir / "python")
    env = {"PATH": str(bin_dir), "JAVA_HOME": ""}
    r = run_cli("spark", "graph", "--lake", str(tmp_path), env=env)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "Java runtime" in r.stderr and "openjdk-17-jre-headless" in r.stderr


def test_spark_backfill_command(tmp_path: Path) -> None:
    if not shutil.which("java"):
        import pytest

        pytest.skip("needs Java: apt-get install -y openjdk-17-jre-headless")
    con = connect(tmp_path / "s.duckdb")
    build_widget(con)
    export_lake(con, tmp_path / "lake")
    con.close()
    hour = tmp_path / "2024-03-02-10.json.gz"
    hour.write_bytes(gzip.compress("".join(HOUR_A).encode()))
    r = run_cli(
        "spark", "backfill", str(hour), "--lake", str(tmp_path / "lake"), "--master", "local[1]"
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "1 hour(s) read" in r.stdout and "6 events, 5 kept" in r.stdout
    r = run_cli("--lake", str(tmp_path / "lake"), "query", "SELECT count(*) AS n FROM stargazers")
    assert r.stdout.split() == ["n", "1"]


def test_spark_graph_bad_cut_date_is_one_line_before_spark_starts(tmp_path: Path) -> None:
    r = run_cli("spark", "graph", "--lake", str(tmp_path), "--as-of", "last tuesday")
    assert r.returncode != 0
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "--as-of 'last tuesday' is not a date" in r.stderr

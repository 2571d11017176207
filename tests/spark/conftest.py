"""One local Spark session (local[2]) for the whole test run, and lakes for it to read.

Spark is started once (about 5 s of JVM start-up) and shared. Java is a system package: when
it is missing the Spark tests are skipped with the command that installs it (`.ci/run`
installs it on a clean CI machine, so CI always runs them).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ossmetrics.lake import export_lake
from ossmetrics.lake.synthetic import generate_store
from ossmetrics.store import connect
from tests.metrics.conftest import build_widget

# pyspark turns timestamps into naive datetimes in the process's local zone: make it UTC.
os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        pytest.skip("Spark tests need Java: apt-get install -y openjdk-17-jre-headless")
    pytest.importorskip("pyspark")
    from ossmetrics.spark import get_spark

    logging.getLogger("py4j").setLevel(logging.WARNING)
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    s = get_spark("local[2]", app_name="ossmetrics-tests", shuffle_partitions=2)  # tiny data
    s.sparkContext.setLogLevel("ERROR")
    # Tiny data: compiling generated code costs more than it saves (measured here: the metric
    # suite on the test lakes 2.5x faster without it and without re-planning, which get_spark
    # already turns off in local mode).
    s.conf.set("spark.sql.codegen.wholeStage", "false")
    s.conf.set("spark.sql.codegen.factoryMode", "NO_CODEGEN")
    yield s
    s.stop()


def _lake(tmp: Path, fill: Any) -> tuple[Path, Path]:
    db = tmp / "store.duckdb"
    con = connect(db)
    fill(con)
    export_lake(con, tmp / "lake", buckets=4)
    con.close()
    return db, tmp / "lake"


@pytest.fixture(scope="session")
def widget_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The crafted history of tests/metrics, every expectation of which is hand-computed."""
    return _lake(tmp_path_factory.mktemp("wlake"), build_widget)


@pytest.fixture(scope="session")
def generated_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """40 generated repositories, 6,000 commits: ties, bots, aliases, five years of months."""
    return _lake(
        tmp_path_factory.mktemp("glake"),
        lambda con: generate_store(con, repos=40, commits=6000, seed=7),
    )

"""Start (or find) the SparkSession every Spark job uses, failing in one line when it cannot.

Spark needs two things ossmetrics cannot install for you: the ``pyspark`` package and a Java
runtime (17 or 21). Each missing piece is named with the command that installs it. The session
is set to UTC, like the store, so months and days mean the same on both engines.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

from ossmetrics.errors import SparkUnavailable

__all__ = ["check_spark", "get_spark"]


def check_spark() -> None:
    """Raise :class:`SparkUnavailable` naming what to install when Spark cannot start here."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkUnavailable(
            "Spark jobs need the pyspark package",
            "install it: pip install 'ossmetrics[spark]' (or pip install pyspark)",
        ) from None
    java_home = os.environ.get("JAVA_HOME")
    java = (
        os.path.join(java_home, "bin", "java")
        if java_home and os.path.exists(os.path.join(java_home, "bin", "java"))
        else shutil.which("java")
    )
    if not java:
        raise SparkUnavailable(
            "Spark needs a Java runtime and none was found (no java on PATH, no JAVA_HOME)",
            "install one: apt-get install -y openjdk-17-jre-headless (Debian/Ubuntu), "
            "brew install openjdk@17 (macOS)",
        )


def get_spark(
    master: str | None = None, app_name: str = "ossmetrics", *, shuffle_partitions: int = 8
) -> Any:
    """The active SparkSession, or a new one on ``master`` (default: spark-submit's, else
    ``local[*]``). Small-cluster defaults: few shuffle partitions (``shuffle_partitions``, the
    ``spark_partitions`` setting), UTC, Arrow for pandas."""
    check_spark()
    from pyspark.sql import SparkSession

    # Python workers run this interpreter (with ossmetrics and its dependencies), not
    # whatever `python3` is first on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    import warnings

    # pyspark warns about pandas 3 on every import; it is not ours to act on
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName(app_name)
    if master or not os.environ.get("SPARK_MASTER"):
        builder = builder.master(master or os.environ.get("SPARK_MASTER", "local[*]"))
    builder = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
    )
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: say so in one line
        raise SparkUnavailable(
            f"Spark could not start ({str(exc).splitlines()[0][:200]})",
            "check that `java -version` works (Java 17 or 21) and JAVA_HOME points at it",
        ) from None

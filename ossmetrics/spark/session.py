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

__all__ = [
    "LOCAL_JAVA_OPTIONS",
    "check_object_store",
    "check_spark",
    "get_spark",
    "hadoop_version",
    "local_driver_memory",
    "spark_url",
]


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


def local_driver_memory() -> str:
    """Heap for a local-mode session: a quarter of this machine's memory, 1-16 GiB.

    Spark's own default (1 GiB) is sized for a driver that only coordinates; in local mode the
    driver JVM is also the executor, and ``spark metrics`` caches the lake's commits in it
    (about 100 bytes a commit), so 20 million commits need a few GiB.
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system
        return "2g"
    gib = max(1, min(16, total // 4 // (1 << 30)))
    return f"{gib}g"


#: JVM options of a local-mode session, whose one JVM plans and runs every task of a job that
#: lasts minutes: the throughput collector instead of G1 (cheaper write barriers; the pauses
#: of a batch job matter less than its CPU), and the optimising compiler kept for code that
#: stays hot (Spark compiles its own code and every query's generated classes afresh in each
#: JVM: about 40% of the JVM's time over the metric suite). Measured at 20 M commits,
#: alternated with the defaults: the Spark side 5-8% faster in three pairs (docs/scale.md).
LOCAL_JAVA_OPTIONS = (
    "-XX:+UseParallelGC",
    "-XX:Tier4InvocationThreshold=20000",
    "-XX:Tier4MinInvocationThreshold=2000",
    "-XX:Tier4CompileThreshold=40000",
)


def get_spark(
    master: str | None = None,
    app_name: str = "ossmetrics",
    *,
    shuffle_partitions: int = 8,
    driver_memory: str | None = None,
) -> Any:
    """The active SparkSession, or a new one on ``master`` (default: spark-submit's, else
    ``local[*]``). Small-cluster defaults: few shuffle partitions (``shuffle_partitions``, the
    ``spark_partitions`` setting; adaptive execution merges them further), UTC, Arrow for
    pandas; in local mode a driver heap of ``driver_memory`` (default
    :func:`local_driver_memory`) and the JVM options :data:`LOCAL_JAVA_OPTIONS`. The lake
    hands Spark its exact file list, so listing those files runs on the driver instead of as
    a Spark job per table (it was 4 jobs of 64 tasks before the first query)."""
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
    chosen = master or os.environ.get("SPARK_MASTER")
    if master or not os.environ.get("SPARK_MASTER"):
        builder = builder.master(master or "local[*]")
    java_options = "-Duser.timezone=UTC"
    if (chosen or "local").startswith("local"):
        # spark-submit's --driver-memory wins where it was given (the JVM is already up)
        builder = builder.config("spark.driver.memory", driver_memory or local_driver_memory())
        java_options = " ".join((java_options, *LOCAL_JAVA_OPTIONS))
    builder = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.adaptive.coalescePartitions.enabled", "true")
        .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "100000")
        .config("spark.python.worker.reuse", "true")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
    )
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: say so in one line
        raise SparkUnavailable(
            f"Spark could not start ({str(exc).splitlines()[0][:200]})",
            "check that `java -version` works (Java 17 or 21) and JAVA_HOME points at it",
        ) from None


def spark_url(url: str) -> str:
    """The URL Spark (Hadoop) reads a lake location at: ``s3://`` is Hadoop's ``s3a://``."""
    if url.startswith("s3://"):
        return "s3a://" + url[len("s3://") :]
    return url


def hadoop_version(spark: Any) -> str:
    """The Hadoop version inside this Spark (hadoop-aws must match it exactly)."""
    try:
        return str(spark._jvm.org.apache.hadoop.util.VersionInfo.getVersion())
    except Exception:  # not a JVM-backed session (Spark Connect)
        return "<the Hadoop version of your Spark>"


def check_object_store(spark: Any, url: str) -> None:
    """Raise :class:`SparkUnavailable` in one line when Spark has no Hadoop filesystem for
    ``url``'s scheme -- for ``s3a://`` the ``hadoop-aws`` jar, which PySpark does not bundle and
    which comes from Maven (``--packages``), so ossmetrics cannot install it for you."""
    scheme = spark_url(url).split("://", 1)[0]
    if scheme == "file" or "://" not in url:
        return
    try:
        jvm = spark._jvm
        jvm.org.apache.hadoop.fs.FileSystem.getFileSystemClass(
            scheme, spark._jsc.hadoopConfiguration()
        )
        return
    except Exception:
        pass
    version = hadoop_version(spark)
    if scheme == "s3a":
        raise SparkUnavailable(
            f"Spark cannot read {url}: the S3A filesystem (org.apache.hadoop:hadoop-aws) is "
            "not on its classpath",
            f"add --packages org.apache.hadoop:hadoop-aws:{version} to spark-submit (or "
            f"--jars hadoop-aws-{version}.jar plus the AWS SDK bundle jar it names); "
            "docs/scale.md has the recipe",
        )
    jar = {"gs": "com.google.cloud.bigdataoss:gcs-connector", "abfs": "hadoop-azure"}
    raise SparkUnavailable(
        f"Spark has no filesystem for {scheme}:// (reading {url})",
        f"add its Hadoop connector ({jar.get(scheme, 'the connector jar')}, for Hadoop "
        f"{version}) with --packages or --jars",
    )

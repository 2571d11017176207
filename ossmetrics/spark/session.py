"""Start (or find) the SparkSession every Spark job uses, failing in one line when it cannot.

Spark needs two things ossmetrics cannot install for you: the ``pyspark`` package and a Java
runtime (17 or 21). Each missing piece is named with the command that installs it. The session
is set to UTC, like the store, so months and days mean the same on both engines.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from typing import Any

from ossmetrics.errors import SparkUnavailable, UsageError
from ossmetrics.spark.defaults import spark_defaults

__all__ = [
    "LOCAL_JAVA_OPTIONS",
    "LOCAL_SQL_CONF",
    "check_object_store",
    "check_spark",
    "get_spark",
    "hadoop_version",
    "local_cores",
    "local_driver_memory",
    "merge_java_options",
    "partitions_for",
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
#: of a batch job matter less than its CPU), the optimising compiler kept for code that
#: stays hot, and smaller inlining limits for it (Spark compiles its own code and every
#: query's generated classes afresh in each JVM: about a third of the JVM's CPU over the
#: metric suite). Measured at 20 M commits, alternated with the defaults: the collector and
#: thresholds 5-8% faster in three pairs; the inlining limits (hot methods of at most 100
#: bytecodes instead of 325, compiled ones of at most 1,000 bytes instead of 2,500) cut the
#: compiler's time from 62-66 to 38-40 s and the Spark side 100-104 -> 89-93 s (docs/scale.md).
LOCAL_JAVA_OPTIONS = (
    "-XX:+UseParallelGC",
    "-XX:Tier4InvocationThreshold=20000",
    "-XX:Tier4MinInvocationThreshold=2000",
    "-XX:Tier4CompileThreshold=40000",
    "-XX:FreqInlineSize=100",
    "-XX:InlineSmallCode=1000",
)


#: SQL settings of a local-mode session. Adaptive execution re-plans a query after each of its
#: stages (planning, code generation and compilation again, stage by stage); in one JVM over
#: the metric suite's cache, already partitioned by repository, its runtime choices (fewer
#: partitions, another join, split skewed ones) had nothing left to gain. Measured at 20 M
#: commits with two shuffle partitions per core, alternated with adaptive execution and 8
#: partitions: the Spark side 10-14% faster in two pairs (docs/scale.md). A cluster keeps it.
LOCAL_SQL_CONF = {"spark.sql.adaptive.enabled": "false"}


def local_cores(master: str) -> int | None:
    """The cores of a local master (``local``, ``local[4]``, ``local[*]``, ``local[4,2]``);
    None when ``master`` is not local."""
    m = re.fullmatch(r"local(?:\[(\*|\d+)(?:,\s*\d+)?\])?", master.strip())
    if m is None:
        return None
    if m.group(1) is None:
        return 1
    if m.group(1) == "*":
        return os.cpu_count() or 1
    return max(1, int(m.group(1)))


def partitions_for(value: int | str, master: str) -> int | None:
    """Shuffle partitions for a session on ``master`` from the ``spark_partitions`` setting: a
    positive number, or ``auto`` -- two per local core (each core then runs two tasks per
    stage: enough to even out uneven partitions, few enough that per-task costs stay small;
    at local[2], 4 instead of the 8 used before, part of the gain of LOCAL_SQL_CONF's
    measurement), and None on a cluster, whose cores are known once the session runs (see
    ``_set_sql_conf``, which also keeps spark-submit's ``--conf`` for ``auto``)."""
    text = str(value).strip().lower()
    if _is_auto(value):
        cores = local_cores(master)
        return None if cores is None else 2 * cores
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise UsageError(
        f"spark partitions must be a positive number or auto, not {value!r}",
        "set the spark_partitions setting to auto or a number of partitions (8, 256, …)",
    )


def _is_auto(value: int | str) -> bool:
    return str(value).strip().lower() in ("", "auto")


def get_spark(
    master: str | None = None,
    app_name: str = "ossmetrics",
    *,
    shuffle_partitions: int | str = "auto",
    driver_memory: str | None = None,
) -> Any:
    """The active SparkSession, or a new one on ``master`` (default: spark-submit's, else
    ``SPARK_MASTER``, else spark-defaults.conf's ``spark.master``, else ``local[*]``).
    Defaults: ``shuffle_partitions`` (the ``spark_partitions`` setting, see
    :func:`partitions_for`), UTC, Arrow for pandas; in local mode a driver heap of
    ``driver_memory`` (default: spark-defaults.conf's, else :func:`local_driver_memory`), the
    JVM options :data:`LOCAL_JAVA_OPTIONS` and the SQL settings :data:`LOCAL_SQL_CONF`;
    elsewhere adaptive execution. The lake hands Spark its exact file list, so listing those files runs
    on the driver instead of as a Spark job per table (it was 4 jobs of 64 tasks before the
    first query)."""
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
    # spark-submit starts the JVM and then this Python (handing it the gateway's port): its
    # --master, --driver-memory and --conf stand, and nothing here may replace them
    submitted = master is None and "PYSPARK_GATEWAY_PORT" in os.environ
    # a session started here: spark-defaults.conf's settings that a --conf of ours would
    # replace are read first and kept (see defaults.py)
    defaults = {} if submitted else spark_defaults()
    chosen = master or os.environ.get("SPARK_MASTER") or defaults.get("spark.master")
    if not submitted and (master or not chosen):
        builder = builder.master(master or "local[*]")
    own = ["-Duser.timezone=UTC"]
    if not submitted and local_cores(chosen or "local[*]") is not None:
        memory = driver_memory or defaults.get("spark.driver.memory") or local_driver_memory()
        builder = builder.config("spark.driver.memory", memory)
        own.extend(LOCAL_JAVA_OPTIONS)
    builder = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "100000")
        .config("spark.python.worker.reuse", "true")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.executor.extraJavaOptions", _executor_java_options(submitted, defaults))
    )
    if not submitted:
        given = defaults.get("spark.driver.extraJavaOptions", "")
        builder = builder.config("spark.driver.extraJavaOptions", merge_java_options(own, given))
    partitions_for(shuffle_partitions, chosen or "local[*]")  # a bad setting fails before Spark
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: say so in one line
        raise SparkUnavailable(
            f"Spark could not start ({str(exc).splitlines()[0][:200]})",
            "check that `java -version` works (Java 17 or 21) and JAVA_HOME points at it",
        ) from None
    _set_sql_conf(spark, shuffle_partitions)
    return spark


def merge_java_options(own: list[str] | tuple[str, ...], given: str) -> str:
    """JVM options: ours, then the user's (``given``: spark-defaults.conf's or spark-submit's),
    so that for a flag set twice the user's, read last by the JVM, wins -- except the time
    zone, which stays UTC (the metrics' months and days rely on it), and our collector, left
    out when the user's options choose one (two collectors stop the JVM from starting)."""
    kept = [t for t in given.split() if not t.startswith("-Duser.timezone=")]
    if any(re.fullmatch(r"-XX:\+Use\w*GC", t) for t in kept):
        own = [t for t in own if not re.fullmatch(r"-XX:\+Use\w*GC", t)]
    return " ".join((*own, *kept))


def _executor_java_options(submitted: bool, defaults: dict[str, str]) -> str:
    """The executors' JVM options: the UTC time zone the metrics' dates rely on, beside the
    options the user gave them (spark-submit's ``--conf spark.executor.extraJavaOptions``, or
    spark-defaults.conf's for a session started here), which a plain builder setting would
    replace."""
    if not submitted:
        given = defaults.get("spark.executor.extraJavaOptions", "")
    else:
        from pyspark import SparkConf, SparkContext

        SparkContext._ensure_initialized()  # joins spark-submit's JVM, whose properties hold --conf
        given = str(SparkConf().get("spark.executor.extraJavaOptions", "") or "")
    return merge_java_options(["-Duser.timezone=UTC"], given)


def _set_sql_conf(spark: Any, setting: int | str) -> None:
    """Shuffle partitions and adaptive execution for the session's actual master: in local
    mode :data:`LOCAL_SQL_CONF`, on a cluster Spark's own (adaptive execution on). Partitions
    for ``auto``: ``spark.sql.shuffle.partitions`` where it was given (spark-submit's
    ``--conf``, spark-defaults.conf), else two per core (the local cores, or the cluster's
    now)."""
    sc = spark.sparkContext
    master = str(sc.master)
    partitions = partitions_for(setting, master)
    if local_cores(master) is not None:
        for key, value in LOCAL_SQL_CONF.items():
            spark.conf.set(key, value)
    if _is_auto(setting):
        if sc.getConf().contains("spark.sql.shuffle.partitions"):
            return
        partitions = partitions or 2 * max(1, int(sc.defaultParallelism))
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))


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

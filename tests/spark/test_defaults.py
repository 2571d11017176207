"""A session ossmetrics starts itself keeps what spark-defaults.conf says: its own JVM options
go beside the file's instead of replacing them (a --conf replaces the file's value)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ossmetrics.spark.defaults import read_properties
from ossmetrics.spark.session import LOCAL_JAVA_OPTIONS, merge_java_options


def test_properties_are_read_as_java_reads_them() -> None:
    text = (
        "# a comment\n"
        "! another\n"
        "\n"
        "spark.master   spark://m:7077\n"
        "spark.driver.memory=6g\n"
        "spark.a.b : c d  \n"
        "spark.executor.extraJavaOptions -Da=1 \\\n"
        "      -Db=2\n"
        "spark.tab\\tkey\tv\\u0041\n"
        "spark.empty\n"
    )
    assert read_properties(text) == {
        "spark.master": "spark://m:7077",
        "spark.driver.memory": "6g",
        "spark.a.b": "c d",
        "spark.executor.extraJavaOptions": "-Da=1 -Db=2",
        "spark.tab\tkey": "vA",
        "spark.empty": "",
    }


def test_the_users_options_come_last_but_the_zone_stays_utc() -> None:
    own = ["-Duser.timezone=UTC", *LOCAL_JAVA_OPTIONS]
    merged = merge_java_options(own, "-Dproxy=x -Duser.timezone=Europe/Paris -XX:+UseG1GC")
    tokens = merged.split()
    assert tokens[0] == "-Duser.timezone=UTC"
    assert "-Duser.timezone=Europe/Paris" not in tokens
    # the user chose a collector: ours is left out (two would stop the JVM from starting)
    assert "-XX:+UseParallelGC" not in tokens and tokens[-1] == "-XX:+UseG1GC"
    assert tokens.index("-Dproxy=x") > tokens.index(LOCAL_JAVA_OPTIONS[-1])
    assert merge_java_options(own, "") == " ".join(own)


def test_a_session_started_here_keeps_spark_defaults(tmp_path: Path) -> None:
    """A fresh JVM (a subprocess: the tests' own session is shared) started by get_spark with
    SPARK_CONF_DIR holding a spark-defaults.conf: the file's executor and driver options and its
    driver heap stand beside ossmetrics' own."""
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text(
        "spark.executor.extraJavaOptions -Dossmetrics.probe=1 -Duser.timezone=Asia/Tokyo\n"
        "spark.driver.extraJavaOptions   -Dossmetrics.driverprobe=2\n"
        "spark.driver.memory             768m\n",
        encoding="utf-8",
    )
    script = tmp_path / "job.py"
    script.write_text(
        "from ossmetrics.spark.session import get_spark\n"
        "s = get_spark('local[1]')\n"
        "c = s.sparkContext.getConf()\n"
        "jvm = s.sparkContext._jvm\n"
        "print('EXECUTOR', c.get('spark.executor.extraJavaOptions'))\n"
        "print('DRIVER', jvm.java.lang.System.getProperty('ossmetrics.driverprobe'),"
        " jvm.java.lang.System.getProperty('user.timezone'), c.get('spark.driver.memory'))\n"
        "print('HEAP', jvm.java.lang.Runtime.getRuntime().maxMemory())\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_CONF_DIR": str(conf),
    }
    for var in ("SPARK_MASTER", "PYSPARK_GATEWAY_PORT", "PYSPARK_SUBMIT_ARGS"):
        env.pop(var, None)
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    lines = {
        ln.split()[0]: ln.split()[1:]
        for ln in out.stdout.splitlines()
        if ln.startswith(("EXECUTOR ", "DRIVER ", "HEAP "))
    }
    assert "EXECUTOR" in lines, out.stderr[-2000:]
    assert "-Dossmetrics.probe=1" in lines["EXECUTOR"]
    assert "-Duser.timezone=UTC" in lines["EXECUTOR"]
    assert "-Duser.timezone=Asia/Tokyo" not in lines["EXECUTOR"]
    assert lines["DRIVER"] == ["2", "UTC", "768m"]
    # the file's 768m (the JVM reports 683 MiB usable), not local_driver_memory()'s quarter of
    # this machine (at least 1g: 910 MiB usable), so the bound tells the two apart anywhere
    assert int(lines["HEAP"][0]) < 800 * (1 << 20)

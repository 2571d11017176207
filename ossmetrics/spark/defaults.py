"""The settings Spark's launcher reads from ``spark-defaults.conf``, read here the same way.

Why: a session ossmetrics starts itself (``--master spark://...``, ``SPARK_MASTER``, local
mode; not spark-submit) passes its own JVM options to the launcher as ``--conf``, and a
``--conf`` replaces the file's value of the same key instead of adding to it. A cluster's
``spark.executor.extraJavaOptions`` (a proxy, a trust store, an agent) or a local driver heap
set there would silently be lost. ``get_spark`` reads them here first and keeps them beside its
own (see ``session.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["conf_dir", "read_properties", "spark_defaults"]

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def conf_dir() -> Path | None:
    """The folder whose ``spark-defaults.conf`` the launcher loads: ``SPARK_CONF_DIR``, else
    ``$SPARK_HOME/conf`` (for a pip-installed PySpark, SPARK_HOME is the package's folder)."""
    if os.environ.get("SPARK_CONF_DIR"):
        return Path(os.environ["SPARK_CONF_DIR"])
    home = os.environ.get("SPARK_HOME")
    if not home:
        try:
            from pyspark.find_spark_home import _find_spark_home

            home = _find_spark_home()
        except Exception:  # no pyspark, or no Spark home it can find
            return None
    return Path(home) / "conf"


def _logical_lines(text: str) -> list[str]:
    """Lines joined where one ends in an odd number of backslashes (a continuation); the
    continuation's leading blanks are dropped, as java.util.Properties does."""
    out: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.lstrip() if pending else raw
        if not pending and (not line.strip() or line.lstrip()[:1] in ("#", "!")):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            pending += line[:-1]
            continue
        out.append(pending + line)
        pending = ""
    if pending:
        out.append(pending)
    return out


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and i + 6 <= len(text):
                try:
                    out.append(chr(int(text[i + 2 : i + 6], 16)))
                    i += 6
                    continue
                except ValueError:
                    pass
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def read_properties(text: str) -> dict[str, str]:
    """A Java properties file's keys and values (what Spark's ``getPropertiesFromFile`` gets:
    the key ends at the first unescaped ``=``, ``:`` or blank; values are trimmed)."""
    props: dict[str, str] = {}
    for line in _logical_lines(text):
        line = line.lstrip()
        i = 0
        while i < len(line) and line[i] not in "=: \t\f":
            i += 2 if line[i] == "\\" else 1
        key = line[:i]
        rest = line[i:].lstrip(" \t\f")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t\f")
        props[_unescape(key)] = _unescape(rest).strip()
    return props


def spark_defaults() -> dict[str, str]:
    """The settings in the ``spark-defaults.conf`` a session started here would load (empty
    when there is none or it cannot be read: Spark itself then starts without it too)."""
    folder = conf_dir()
    if folder is None:
        return {}
    try:
        text = (folder / "spark-defaults.conf").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    return read_properties(text)

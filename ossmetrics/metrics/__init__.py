"""The metrics stage: the SQL metric library in ``queries/``, run from Python or installed as
DuckDB table macros so any DuckDB client can use it.

``list_metrics()`` reads the library, ``run_metric(con, name_or_sql, repo=..., params=...)``
runs one metric (or raw SQL) with bound parameters, ``install(con)`` creates the macros.
"""

from ossmetrics.metrics.docs import metrics_markdown
from ossmetrics.metrics.install import InstallResult, install, library_digest
from ossmetrics.metrics.library import (
    Metric,
    Param,
    find_metric,
    list_metrics,
    load_library,
)
from ossmetrics.metrics.run import run_metric, run_sql

__all__ = [
    "InstallResult",
    "Metric",
    "Param",
    "find_metric",
    "install",
    "library_digest",
    "list_metrics",
    "load_library",
    "metrics_markdown",
    "run_metric",
    "run_sql",
]

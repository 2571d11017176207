"""Child side of the kill -9 trials: one nightly run in a process of its own.

The trials start these children from a ``forkserver`` whose process has imported the whole
pipeline once (``PRELOAD``), so a child starts in milliseconds and the random kill points fall
inside the run's real work rather than in interpreter start-up.
"""

from __future__ import annotations

import importlib.util
import os
import sys

PRELOAD = [
    "pandas",
    "pyarrow",
    "duckdb",
    "ossmetrics.nightly",
    "ossmetrics.pipeline",
    "ossmetrics.collect.git",
    "ossmetrics.collect.github",
    "ossmetrics.collect.identities",
    "ossmetrics.graph",
    "ossmetrics.metrics",
    "tests.nightly.killrun",
]


def preload() -> list[str]:
    """The PRELOAD modules that exist in this checkout."""
    out = []
    for name in PRELOAD:
        try:
            if importlib.util.find_spec(name) is not None:
                out.append(name)
        except ModuleNotFoundError:
            pass
    return out


def child(db: str, cfg: str, skip: list[str], token: str | None) -> None:
    """Run the nightly pipeline; the exit code is the run's (kill -9 ends it earlier)."""
    if token:
        os.environ["GITHUB_TOKEN"] = token
    else:
        os.environ.pop("GITHUB_TOKEN", None)
    from datetime import date

    from ossmetrics.nightly import run_nightly

    result = run_nightly(db, cfg, skip=skip, today=date(2026, 12, 1))
    sys.exit(result.exit_code)

"""Nightly runs over the tracked repositories: one call, incremental, isolated failures.

``run_nightly(db, config)`` takes the lock (``lock.py``), collects each tracked repository
(``collect.py``) and runs the one pipeline's steps over them (``ossmetrics.pipeline``: every
step a row of ``runs``, those whose inputs did not change skipped); ``summary_table`` renders
the result.
"""

from ossmetrics.nightly.lock import NightlyLock, lock_path_for
from ossmetrics.nightly.pipeline import EX_TEMPFAIL, NightlyResult, RepoOutcome, run_nightly
from ossmetrics.nightly.summary import summary_table

__all__ = [
    "EX_TEMPFAIL",
    "NightlyLock",
    "NightlyResult",
    "RepoOutcome",
    "lock_path_for",
    "run_nightly",
    "summary_table",
]

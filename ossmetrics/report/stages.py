"""Guarded access to the stages the report builds on (metrics, graph, risk).

The report must render whatever the store holds, even when a stage has not run or its code is
not installed yet: every call here returns ``None`` (and a reason) instead of raising, so a page
section can say "not available yet" rather than the whole site failing. Only the stage's own
expected failures and a missing module are absorbed; they are reported back as text.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

__all__ = ["StageCall", "explain_without", "health_summary", "optional_attr"]

log = logging.getLogger(__name__)


@dataclass
class StageCall:
    """The outcome of a guarded call: ``value`` on success, else ``reason`` in plain words."""

    value: Any = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def optional_attr(module: str, name: str) -> Callable[..., Any] | None:
    """``module.name`` if that stage is installed and defines it, else None."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    fn = getattr(mod, name, None)
    return fn if callable(fn) else None


def _guard(fn: Callable[..., Any] | None, what: str, *args: Any, **kwargs: Any) -> StageCall:
    if fn is None:
        return StageCall(reason=f"{what} is not available in this ossmetrics yet")
    try:
        return StageCall(value=fn(*args, **kwargs))
    except (ImportError, AttributeError, NotImplementedError) as exc:
        return StageCall(reason=f"{what} is not available yet ({type(exc).__name__})")
    except Exception as exc:  # a stage's failure must not take the whole report down
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        log.debug("%s failed: %s", what, first)
        return StageCall(reason=f"{what} failed: {first}")


def health_summary(con: duckdb.DuckDBPyConnection, as_of: datetime | None = None) -> StageCall:
    """The metric library's ``health_summary`` query (one row per repository), if any.

    ``as_of`` is the report's reference date, so its figures and the report's agree in time.
    """
    fn = optional_attr("ossmetrics.metrics", "run_metric")
    params = {"as_of": as_of} if as_of is not None else None
    call = _guard(fn, "the metric library's health_summary", con, "health_summary", params=params)
    if call.ok and not isinstance(call.value, pd.DataFrame):
        return StageCall(reason="health_summary returned no table")
    return call


def explain_without(con: duckdb.DuckDBPyConnection, repo: str, person: str | None) -> StageCall:
    """``ossmetrics.risk.explain(con, repo, without=person)``: the what-if of the risk model."""
    fn = optional_attr("ossmetrics.risk", "explain")
    return _guard(fn, "the risk model's explanation", con, repo, without=person)

"""``run_demo``: the whole pipeline, offline, on the bundled sample of real public history.

Stages run in order — load the sample, install the SQL metrics, compute the contributor graphs,
score risk with the shipped model, build the site. A stage that is not available in this
installation, or that fails, is reported and skipped, so the demo still produces a site whose
sections say what is missing.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ossmetrics.collect.corpus import load_corpus
from ossmetrics.report.site import build_site
from ossmetrics.report.stages import optional_attr
from ossmetrics.resources import package_data
from ossmetrics.store import connect

__all__ = ["DemoResult", "run_demo", "sample_dir", "sample_repos"]

log = logging.getLogger(__name__)


def sample_dir() -> Path:
    """The bundled sample (corpus format): ossmetrics/data/sample/."""
    return package_data("sample")


def sample_repos() -> list[str]:
    import duckdb

    con = duckdb.connect()
    try:
        path = str(sample_dir() / "repos.parquet")
        return [
            r[0]
            for r in con.execute(
                "SELECT repo FROM read_parquet(?) ORDER BY repo", [path]
            ).fetchall()
        ]
    finally:
        con.close()


@dataclass
class DemoResult:
    """What each stage did: ``stages`` maps stage name to "ok (1.2 s)" or the reason it was skipped."""

    index: Path
    stages: dict[str, str] = field(default_factory=dict)


def _stage(
    result: DemoResult, name: str, fn: Callable[..., Any] | None, *args: Any, **kw: Any
) -> None:
    if fn is None:
        result.stages[name] = "not available in this ossmetrics yet"
        return
    t = time.perf_counter()
    try:
        fn(*args, **kw)
    except Exception as exc:  # the demo goes on; the site says what is missing
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        result.stages[name] = f"skipped: {first}"
        log.debug("demo stage %s failed: %s", name, first)
        return
    result.stages[name] = f"ok ({time.perf_counter() - t:.1f} s)"


def run_demo(out_dir: str | os.PathLike[str], db_path: str | os.PathLike[str]) -> Path:
    """Load the sample into ``db_path``, run every stage, write the site; return index.html."""
    return run_demo_detailed(out_dir, db_path).index


def run_demo_detailed(
    out_dir: str | os.PathLike[str], db_path: str | os.PathLike[str]
) -> DemoResult:
    repos = sample_repos()
    con = connect(db_path)
    try:
        result = DemoResult(index=Path(out_dir) / "index.html")
        t = time.perf_counter()
        load_corpus(con, sample_dir())
        result.stages["load sample"] = f"ok ({time.perf_counter() - t:.1f} s)"
        _stage(result, "metrics", optional_attr("ossmetrics.metrics", "install"), con)
        from ossmetrics.store import get_repo_id

        ids = [get_repo_id(con, r) for r in repos]
        _stage(result, "graphs", optional_attr("ossmetrics.graph", "compute_graphs"), con, ids)
        _stage(
            result, "risk", optional_attr("ossmetrics.risk", "score_projects"), con, device="cpu"
        )
        _stage(result, "funding", optional_attr("ossmetrics.fund.demo", "load_demo_funding"), con)
        t = time.perf_counter()
        # one what-if (the riskiest project) keeps the demo well under a minute
        result.index = build_site(con, out_dir, repos=repos, what_if=1)
        result.stages["report"] = f"ok ({time.perf_counter() - t:.1f} s)"
        return result
    finally:
        con.close()

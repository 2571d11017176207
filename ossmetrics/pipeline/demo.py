"""``run_demo``: the one pipeline, offline, on the bundled sample of real public history.

The sample (corpus format, ``ossmetrics/data/sample/``) is loaded as the ``sample`` step, then
``DEMO`` runs — identities, metrics, graphs, risk (with the what-if of the riskiest project),
report — recorded in ``runs`` like a nightly run, so the data-health page shows each step. A
failed step is reported with its error, the steps that do not depend on it still run, and
``DemoResult.exit_code`` is 1.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ossmetrics.collect.corpus import load_corpus
from ossmetrics.config import Settings
from ossmetrics.pipeline.core import Context, Pipeline
from ossmetrics.pipeline.runs import RunLog, StageRecord
from ossmetrics.pipeline.steps import DEMO
from ossmetrics.privacy import PrivacyOptions
from ossmetrics.resources import package_data
from ossmetrics.store import connect, get_repo_id

__all__ = ["DemoResult", "run_demo", "sample_dir", "sample_repos"]

# one what-if (the riskiest project) keeps the demo well under a minute
DEMO_WHAT_IF = 1


def sample_dir() -> Path:
    """The bundled sample (corpus format): ossmetrics/data/sample/."""
    return package_data("sample")


def sample_repos() -> list[str]:
    con = duckdb.connect()
    try:
        path = str(sample_dir() / "repos.parquet")
        rows = con.execute("SELECT repo FROM read_parquet(?) ORDER BY repo", [path]).fetchall()
        return [r[0] for r in rows]
    finally:
        con.close()


@dataclass
class DemoResult:
    """Every step's record (``sample`` first) and the site's index.html."""

    index: Path
    records: list[StageRecord] = field(default_factory=list)

    @property
    def failed(self) -> list[StageRecord]:
        return [r for r in self.records if r.status not in ("ok", "skipped")]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def lines(self) -> list[str]:
        """One line per step: ``graphs: ok (0.6 s)``, ``risk: failed: <error>``."""
        out = []
        for r in self.records:
            name = "load sample" if r.stage == "sample" else r.stage
            if r.status == "ok":
                out.append(f"{name}: ok ({r.seconds:.1f} s)")
            else:
                out.append(f"{name}: {r.status}: {r.error}")
        return out


def run_demo(
    out_dir: str | os.PathLike[str],
    db_path: str | os.PathLike[str],
    settings: Settings | None = None,
    *,
    pipeline: Pipeline = DEMO,
    privacy: PrivacyOptions | None = None,
) -> DemoResult:
    """Load the sample into ``db_path``, run ``pipeline`` (default ``DEMO``), write the site."""
    st = settings or Settings()
    repos = sample_repos()
    con = connect(db_path)
    try:
        log = RunLog(con)
        log.start()
        result = DemoResult(index=Path(out_dir) / "index.html")
        ids: list[int] = []
        with log.stage(None, "sample") as rec:
            result.records.append(rec)
            rec.items = load_corpus(con, sample_dir())
            ids = [get_repo_id(con, r) for r in repos]
        ctx = Context(
            con,
            st,
            Path(out_dir),
            repo_ids=ids,
            what_if=DEMO_WHAT_IF,
            run_id=log.run_id,
            privacy=privacy or PrivacyOptions(),
        )
        result.records += pipeline.run(ctx, log, skip_unchanged=False)
        if ctx.index is not None:
            result.index = ctx.index
        log.finish("failed" if result.exit_code else "ok", sum(r.seconds for r in result.records))
        return result
    finally:
        con.close()

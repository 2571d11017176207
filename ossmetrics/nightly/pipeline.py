"""The nightly run: collect every tracked repository, then ``NIGHTLY`` (the one pipeline).

Order: per repository ``fetch`` (URL sources: clone once, then fetch) → ``git`` → ``github``
(``collect.py``); then the pipeline's steps for the portfolio: ``identities`` (extra bot names)
→ ``graphs`` → ``snapshots`` → ``risk`` → ``report`` (``ossmetrics/pipeline/steps.py``). Every
step is a row in ``runs`` and catches its own failure, so one repository's error never stops
the others, and a failed portfolio step stops only the steps that depend on it. Each stage
writes in its own transactions and replaces its own rows, so a run killed anywhere leaves
committed work only, and the next run redoes whatever was cut short — ending with the same
tables as an uninterrupted run. Steps whose inputs did not change since their last successful
run are skipped (``ossmetrics/pipeline/fingerprint.py``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ossmetrics import config
from ossmetrics.collect.git import git_jobs
from ossmetrics.errors import UsageError
from ossmetrics.nightly.collect import RepoOutcome, TrackedCollection
from ossmetrics.nightly.lock import NightlyLock, lock_path_for
from ossmetrics.pipeline import NIGHTLY, Context, Pipeline, RunLog, StageRecord
from ossmetrics.privacy import PrivacyOptions
from ossmetrics.store import connect
from ossmetrics.tracking import load_tracked

__all__ = ["EX_TEMPFAIL", "STAGES", "NightlyResult", "RepoOutcome", "run_nightly"]

EX_TEMPFAIL = 75  # sysexits.h: "try again later" — only rate limits stopped some work
STAGES = ("git", "github", *NIGHTLY.names)


@dataclass
class NightlyResult:
    run_id: int
    repos: list[RepoOutcome]
    portfolio: list[StageRecord]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    report: Path | None = None

    @property
    def status(self) -> str:
        states = [r.status for r in self.repos] + [s.status for s in self.portfolio]
        if "failed" in states:
            return "failed"
        if "rate_limited" in states:
            return "rate_limited"
        return "ok"

    @property
    def exit_code(self) -> int:
        return {"failed": 1, "rate_limited": EX_TEMPFAIL}.get(self.status, 0)


def run_nightly(
    db_path: str | os.PathLike[str],
    config_path: str | os.PathLike[str],
    *,
    jobs: int = 1,
    out_dir: str | os.PathLike[str] | None = None,
    skip: Sequence[str] = (),
    today: date | None = None,
    settings: config.Settings | None = None,
    pipeline: Pipeline = NIGHTLY,
    publish: bool | None = None,
) -> NightlyResult:
    """Run the whole pipeline for the repositories tracked in ``config_path``.

    ``settings``: the resolved settings (default: those of ``config_path`` and the
    environment); ``pipeline``: the steps after collection (default ``NIGHTLY``); ``publish``:
    the ``--publish`` flag (None: the ``publish`` setting). Raises ``ConfigError`` for a malformed config, ``UsageError`` when nothing
    is tracked, ``AlreadyRunning`` when another run holds the lock, ``StoreError`` when the
    store cannot be opened or written. Every other failure is recorded per repository and
    step in the result (and in ``runs``, with its traceback); ``NightlyResult.exit_code``
    says how the run went.
    """
    t0 = time.perf_counter()
    unknown = sorted(set(skip) - set(STAGES))
    if unknown:
        raise UsageError(f"unknown stage '{unknown[0]}' for --skip", f"stages: {', '.join(STAGES)}")
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}", "use --jobs 1 or more")
    cfg = Path(config_path)
    tracked = load_tracked(cfg)
    st = settings if settings is not None else config.load_settings(cfg)
    if not tracked:
        raise UsageError(
            f"no repositories are tracked in {cfg}",
            "add one with `ossmetrics track add OWNER/REPO [--git PATH_OR_URL]`",
        )
    out = Path(out_dir) if out_dir else Path(st.out)
    # a publish run without a salt stops here, before anything is collected
    privacy = PrivacyOptions.resolve(publish, config.load_toml(cfg))
    git_jobs(st.git_jobs)  # a bad git_jobs fails the run, not every repository
    extra = tuple(b.strip().lower() for r in tracked for b in r.bots if b.strip())
    bots = tuple(sorted(set(st.bots) | set(extra)))
    with NightlyLock(lock_path_for(Path(db_path))):
        con = connect(Path(db_path))
        try:
            log = RunLog(con)
            log.start()
            source = TrackedCollection(
                con, log, tracked, st, bots=bots, jobs=jobs, skip=frozenset(skip)
            )
            if log.interrupted_before:
                source.warnings.append(
                    f"the previous run was interrupted ({log.interrupted_before} unfinished "
                    "steps marked 'interrupted'); this run completes its work"
                )
            ids = source.run()
            ctx = Context(
                con,
                st,
                out,
                repo_ids=sorted(ids),
                today=today or datetime.now(UTC).date(),
                exclude={rid: r.exclude for rid, r in ids.items() if r.exclude},
                extra_bots=extra,
                run_id=log.run_id,
                privacy=privacy,
            )
            portfolio = pipeline.run(ctx, log, skip=frozenset(skip))
            report = ctx.index
            index = out / "index.html"
            rec = ctx.records.get("report")
            if report is None and rec is not None and rec.error == "unchanged since the last run":
                report = index if index.exists() else None
            result = NightlyResult(
                run_id=log.run_id,
                repos=source.outcomes,
                portfolio=portfolio,
                warnings=source.warnings,
                report=report,
            )
            result.seconds = time.perf_counter() - t0
            log.finish(result.status, result.seconds)
            return result
        finally:
            with suppress(duckdb.Error):  # a full disk can fail the final checkpoint too
                con.close()

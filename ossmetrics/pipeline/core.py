"""The pipeline object: an ordered list of named steps, each a stage's library call.

A ``Step`` has a name, the steps it depends on, an optional *input digest* (what it reads, by
scope: ``repo:<id>`` or ``portfolio``) and a run function that calls one stage's library API
with the ``Context`` (store connection, resolved ``Settings``, the repositories in scope).
``Pipeline.run`` records every step as a row of ``runs`` (``runs.RunLog``) and

- skips a step named in ``--skip``, one whose input digest equals the digest recorded after
  its last successful run ("unchanged since the last run"), and one that needs data when no
  repository is in scope;
- catches a step's failure (recorded with its traceback), then skips only the steps that
  depend on it — the others still run, and the report shows the error;
- records the step's digests only after it committed, so a crash means "run it again".

``nightly`` and ``demo`` run the same ``PIPELINE`` (``steps.py``); the CLI's stage commands
call the same run functions. A new stage is one ``Step`` line in ``steps.STEPS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from ossmetrics.config import Settings
from ossmetrics.pipeline import fingerprint as fp
from ossmetrics.pipeline.runs import RunLog, StageRecord
from ossmetrics.privacy import PrivacyOptions

__all__ = ["FAILED", "Context", "Pipeline", "Step"]

FAILED = ("failed", "interrupted", "rate_limited")


@dataclass
class Context:
    """What every step gets: the store, the settings, the repositories in scope, options."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    out_dir: Path
    repo_ids: list[int] = field(default_factory=list)
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    # per-repository truck-factor exclusions (nightly's tracked entries), on top of defaults
    exclude: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # bot names from the tracked entries, on top of the ``bots`` setting
    extra_bots: tuple[str, ...] = ()
    # how many of the riskiest projects the risk step rescores without their key person
    what_if: int = 3
    # the run's id in ``runs`` (0 outside a recorded run), and the site the report step wrote
    run_id: int = 0
    index: Path | None = None
    # how people may appear in what the report step writes (issue 17's --publish)
    privacy: PrivacyOptions = field(default_factory=PrivacyOptions)
    # extra values a new step reads (one line to add an option for it)
    options: dict[str, Any] = field(default_factory=dict)
    records: dict[str, StageRecord] = field(default_factory=dict)
    _repo_digests: dict[int, str] | None = None

    @property
    def bots(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.settings.bots) | {b.lower() for b in self.extra_bots}))

    def repo_digests(self) -> dict[int, str]:
        """One digest per repository in scope (computed once, after identities ran)."""
        if self._repo_digests is None:
            self._repo_digests = fp.repo_digests(
                self.con,
                sorted(self.repo_ids),
                today=self.today,
                options={rid: list(p) for rid, p in self.exclude.items() if p},
            )
        return self._repo_digests

    def ok_so_far(self, before: str) -> bool:
        """Whether every step recorded before ``before`` ended ok or skipped."""
        return all(r.status in ("ok", "skipped") for n, r in self.records.items() if n != before)


Digest = Callable[[Context], dict[str, str]]


@dataclass(frozen=True)
class Step:
    """One stage of the pipeline.

    ``run(ctx, todo)`` does the work and returns how many items it produced; ``todo`` holds
    the scopes whose digest changed (all scopes when the step has no digest, or when the run
    does not skip unchanged inputs). ``digest`` maps scope to a digest of the step's inputs;
    with ``digest_after`` the digest is taken again after the run (a step that changes its own
    inputs, like the identity merge). ``needs``: steps whose failure means this one must not
    run. ``skip_when`` gives a reason to skip (or None). ``needs_data``: skip with no
    repository in scope.
    """

    name: str
    run: Callable[[Context, list[str]], int]
    digest: Digest | None = None
    needs: tuple[str, ...] = ()
    digest_after: bool = False
    needs_data: bool = True
    skip_when: Callable[[Context], str | None] | None = None


@dataclass(frozen=True)
class Pipeline:
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for s in self.steps:
            missing = [n for n in s.needs if n not in seen]
            if missing:
                raise ValueError(f"step {s.name} needs {missing[0]}, which does not run before it")
            seen.add(s.name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.steps)

    def without(self, *names: str) -> Pipeline:
        """This pipeline less the steps in ``names`` (dependencies on them are dropped)."""
        keep = [s for s in self.steps if s.name not in names]
        kept = {s.name for s in keep}
        return Pipeline(
            tuple(replace(s, needs=tuple(n for n in s.needs if n in kept)) for s in keep)
        )

    def run(
        self,
        ctx: Context,
        log: RunLog,
        *,
        skip: frozenset[str] = frozenset(),
        skip_unchanged: bool = True,
    ) -> list[StageRecord]:
        """Run every step in order, each recorded in ``runs``; return the records."""
        log.plan(None, list(self.names))
        out: list[StageRecord] = []
        for step in self.steps:
            with log.stage(None, step.name) as rec:
                out.append(rec)
                ctx.records[step.name] = rec
                reason = self._reason_to_skip(step, ctx, skip)
                if reason:
                    rec.skip(reason)
                    continue
                digests = step.digest(ctx) if step.digest is not None else {}
                todo = list(digests)
                if digests and skip_unchanged:
                    done = fp.recorded(ctx.con, step.name, digests)
                    todo = [s for s, d in digests.items() if done.get(s) != d]
                    if not todo:
                        rec.skip("unchanged since the last run")
                        continue
                rec.items = step.run(ctx, todo)
                if digests and rec.status == "running":
                    after = step.digest(ctx) if step.digest_after and step.digest else digests
                    fp.record(
                        ctx.con, step.name, {s: after[s] for s in todo if s in after}, log.run_id
                    )
        return out

    @staticmethod
    def _reason_to_skip(step: Step, ctx: Context, skip: frozenset[str]) -> str | None:
        if step.name in skip:
            return f"skipped by --skip {step.name}"
        for need in step.needs:
            rec = ctx.records.get(need)
            if rec is not None and (
                rec.status in FAILED or (rec.error or "").startswith("not run:")
            ):
                return f"not run: it needs the {need} step, which did not complete"
        if step.needs_data and not ctx.repo_ids:
            return "no tracked repository has data yet"
        if step.skip_when is not None:
            return step.skip_when(ctx)
        return None

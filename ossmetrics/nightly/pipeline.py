"""The nightly pipeline: collect every tracked repository, then the portfolio stages.

Order: per repository ``fetch`` (URL sources: clone once, then fetch) → ``git`` → ``github``;
then for the portfolio ``identities`` (extra bot names) → ``graphs`` → ``snapshots`` → ``risk``
→ ``report``. Every step is a row in ``runs`` (see ``runs.py``) and catches its own failure, so
one repository's error never stops the others. Each stage writes in its own transactions and
replaces its own rows, so a run killed anywhere leaves committed work only, and the next run
redoes whatever was cut short — ending with the same tables as an uninterrupted run.

Parallelism: DuckDB has a single writer, so collection writes one repository at a time (which
also keeps memory bounded by the largest repository, not the sum). ``jobs`` runs the clones and
fetches — network-bound, no store access — in that many background threads, ahead of the
collector.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ossmetrics import config
from ossmetrics.collect.github_schedule import budget_order
from ossmetrics.errors import RateLimited, UsageError
from ossmetrics.nightly import fingerprint as fp
from ossmetrics.nightly import stages
from ossmetrics.nightly.clones import CloneResult, clone_dir_for, clone_or_fetch
from ossmetrics.nightly.lock import NightlyLock, lock_path_for
from ossmetrics.nightly.runs import RunLog, StageRecord
from ossmetrics.privacy import PrivacyOptions
from ossmetrics.store import connect
from ossmetrics.tracking import TrackedRepo, is_url, load_tracked

__all__ = ["EX_TEMPFAIL", "STAGES", "NightlyResult", "RepoOutcome", "run_nightly"]

EX_TEMPFAIL = 75  # sysexits.h: "try again later" — only rate limits stopped some work
STAGES = ("git", "github", "identities", "graphs", "snapshots", "risk", "report")


@dataclass
class RepoOutcome:
    """One line of the summary table."""

    repo: str
    status: str
    items: int = 0
    requests: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    repo_id: int | None = None


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


def _outcome(repo: TrackedRepo, recs: list[StageRecord]) -> RepoOutcome:
    states = [r.status for r in recs]
    status = (
        "failed" if "failed" in states else "rate_limited" if "rate_limited" in states else "ok"
    )
    notes = [f"{r.stage}: {r.error}" for r in recs if r.error and r.status != "ok"]
    rid = next((r.repo_id for r in recs if r.repo_id is not None), None)
    return RepoOutcome(
        repo=repo.label,
        status=status,
        items=sum(r.items for r in recs),
        requests=sum(r.requests for r in recs),
        seconds=sum(r.seconds for r in recs),
        notes=notes,
        repo_id=rid,
    )


def _known_repo_id(
    con: duckdb.DuckDBPyConnection, name: str | None, git_path: Path | None = None
) -> int | None:
    """The repo_id of a tracked repository already in the store: by name, else by git path."""
    if name:
        row = con.execute(
            "SELECT repo_id FROM repos WHERE lower(full_name) = lower(?)", [name]
        ).fetchall()
    elif git_path is not None:
        p = git_path.resolve()
        row = con.execute(
            "SELECT repo_id FROM repos WHERE git_path IN (?, ?) ORDER BY repo_id LIMIT 1",
            [str(p), str(p / ".git")],
        ).fetchall()
    else:
        return None
    return int(row[0][0]) if row else None


class _Run:
    """State of one run; methods are the pipeline's steps, in order."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        tracked: list[TrackedRepo],
        toml: dict[str, object],
        *,
        jobs: int,
        out_dir: Path,
        today: date,
        skip: frozenset[str] = frozenset(),
        privacy: PrivacyOptions | None = None,
    ) -> None:
        self.con = con
        self.privacy = privacy
        self.skip = skip
        self.tracked = tracked
        self.toml = toml
        self.jobs = max(1, jobs)
        self.out_dir = out_dir
        self.today = today
        self.log = RunLog(con)
        self.warnings: list[str] = []
        self.outcomes: list[RepoOutcome] = []
        self.portfolio: list[StageRecord] = []
        self.token_env = str(config.resolve("token_env", None, toml))
        self.token = config.github_token(self.token_env)
        self.api_url = str(config.resolve("api_url", None, toml))
        self.max_wait = float(config.resolve("max_wait", None, toml))
        self.cache_dir = Path(str(config.resolve("cache_dir", None, toml)))
        self.device = str(config.resolve("device", None, toml))
        self.git_jobs = str(config.resolve("git_jobs", None, toml))
        self.rate_limited: RateLimited | None = None
        self.ids: dict[int, TrackedRepo] = {}

    # -- per repository -------------------------------------------------------------------
    def collect_all(self) -> None:
        urls = sorted({r.git for r in self.tracked if r.git and is_url(r.git)})
        if "git" in self.skip:
            urls = []
        gh = [r for r in self.tracked if r.collects_github]
        if gh and not self.token and "github" not in self.skip:
            self.warnings.append(
                f"${self.token_env} is not set: GitHub collection skipped for {len(gh)} "
                "repositories (git collection still runs) — export a token to collect issues and pull requests"
            )
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="fetch") as pool:
            futures: dict[str, Future[CloneResult]] = {
                u: pool.submit(clone_or_fetch, u, self.cache_dir) for u in urls
            }
            # GitHub's budgets are best spent on increments first, then first syncs smallest
            # first (docs/collect-github.md); outcomes stay in the configuration's order
            budgeted = self.token and "github" not in self.skip
            order = budget_order(self.con, [r.name for r in self.tracked if r.name and budgeted])
            rank = {name: i for i, name in enumerate(order)}
            done: dict[int, RepoOutcome] = {}
            todo = sorted(enumerate(self.tracked), key=lambda e: rank.get(e[1].name or "", -1))
            for idx, repo in todo:
                done[idx] = self.collect_one(repo, futures)
            self.outcomes.extend(done[i] for i in range(len(self.tracked)))

    def collect_one(
        self, repo: TrackedRepo, futures: dict[str, Future[CloneResult]]
    ) -> RepoOutcome:
        recs: list[StageRecord] = []
        known = _known_repo_id(self.con, repo.name, self._source(repo))
        path: Path | None = None
        steps = ["fetch"] if repo.git and is_url(repo.git) and "git" not in self.skip else []
        steps += (["git"] if repo.git else []) + (["github"] if repo.name else [])
        self.log.plan(repo.label, steps, known)
        if repo.git and is_url(repo.git) and "git" not in self.skip:
            with self.log.stage(repo.label, "fetch", known) as rec:
                recs.append(rec)
                path = futures[repo.git].result().path
        elif repo.git:
            path = Path(repo.git)
        if repo.git:
            with self.log.stage(repo.label, "git", known) as rec:
                recs.append(rec)
                if "git" in self.skip:
                    rec.skip("skipped by --skip git")
                elif path is None:
                    rec.skip("no clone (the fetch failed)")
                else:
                    stages.collect_git(self.con, rec, repo, path, jobs=self.git_jobs)
                    known = rec.repo_id or known
        if repo.name:
            with self.log.stage(repo.label, "github", known) as rec:
                recs.append(rec)
                self.github(rec, repo)
        return _outcome(repo, recs)

    def github(self, rec: StageRecord, repo: TrackedRepo) -> None:
        if "github" in self.skip:
            rec.skip("skipped by --skip github")
        elif not repo.github:
            rec.skip("github = false in the config")
        elif not self.token:
            rec.skip(f"${self.token_env} not set")
        elif self.rate_limited is not None and (
            self.rate_limited.reset_at is None or self.rate_limited.reset_at > datetime.now(UTC)
        ):
            rec.status = "rate_limited"
            rec.error = "not started: the GitHub rate limit is spent; the next run resumes"
        else:
            try:
                stages.collect_github(
                    self.con,
                    rec,
                    repo,
                    token=self.token,
                    api_url=self.api_url,
                    max_wait=self.max_wait,
                )
            except RateLimited as exc:
                self.rate_limited = exc
                raise

    # -- portfolio --------------------------------------------------------------------------
    def tracked_ids(self) -> dict[int, TrackedRepo]:
        out: dict[int, TrackedRepo] = {}
        for repo, outcome in zip(self.tracked, self.outcomes, strict=True):
            rid = outcome.repo_id or _known_repo_id(self.con, repo.name, self._source(repo))
            if rid is not None:
                out[rid] = repo
        return out

    def _source(self, repo: TrackedRepo) -> Path | None:
        """Where the git collector reads ``repo``: its path, or its clone in the cache."""
        if not repo.git:
            return None
        return clone_dir_for(self.cache_dir, repo.git) if is_url(repo.git) else Path(repo.git)

    def _blocked(self, rec: StageRecord, need_data: bool = True) -> bool:
        """Record a skip when ``--skip`` names the stage or no tracked repository has data."""
        self.portfolio.append(rec)
        if rec.stage in self.skip:
            rec.skip(f"skipped by --skip {rec.stage}")
        elif need_data and not self.ids:
            rec.skip("no tracked repository has data yet")
        else:
            return False
        return True

    def _unchanged(self, stage: str, digest: str) -> bool:
        return fp.recorded(self.con, stage, ["portfolio"]).get("portfolio") == digest

    def portfolio_stages(self) -> Path | None:
        self.ids = ids = self.tracked_ids()
        log = self.log
        setting = str(config.resolve("bots", None, self.toml))
        bots = sorted(
            {b for r in self.tracked for b in r.bots}
            | {b.strip() for b in setting.split(",")} - {""}
        )
        log.plan(None, ["identities", "graphs", "snapshots", "risk", "report"])
        with log.stage(None, "identities") as rec:
            if self._blocked(rec, need_data=False):
                pass
            elif not bots:
                rec.skip("no extra bot names configured")
            elif self._unchanged(
                "identities", fp.portfolio_digest({}, fp.identity_digest(self.con), bots)
            ):
                rec.skip("unchanged since the last run")
            else:
                stages.merge_identities(self.con, rec, bots)
                if rec.status == "running":
                    after = fp.portfolio_digest({}, fp.identity_digest(self.con), bots)
                    fp.record(self.con, "identities", {"portfolio": after}, log.run_id)

        excl = {rid: r.exclude for rid, r in ids.items() if r.exclude}
        digests = fp.repo_digests(
            self.con,
            sorted(ids),
            today=self.today,
            options={rid: list(p) for rid, p in excl.items()},
        )

        with log.stage(None, "graphs") as rec:
            if not self._blocked(rec):
                done = fp.recorded(self.con, "graphs", [f"repo:{rid}" for rid in digests])
                changed = sorted(r for r, d in digests.items() if done.get(f"repo:{r}") != d)
                if not changed:
                    rec.skip("unchanged since the last run")
                else:
                    stages.compute_graphs(self.con, rec, changed, excl)
                    if rec.status == "running":
                        fresh = {f"repo:{r}": digests[r] for r in changed}
                        fp.record(self.con, "graphs", fresh, log.run_id)

        with log.stage(None, "snapshots") as rec:
            if not self._blocked(rec):
                stages.snapshot_metrics(self.con, rec, sorted(ids), log.run_id)

        whole = fp.portfolio_digest(digests, self.device)
        with log.stage(None, "risk") as rec:
            if self._blocked(rec):
                pass
            elif self._unchanged("risk", whole):
                rec.skip("unchanged since the last run")
            else:
                stages.score_risk(self.con, rec, self.device)
                if rec.status == "running":
                    fp.record(self.con, "risk", {"portfolio": whole}, log.run_id)

        report: Path | None = None
        site = fp.portfolio_digest(
            digests, str(self.out_dir.resolve()) + _privacy_key(self.privacy)
        )
        with log.stage(None, "report") as rec:
            index = self.out_dir / "index.html"
            if self._blocked(rec):
                pass
            elif index.exists() and self._unchanged("report", site) and self.portfolio_ok():
                rec.skip("unchanged since the last run")
                report = index
            else:
                rows = self.con.execute(
                    "SELECT full_name FROM repos WHERE list_contains(?, repo_id) ORDER BY full_name",
                    [sorted(ids)],
                ).fetchall()
                report = stages.build_reports(
                    self.con, rec, self.out_dir, [r[0] for r in rows], privacy=self.privacy
                )
                if rec.status == "running" and report is not None:
                    fp.record(self.con, "report", {"portfolio": site}, log.run_id)
        return report

    def portfolio_ok(self) -> bool:
        """Whether every portfolio stage before the report ended ok or skipped."""
        return all(s.status in ("ok", "skipped") for s in self.portfolio if s.stage != "report")


def _privacy_key(privacy: PrivacyOptions | None) -> str:
    """What of the privacy options changes the site (the salt only through a keyed hash)."""
    if privacy is None:
        return ""
    salt = privacy.pseudonym("site") if privacy.publish else ""
    return f"|{privacy.publish}|{sorted(privacy.allow_names)}|{privacy.identity_keys}|{salt}"


def run_nightly(
    db_path: str | os.PathLike[str],
    config_path: str | os.PathLike[str],
    *,
    jobs: int = 1,
    out_dir: str | os.PathLike[str] | None = None,
    skip: Sequence[str] = (),
    today: date | None = None,
    publish: bool | None = None,
) -> NightlyResult:
    """Run the whole pipeline for the repositories tracked in ``config_path``.

    Raises ``ConfigError`` for a malformed config, ``UsageError`` when nothing is tracked,
    ``AlreadyRunning`` when another run holds the lock, ``StoreError`` when the store cannot
    be opened or written. Every other failure is recorded per repository and stage in the
    result (and in ``runs``); ``NightlyResult.exit_code`` says how the run went.
    """
    t0 = time.perf_counter()
    unknown = sorted(set(skip) - set(STAGES))
    if unknown:
        raise UsageError(f"unknown stage '{unknown[0]}' for --skip", f"stages: {', '.join(STAGES)}")
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}", "use --jobs 1 or more")
    cfg = Path(config_path)
    tracked = load_tracked(cfg)
    toml = config.load_toml(cfg)
    if not tracked:
        raise UsageError(
            f"no repositories are tracked in {cfg}",
            "add one with `ossmetrics track add OWNER/REPO [--git PATH_OR_URL]`",
        )
    out = Path(out_dir) if out_dir else Path(str(config.resolve("out", None, toml)))
    privacy = PrivacyOptions.resolve(publish, toml)  # a publish run without a salt stops here
    if stages.available("git") is not None:  # a bad git_jobs fails the run, not every repo
        from ossmetrics.collect.git import git_jobs

        git_jobs(config.resolve("git_jobs", None, toml))
    db = Path(db_path)
    with NightlyLock(lock_path_for(db)):
        con = connect(db)
        try:
            run = _Run(
                con,
                tracked,
                toml,
                jobs=jobs,
                out_dir=out,
                today=today or datetime.now(UTC).date(),
                skip=frozenset(skip),
                privacy=privacy,
            )
            run.log.start()
            if run.log.interrupted_before:
                run.warnings.append(
                    f"the previous run was interrupted ({run.log.interrupted_before} unfinished "
                    "steps marked 'interrupted'); this run completes its work"
                )
            run.collect_all()
            report = run.portfolio_stages()
            result = NightlyResult(
                run_id=run.log.run_id,
                repos=run.outcomes,
                portfolio=run.portfolio,
                warnings=run.warnings,
                report=report,
            )
            result.seconds = time.perf_counter() - t0
            run.log.finish(result.status, result.seconds)
            return result
        finally:
            with suppress(duckdb.Error):  # a full disk can fail the final checkpoint too
                con.close()

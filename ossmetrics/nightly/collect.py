"""Nightly's source: collect every tracked repository (``fetch`` → ``git`` → ``github``).

This is what feeds ``PIPELINE`` on a nightly run (``demo`` feeds it the bundled sample
instead). Every step is a row of ``runs`` keyed by the repository, and catches its own failure,
so one repository's error never stops the others. DuckDB has a single writer, so collection
writes one repository at a time (which also bounds memory by the largest repository); ``jobs``
runs the clones and fetches — network-bound, no store access — in background threads, ahead
of the collector.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ossmetrics.collect.git import collect_git
from ossmetrics.collect.github_schedule import TokenLock, budget_order
from ossmetrics.config import Settings
from ossmetrics.errors import GitHubError, RateLimited
from ossmetrics.nightly.clones import CloneResult, clone_dir_for, clone_or_fetch
from ossmetrics.pipeline.runs import RunLog, StageRecord
from ossmetrics.secret_env import github_token
from ossmetrics.tracking import TrackedRepo, is_url

__all__ = ["RepoOutcome", "TrackedCollection"]


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


def _outcome(repo: TrackedRepo, recs: list[StageRecord]) -> RepoOutcome:
    states = [r.status for r in recs]
    status = (
        "failed" if "failed" in states else "rate_limited" if "rate_limited" in states else "ok"
    )
    return RepoOutcome(
        repo=repo.label,
        status=status,
        items=sum(r.items for r in recs),
        requests=sum(r.requests for r in recs),
        seconds=sum(r.seconds for r in recs),
        notes=[f"{r.stage}: {r.error}" for r in recs if r.error and r.status != "ok"],
        repo_id=next((r.repo_id for r in recs if r.repo_id is not None), None),
    )


class TrackedCollection:
    """Collects the tracked repositories into the store, recording each step in ``runs``."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        log: RunLog,
        tracked: list[TrackedRepo],
        settings: Settings,
        *,
        bots: tuple[str, ...],
        jobs: int,
        skip: frozenset[str],
    ) -> None:
        self.con, self.log, self.tracked, self.settings = con, log, tracked, settings
        self.bots, self.jobs, self.skip = bots, max(1, jobs), skip
        self.token = github_token(settings.token_env)
        self.cache_dir = Path(settings.cache_dir)
        self.rate_limited: RateLimited | None = None
        self.warnings: list[str] = []
        self.outcomes: list[RepoOutcome] = []
        # why GitHub is not collected this run although a token is set (its lock is held)
        self.github_blocked: str | None = None

    def run(self) -> dict[int, TrackedRepo]:
        """Collect every tracked repository; return the ones in the store, by repo_id."""
        urls = sorted({r.git for r in self.tracked if r.git and is_url(r.git)})
        if "git" in self.skip:
            urls = []
        gh = [r for r in self.tracked if r.collects_github]
        if gh and not self.token and "github" not in self.skip:
            self.warnings.append(
                f"${self.settings.token_env} is not set: GitHub collection skipped for {len(gh)} "
                "repositories (git collection still runs) — export a token to collect issues and pull requests"
            )
        with contextlib.ExitStack() as stack:
            if gh and self.token and "github" not in self.skip:
                # one process per token (the budget is the token's): a `collect github --tracked`
                # holding it means GitHub waits for the next night; git still runs
                try:
                    stack.enter_context(TokenLock(self.token, self.settings.api_url))
                except GitHubError as exc:
                    self.github_blocked = exc.one_line()
                    self.warnings.append(f"GitHub collection skipped: {exc.one_line()}")
            self._collect_all(urls)
        ids: dict[int, TrackedRepo] = {}
        for repo, outcome in zip(self.tracked, self.outcomes, strict=True):
            rid = outcome.repo_id or self._known_id(repo)
            if rid is not None:
                ids[rid] = repo
        return ids

    def _collect_all(self, urls: list[str]) -> None:
        cache = self.cache_dir
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="fetch") as pool:
            futures = {u: pool.submit(clone_or_fetch, u, cache) for u in urls}
            # GitHub's budgets are best spent on increments first, then first syncs smallest
            # first (docs/collect-github.md); outcomes stay in the configuration's order
            budgeted = bool(self.token) and "github" not in self.skip
            order = budget_order(self.con, [r.name for r in self.tracked if r.name and budgeted])
            rank = {name: i for i, name in enumerate(order)}
            done: dict[int, RepoOutcome] = {}
            todo = sorted(enumerate(self.tracked), key=lambda e: rank.get(e[1].name or "", -1))
            for idx, repo in todo:
                done[idx] = self._one(repo, futures)
            self.outcomes.extend(done[i] for i in range(len(self.tracked)))

    def _source(self, repo: TrackedRepo) -> Path | None:
        """Where the git collector reads ``repo``: its path, or its clone in the cache."""
        if not repo.git:
            return None
        return clone_dir_for(self.cache_dir, repo.git) if is_url(repo.git) else Path(repo.git)

    def _known_id(self, repo: TrackedRepo) -> int | None:
        """The repo_id of a tracked repository already in the store: by name, else by git path."""
        if repo.name:
            row = self.con.execute(
                "SELECT repo_id FROM repos WHERE lower(full_name) = lower(?)", [repo.name]
            ).fetchall()
        elif (src := self._source(repo)) is not None:
            p = src.resolve()
            row = self.con.execute(
                "SELECT repo_id FROM repos WHERE git_path IN (?, ?) ORDER BY repo_id LIMIT 1",
                [str(p), str(p / ".git")],
            ).fetchall()
        else:
            return None
        return int(row[0][0]) if row else None

    def _one(self, repo: TrackedRepo, futures: dict[str, Future[CloneResult]]) -> RepoOutcome:
        recs: list[StageRecord] = []
        known = self._known_id(repo)
        fetch = bool(repo.git and is_url(repo.git) and "git" not in self.skip)
        steps = (["fetch"] if fetch else []) + (["git"] if repo.git else [])
        self.log.plan(repo.label, steps + (["github"] if repo.name else []), known)
        path: Path | None = Path(repo.git) if repo.git and not is_url(repo.git) else None
        if fetch:
            assert repo.git is not None
            with self.log.stage(repo.label, "fetch", known) as rec:
                recs.append(rec)
                path = futures[repo.git].result().path
        if repo.git:
            with self.log.stage(repo.label, "git", known) as rec:
                recs.append(rec)
                if "git" in self.skip:
                    rec.skip("skipped by --skip git")
                elif path is None:
                    rec.skip("no clone (the fetch failed)")
                else:
                    res = collect_git(
                        self.con,
                        path,
                        repo.name,
                        extra_bots=self.bots,
                        jobs=self.settings.git_jobs,
                    )
                    rec.repo_id = known = res.repo_id
                    rec.items = res.commits_added + res.commits_removed
        if repo.name:
            with self.log.stage(repo.label, "github", known) as rec:
                recs.append(rec)
                self._github(rec, repo)
        return _outcome(repo, recs)

    def _github(self, rec: StageRecord, repo: TrackedRepo) -> None:
        if "github" in self.skip:
            rec.skip("skipped by --skip github")
        elif not repo.github:
            rec.skip("github = false in the config")
        elif not self.token:
            rec.skip(f"${self.settings.token_env} not set")
        elif self.github_blocked is not None:
            rec.skip(self.github_blocked)
        elif self.rate_limited is not None and (
            self.rate_limited.reset_at is None or self.rate_limited.reset_at > datetime.now(UTC)
        ):
            rec.status = "rate_limited"
            rec.error = "not started: the GitHub rate limit is spent; the next run resumes"
        else:
            assert repo.name is not None
            # imported here: PyGithub takes a second, and most nights need no GitHub
            from ossmetrics.collect.github import collect_github, graphql_enabled

            try:
                res = collect_github(
                    self.con,
                    repo.name,
                    token=self.token,
                    api_url=self.settings.api_url,
                    max_wait=self.settings.max_wait,
                    stars=repo.stars,
                    extra_bots=self.bots,
                    graphql=graphql_enabled(self.settings.graphql),
                    graphql_reviews_above=self.settings.graphql_reviews_above,
                    graphql_catchup_above=self.settings.graphql_catchup_above,
                )
            except RateLimited as exc:
                self.rate_limited = exc
                raise
            rec.items = sum(res.items.values())
            rec.requests = res.requests
            rec.repo_id = res.repo_id or rec.repo_id

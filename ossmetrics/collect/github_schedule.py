"""One token's two budgets (REST requests, GraphQL points) shared by many tracked repositories.

``collect_tracked`` runs every tracked repository in one process per token, in this order:
increments first, cheapest first (an unchanged repository costs only free 304s), then first
syncs, smallest first, so one very large repository cannot hold up the rest of a portfolio.
A first sync that outlives the budget stops cleanly at the rate limit (``max_wait``) with its
pages and cursors saved, and the next run continues it: large first syncs spread over runs.
An error in one repository fails that repository in one line; the others go on. The result
says what is left and, from the cost model below, when it will be done.

Cost model (docs/collect-github.md, measured with ``benchmarks/bench_github.py``): a GraphQL
first sync of I issues and P pull requests costs ``3⌈I/100⌉ + 4⌈P/100⌉`` points in
``max(⌈I/100⌉, ⌈P/100⌉)`` queries, plus the inline review comments of the reviews that have
any (about ``min(P, R)`` of them for R review comments: 1 query and 1 point per 100), plus
about 13 REST requests (repository, profile, closing requests, releases, commits); an
increment costs a few REST requests, nothing when unchanged.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ossmetrics.collect.github_gql_query import RATE, Query
from ossmetrics.collect.github_graphql import GraphQLClient
from ossmetrics.collect.sync_state import get_state
from ossmetrics.errors import GitHubError, RateLimited

__all__ = [
    "Job",
    "Outcome",
    "Plan",
    "TokenLock",
    "TrackedSummary",
    "budget_order",
    "collect_tracked",
    "first_sync_cost",
    "plan",
    "probe_sizes",
]

REST_PER_HOUR = 5000
POINTS_PER_HOUR = 5000
INCREMENT_REQUESTS = 7  # one conditional request per endpoint; free when answered 304


@dataclass
class Job:
    """One repository's share of the budgets: estimated REST requests and GraphQL points."""

    repo: str
    kind: str  # "increment" or "first"
    requests: float
    points: float


def first_sync_cost(issues: int, pulls: int, review_comments: int | None = None) -> Job:
    """The cost model's estimate of a GraphQL first sync (``review_comments``: default one per PR).

    Inline comments: at most one review with comments per comment, and per PR at least one.
    """
    rc = pulls if review_comments is None else review_comments
    inline = math.ceil(min(pulls, rc) / 100)
    points = 3 * math.ceil(issues / 100) + 4 * math.ceil(pulls / 100) + inline
    queries = max(math.ceil(issues / 100), math.ceil(pulls / 100), 1) + inline
    return Job("", "first", float(13 + queries), float(points))


@dataclass
class Plan:
    """The order jobs run in and when each is expected to finish (hours from now)."""

    order: list[Job]
    done_at: dict[str, float]
    hours: float


def plan(
    jobs: Sequence[Job],
    *,
    requests_left: float = REST_PER_HOUR,
    points_left: float = POINTS_PER_HOUR,
    requests_per_hour: float = REST_PER_HOUR,
    points_per_hour: float = POINTS_PER_HOUR,
) -> Plan:
    """Lay ``jobs`` over hourly budget windows: increments by cost, then first syncs by cost.

    The current window holds what is left now; each later one a full hour's budget. A job
    takes what a window has and continues in the next (a first sync resumes where it stopped).
    """
    # stable sorts: equal costs keep the caller's order
    inc = sorted((j for j in jobs if j.kind != "first"), key=lambda j: j.requests)
    first = sorted((j for j in jobs if j.kind == "first"), key=lambda j: j.points + j.requests)
    order = inc + first
    window, r_left, p_left = 0, float(requests_left), float(points_left)
    r_cap, p_cap = float(requests_left), float(points_left)
    done_at: dict[str, float] = {}
    for job in order:
        r_need, p_need = job.requests, job.points
        while True:
            f = min(
                1.0,
                r_left / r_need if r_need > 0 else 1.0,
                p_left / p_need if p_need > 0 else 1.0,
            )
            r_left -= r_need * f
            p_left -= p_need * f
            r_need -= r_need * f
            p_need -= p_need * f
            if r_need <= 1e-9 and p_need <= 1e-9:
                break
            window, r_left, p_left = window + 1, requests_per_hour, points_per_hour
            r_cap, p_cap = requests_per_hour, points_per_hour
        used = max(1 - r_left / r_cap if r_cap else 0.0, 1 - p_left / p_cap if p_cap else 0.0)
        done_at[job.repo] = window + used
    return Plan(order, done_at, max(done_at.values(), default=0.0))


class TokenLock:
    """At most one collecting process per token: an exclusive ``flock`` on a file named by a
    hash of the token and API URL (the token itself never reaches the file system)."""

    def __init__(self, token: str | None, api_url: str, folder: Path | None = None) -> None:
        digest = hashlib.sha256(f"{api_url}\x1f{token or ''}".encode()).hexdigest()[:16]
        self.path = (folder or Path(tempfile.gettempdir())) / f"ossmetrics-github-{digest}.lock"
        self._fd: int | None = None

    def __enter__(self) -> TokenLock:
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise GitHubError(
                "another ossmetrics process is collecting from GitHub with this token",
                "let it finish (one process per token keeps the rate budget honest), then run again",
            ) from None
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock
            self._fd = None


@dataclass
class Outcome:
    """What happened to one repository in a scheduled run."""

    repo: str
    status: str  # "ok", "partial" (budget spent; resumes next run), "failed"
    requests: int = 0
    graphql_points: int = 0
    items: int = 0
    error: str = ""


@dataclass
class TrackedSummary:
    """Every repository's outcome, what is left, and when the plan says it will be done."""

    outcomes: list[Outcome] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    hours_left: float = 0.0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def probe_sizes(gql: GraphQLClient, repos: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(issues, pull requests) of each repository, 50 per query at 1 point each (counts only)."""
    sizes: dict[str, tuple[int, int]] = {}
    for start in range(0, len(repos), 50):
        chunk = list(repos[start : start + 50])
        parts = []
        for i, name in enumerate(chunk):
            owner, short = name.split("/", 1)
            parts.append(
                f"r{i}: repository(owner: {json.dumps(owner)}, name: {json.dumps(short)}) "
                "{ issues { totalCount } pullRequests { totalCount } }"
            )
        res = gql.run(Query(f"query {{ {RATE} {' '.join(parts)} }}"), {}, shrinkable=False)
        for i, name in enumerate(chunk):
            node = res.data.get(f"r{i}")
            if isinstance(node, dict):
                issues = int((node.get("issues") or {}).get("totalCount") or 0)
                pulls = int((node.get("pullRequests") or {}).get("totalCount") or 0)
                sizes[name.lower()] = (issues, pulls)
    return sizes


def job_for(con: duckdb.DuckDBPyConnection, repo: str, sizes: dict[str, tuple[int, int]]) -> Job:
    """Increment when the store has listed the repository's issues, else a first sync."""
    row = con.execute(
        "SELECT repo_id FROM repos WHERE lower(full_name) = lower(?)", [repo]
    ).fetchone()
    if row is not None:
        cursor, _ = get_state(con, int(row[0]), "github", "issues")
        if cursor is not None:
            return Job(repo, "increment", float(INCREMENT_REQUESTS), 0.0)
    issues, pulls = sizes.get(repo.lower(), (1000, 500))  # unknown: a mid-sized guess
    est = first_sync_cost(issues, pulls)
    return Job(repo, "first", est.requests, est.points)


def budget_order(
    con: duckdb.DuckDBPyConnection,
    repos: Sequence[str],
    sizes: dict[str, tuple[int, int]] | None = None,
) -> list[str]:
    """``repos`` in the order the budgets are best spent: increments by cost, then first syncs
    smallest first (for a caller that runs them itself, such as the nightly pipeline)."""
    return [j.repo for j in plan([job_for(con, r, sizes or {}) for r in repos]).order]


def collect_tracked(
    con: duckdb.DuckDBPyConnection,
    repos: Sequence[str],
    collect: Callable[[str], Any],
    *,
    sizes: dict[str, tuple[int, int]] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_start: Callable[[Job], None] | None = None,
) -> TrackedSummary:
    """Run ``collect(repo)`` (a ``collect_github`` call) for each repository in plan order.

    ``sizes`` maps lower-case names to (issues, pull requests) for repositories never synced
    (``probe_sizes`` asks GitHub for them in one cheap query per 50). A ``RateLimited`` stop
    marks its repository "partial" and ends the run for every first sync still queued (the
    budget is spent); other errors fail one repository.
    """
    jobs = [job_for(con, r, sizes or {}) for r in repos]
    order = plan(jobs).order
    summary = TrackedSummary()
    spent = False
    for job in order:
        if spent and job.kind == "first":
            summary.left.append(job.repo)
            continue
        if on_start is not None:
            on_start(job)
        try:
            res = collect(job.repo)
            out = Outcome(
                job.repo,
                "ok",
                int(res.requests),
                int(res.graphql_points),
                int(sum(res.items.values())),
            )
        except RateLimited as exc:
            spent = True
            out = Outcome(job.repo, "partial", error=exc.one_line())
            summary.left.append(job.repo)
        except GitHubError as exc:
            out = Outcome(job.repo, "failed", error=exc.one_line())
        summary.outcomes.append(out)
        if on_outcome is not None:
            on_outcome(out)
    remaining = [j for j in jobs if j.repo in summary.left]
    summary.hours_left = plan(remaining, requests_left=0, points_left=0).hours if remaining else 0.0
    return summary

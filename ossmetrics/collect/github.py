"""Collect one GitHub repository into the store: incremental, resumable, rate-limit safe.

What is requested, in order, and why it is close to the minimum (docs/collect-github.md):

==================  =========================================================  ==================
endpoint            request                                                    increment
==================  =========================================================  ==================
repo                ``GET /repos/{o}/{r}``                                     ETag
community           ``GET /repos/{o}/{r}/community/profile`` (not for forks)   ETag
issues              ``GET /repos/{o}/{r}/issues?state=all&sort=updated&…``     ``since`` + ETag
issues/comments     ``GET /repos/{o}/{r}/issues/comments?sort=updated&…``      ``since`` + ETag
pulls/comments      ``GET /repos/{o}/{r}/pulls/comments?sort=updated&…``       ``since`` + ETag
pulls/reviews       ``GET /repos/{o}/{r}/pulls/{n}/reviews`` per updated PR     PR updated_at
releases            ``GET /repos/{o}/{r}/releases``                            ETag on page 1
commits             ``GET /repos/{o}/{r}/commits?since=…`` (login links only)  ``since`` + ETag
stargazers          ``GET /repos/{o}/{r}/stargazers`` (``--stars``)            last page + ETag
==================  =========================================================  ==================

Each page is written in one transaction together with the endpoint's cursor in ``sync_state``,
so a run that stops anywhere resumes from its last committed page, and a stopped-then-resumed
run leaves the same rows as an uninterrupted one. A ``since`` listing ends with one request at
the new cursor (minus the overlap) whose ETag is kept: the next run of an unchanged repository
sends only conditional requests, each answered ``304`` at no rate-limit cost.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb

from ossmetrics.collect import github_endpoints as ep
from ossmetrics.collect.github_client import GitHubClient, RetryPolicy
from ossmetrics.collect.github_paging import as_utc
from ossmetrics.store import transaction
from ossmetrics.store.repos import validate_repo_name

__all__ = [
    "ANONYMOUS_WARNING",
    "GitHubCollectResult",
    "ProgressHook",
    "RetryPolicy",
    "collect_github",
    "finish_identities",
]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # the CLI prints its own warning; apps configure logging

ANONYMOUS_WARNING = "no GitHub token set: anonymous access allows only 60 requests per hour"


class ProgressHook:
    """What a display is told. Subclass and override; the default does nothing."""

    def endpoint(self, name: str) -> None:
        """Started collecting ``name``."""

    def items(self, name: str, n: int) -> None:
        """``n`` more items of ``name`` were saved."""

    def wait(self, seconds_left: float, reason: str) -> None:
        """Waiting (rate limit, backoff); called about once a second, 0 when done."""


class _PrintHook(ProgressHook):
    """``progress=True`` without a display of the caller's: plain lines on stderr."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False)
        self._last = -1

    def endpoint(self, name: str) -> None:
        self.console.print(f"github: {name}", markup=False)

    def wait(self, seconds_left: float, reason: str) -> None:
        s = int(seconds_left)
        if s != self._last and (s % 10 == 0 or s <= 5):
            self.console.print(f"github: {reason}, {s} s left", markup=False)
        self._last = s


@dataclass
class GitHubCollectResult:
    """What one ``collect_github`` run did: requests sent, 304s among them, items per table."""

    repo: str
    repo_id: int
    requests: int = 0
    not_modified: int = 0
    items: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    renamed_from: str | None = None
    waited_s: float = 0.0


def collect_github(
    con: duckdb.DuckDBPyConnection,
    repo: str,
    *,
    token: str | None,
    api_url: str = "https://api.github.com",
    since: datetime | date | None = None,
    max_wait: float = 900,
    stars: bool = False,
    progress: bool | ProgressHook = False,
    commits: bool = True,
    policy: RetryPolicy | None = None,
    overlap_s: float = 60.0,
) -> GitHubCollectResult:
    """Collect (or bring up to date) ``repo`` from the GitHub API at ``api_url``.

    Args:
        token: a GitHub token, or None for anonymous access (60 requests/hour).
        since: on the first collection of the repository, only items updated from then on;
            later runs continue from their stored cursors.
        max_wait: longest wait for a rate-limit reset before stopping with ``RateLimited``.
        stars: also collect stargazers with their ``starred_at`` times.
        progress: True for lines on stderr, or a ``ProgressHook`` of the caller's.
        commits: link commit author logins to git identities via ``GET /commits``.
        policy: retry and wait settings (tests make them tiny).
        overlap_s: how far before a cursor each ``since`` request starts (``since`` is not
            documented as inclusive, and clocks differ).
    """
    started = time.monotonic()
    if not token:
        log.warning(ANONYMOUS_WARNING)
    requested = validate_repo_name(repo)
    hook = (
        progress
        if isinstance(progress, ProgressHook)
        else (_PrintHook() if progress else ProgressHook())
    )
    pol = dataclasses.replace(policy or RetryPolicy(), max_wait=float(max_wait))
    client = GitHubClient(
        token=token, api_url=api_url, policy=pol, on_wait=hook.wait, repo=requested
    )
    existing = ep.existing_repo(con, requested)
    result = GitHubCollectResult(repo=requested, repo_id=existing[0] if existing else 0)
    try:
        repo_id, full_name, result.renamed_from = ep.sync_repo(
            con, client, existing, requested, hook
        )
        result.repo, result.repo_id = full_name, repo_id
        ctx = ep.Ctx(
            con,
            client,
            repo_id,
            full_name,
            hook,
            as_utc(since),
            timedelta(seconds=overlap_s),
            result.items,
        )
        steps: list[tuple[str, Callable[[ep.Ctx], None]]] = [
            ("community", ep.sync_community),
            ("issues", ep.sync_issues),
            ("issues/comments", ep.sync_issue_comments),
            ("pulls/comments", ep.sync_review_comments),
            ("pulls/reviews", ep.sync_reviews),
            ("releases", ep.sync_releases),
        ]
        if commits:
            steps.append(("commits", ep.sync_commits))
        if stars:
            steps.append(("stargazers", ep.sync_stars))
        try:
            for name, step in steps:
                hook.endpoint(name)
                ep.guarded(ctx, name, step)
        except Exception:
            # the pages written so far stay; their people must exist even if this run stops
            try:
                finish_identities(con)
            except Exception:  # never hide the error that stopped the run
                log.exception("identity merge after a failed GitHub run failed too")
            raise
        finish_identities(con)
    finally:
        client.close()
        result.requests = client.requests
        result.not_modified = client.not_modified
        result.waited_s = client.waited_s
        result.seconds = time.monotonic() - started
    return result


# -- identities ------------------------------------------------------------------------------


def finish_identities(con: duckdb.DuckDBPyConnection) -> None:
    """Give every identity a person: the git engineer's merge when present, else one each."""
    merge: Callable[[duckdb.DuckDBPyConnection], int] | None
    try:
        from ossmetrics.collect.identities import merge_identities as merge
    except ImportError:  # the identities module is not there: one person per identity
        merge = None
    if merge is not None:
        merge(con)  # its own transaction
        return
    with transaction(con):
        _own_people(con)


def _own_people(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "UPDATE identities SET person_id = identity_id WHERE person_id IS NULL AND source = 'github'"
    )
    con.execute(
        """
        INSERT INTO people (person_id, display_name, github_login, is_bot)
        SELECT i.identity_id, i.login, i.login, i.is_bot FROM identities i
        ANTI JOIN people p ON p.person_id = i.person_id
        WHERE i.source = 'github' AND i.person_id = i.identity_id
        """
    )

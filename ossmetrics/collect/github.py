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

With a token, a repository whose issues were never listed (also with ``--since``) is first
read through GraphQL (``github_gql_sync``: issues and PRs with comments, reviews, inline review
comments, labels and assignees, 100 + 100 per query at 7 points), which then hands its cursors
to the REST listings above. An increment whose issues listing holds more than
``graphql_catchup_above`` changed items is read the same way from the cursor (a catch-up) when
the cost model says so, and
reviews of more than ``graphql_reviews_above`` changed PRs also come through GraphQL. Modules:
``github_endpoints`` (one function per REST endpoint), ``github_paging`` (paging generators),
``github_client``/``github_graphql`` (transports), ``github_gql_*`` (GraphQL queries, shapes,
nested connections, the paged sync), ``github_save*`` (writers), ``github_schedule`` (many
repositories, one token).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb

from ossmetrics.collect import github_endpoints as ep
from ossmetrics.collect import github_gql_nested as nested
from ossmetrics.collect import github_gql_sync as gsync
from ossmetrics.collect.github_client import GitHubClient, Response, RetryPolicy
from ossmetrics.collect.github_graphql import GraphQLClient
from ossmetrics.collect.github_paging import as_utc
from ossmetrics.collect.github_save import parse_ts
from ossmetrics.collect.identities import merge_identities
from ossmetrics.errors import BadParameter, GraphQLUnavailable
from ossmetrics.store import transaction
from ossmetrics.store.repos import validate_repo_name

__all__ = [
    "ANONYMOUS_WARNING",
    "GRAPHQL_CATCHUP_ABOVE",
    "GRAPHQL_REVIEWS_ABOVE",
    "GitHubCollectResult",
    "ProgressHook",
    "RetryPolicy",
    "collect_github",
    "finish_identities",
    "graphql_enabled",
]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # the CLI prints its own warning; apps configure logging

ANONYMOUS_WARNING = "no GitHub token set: anonymous access allows only 60 requests per hour"
#: Reviews of more changed PRs than this come through GraphQL (1 query and ~1 point per 50 PRs)
#: instead of one REST request per PR; see docs/collect-github.md for the measured costs.
GRAPHQL_REVIEWS_ABOVE = 2
#: An increment with more changed issues+PRs than this (estimated from the REST listing's first
#: answer) is read through GraphQL when ``github_gql_sync.CatchupCost`` finds that cheaper than
#: REST listings; measured costs in docs/collect-github.md.
GRAPHQL_CATCHUP_ABOVE = 100


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
    """What one ``collect_github`` run did: requests sent (REST and GraphQL; ``graphql_requests``
    of them GraphQL queries, costing ``graphql_points``), 304s among them, items per table."""

    repo: str
    repo_id: int
    requests: int = 0
    not_modified: int = 0
    items: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    renamed_from: str | None = None
    waited_s: float = 0.0
    graphql_requests: int = 0
    graphql_points: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def cost(self) -> int:
        """Requests not answered 304 (REST and GraphQL) plus GraphQL points: the figure the
        collector minimises, as the two budgets (5,000 requests, 5,000 points an hour) are alike."""
        return self.requests - self.not_modified + self.graphql_points


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
    graphql: bool = True,
    graphql_reviews_above: int = GRAPHQL_REVIEWS_ABOVE,
    graphql_catchup_above: int = GRAPHQL_CATCHUP_ABOVE,
    extra_bots: Sequence[str] = (),
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
        graphql: use GitHub's GraphQL API for a first sync of issues and PRs and for reviews
            of many changed PRs (needs a token; falls back to REST with a warning).
        graphql_reviews_above: reviews of more changed PRs than this go through GraphQL.
        graphql_catchup_above: an increment with more changed issues+PRs than this is read
            through GraphQL (items with comments, reviews and inline comments).
        extra_bots: bot names/emails on top of the built-in rules for the identity re-merge
            (callers pass the ``bots`` setting).
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
    gql = (
        GraphQLClient(token=token, api_url=api_url, policy=pol, on_wait=hook.wait, repo=requested)
        if graphql and token
        else None
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
        if gql is not None:
            gql.repo = full_name
        switch = _GraphQLSwitch(gql, graphql_reviews_above, graphql_catchup_above, result)
        steps: list[tuple[str, Callable[[ep.Ctx], None]]] = [("community", ep.sync_community)]
        if gql is not None and gsync.first_sync_due(ctx):
            steps.append(("graphql", switch.first_sync))
        steps += [
            ("issues", switch.issues),
            ("issues/comments", ep.sync_issue_comments),
            ("pulls/comments", ep.sync_review_comments),
            ("pulls/reviews", switch.reviews),
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
                finish_identities(con, extra_bots)
            except Exception:  # never hide the error that stopped the run
                log.exception("identity merge after a failed GitHub run failed too")
            raise
        finish_identities(con, extra_bots)
    finally:
        client.close()
        if gql is not None:
            gql.close()
            result.graphql_requests = gql.requests
            result.graphql_points = gql.points
            result.waited_s += gql.waited_s
        result.requests = client.requests + result.graphql_requests
        result.not_modified = client.not_modified
        result.waited_s += client.waited_s
        result.seconds = time.monotonic() - started
    return result


class _GraphQLSwitch:
    """Which API serves a step: GraphQL while the token has it, REST after a refusal."""

    #: skip the catch-up's cost comparison (``benchmarks/bench_github.py`` measures both ways)
    force_catchup = False

    def __init__(
        self,
        gql: GraphQLClient | None,
        reviews_above: int,
        catchup_above: int,
        result: GitHubCollectResult,
    ) -> None:
        self.gql = gql
        self.reviews_above = reviews_above
        self.catchup_above = catchup_above
        self.result = result

    def _fallback(self, exc: GraphQLUnavailable) -> None:
        text = f"{exc.one_line()}; continuing with the REST API"
        log.warning("%s", text)
        self.result.warnings.append(text)
        self.gql = None

    def first_sync(self, ctx: ep.Ctx) -> None:
        if self.gql is None:
            return
        try:
            gsync.sync_first(ctx, self.gql)
        except GraphQLUnavailable as exc:
            self._fallback(exc)

    def issues(self, ctx: ep.Ctx) -> None:
        """The issues listing; a large increment is handed to GraphQL after its first answer
        (a 304 stays a 304: an unchanged repository never reaches GraphQL)."""
        gql = self.gql
        if gql is None:
            ep.sync_issues(ctx)
            return
        estimate: list[gsync.CatchupCost] = []

        def divert(resp: Response) -> bool:
            n = ep.changed_estimate(resp)
            if n <= self.catchup_above:
                return False
            cost = gsync.catchup_cost(ctx, n, resp.data if isinstance(resp.data, list) else [])
            if self.force_catchup or cost.graphql < cost.rest:
                estimate.append(cost)
                return True
            return False

        ep.sync_issues(ctx, divert=divert)
        if not estimate:
            return
        cursor = parse_ts(ctx.state("issues")[0])
        assert cursor is not None  # divert is only asked on an increment
        log.info("%s: catching up by GraphQL (%s)", ctx.full_name, estimate[0])
        try:
            gsync.sync_catchup(ctx, gql, cursor - ctx.overlap)
        except GraphQLUnavailable as exc:
            self._fallback(exc)
        ep.sync_issues(ctx)  # from the new cursor: the closing request and its ETag

    def reviews(self, ctx: ep.Ctx) -> None:
        prs = ep.prs_to_review(ctx)
        if self.gql is not None and len(prs) > self.reviews_above:
            try:
                nested.sync_reviews_graphql(ctx, self.gql, prs)
                ctx.done("pulls/reviews")
                return
            except GraphQLUnavailable as exc:
                self._fallback(exc)
                prs = ep.prs_to_review(ctx)
        ep.sync_reviews(ctx, prs)


# -- identities ------------------------------------------------------------------------------


def graphql_enabled(value: object) -> bool:
    """The ``graphql`` setting as a switch: on/off, true/false, yes/no, 1/0."""
    text = str(value).strip().lower()
    if text in ("on", "true", "yes", "1"):
        return True
    if text in ("off", "false", "no", "0"):
        return False
    raise BadParameter(f"graphql setting '{value}' is not on or off", 'set graphql = "on" or "off"')


def finish_identities(con: duckdb.DuckDBPyConnection, extra_bots: Sequence[str] = ()) -> None:
    """Give every identity a person: the identity merge, with the user's bot names.

    First drops the logins of forgotten people the payloads brought back (`people forget`).
    """
    from ossmetrics.collect.forget import honour_forgotten

    with transaction(con):
        honour_forgotten(con)
    merge_identities(con, extra_bots=extra_bots)  # its own transaction

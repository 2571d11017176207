"""The GraphQL path: first syncs (whole, or ``--since``) and large catch-ups of issues and PRs.

One query asks for a page of issues *and* a page of pull requests, each item with its comments,
labels, assignees and (PRs) reviews; the reviews that have inline comments are then asked for
theirs (``github_gql_nested``). A nested connection with more than one page gets follow-up
queries for just that connection of that item before the page is written. The page's rows and
both connection cursors (``sync_state`` endpoints ``graphql/issues`` and ``graphql/pulls``,
JSON ``{"after", "max", "done", "since"}``) commit in one transaction, so a stopped sync resumes
with the next page. When both are done, the same transaction sets the REST cursors (``issues``,
``issues/comments``, ``pulls/comments``, ``pulls/reviews``), and the run continues on REST: the
``since`` listings then cost one closing request each, whose ETags make the next unchanged run
all 304s.

With a ``since`` (``--since`` on a first sync, or a catch-up from the REST cursor when many
items changed) issues are filtered by ``filterBy: {since:}`` (oldest update first) and pull
requests, which have no such filter, are read newest update first until one is older than
``since``. Comments and inline comments older than ``since`` are dropped, as the REST ``since``
listings drop them, so both paths write the same rows.

GitHub may fail a big query (502, a timeout, ``RESOURCE_LIMITS_EXCEEDED``): the page size is
halved (down to ``MIN_PAGE``) and grows back after two answered pages.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ossmetrics.collect import github_gql_query as gq
from ossmetrics.collect import github_gql_shape as shape
from ossmetrics.collect import github_save as save
from ossmetrics.collect.github_endpoints import Ctx
from ossmetrics.collect.github_gql_nested import SUB, check_partial, inline_comments, rest_of
from ossmetrics.collect.github_graphql import GraphQLClient, TooBig
from ossmetrics.collect.github_paging import fmt
from ossmetrics.store import transaction

__all__ = ["CatchupCost", "catchup_cost", "first_sync_due", "sync_catchup", "sync_first"]

log = logging.getLogger(__name__)

PAGE = 100  # issues / PRs per page
MIN_PAGE = 5
KINDS = {"issues": ("issues", "Issue"), "pulls": ("pullRequests", "PullRequest")}


@dataclass
class _Progress:
    after: str | None = None
    max: str | None = None
    done: bool = False
    started: bool = False
    since: str | None = None

    def dump(self) -> str:
        return json.dumps(
            {"after": self.after, "max": self.max, "done": self.done, "since": self.since}
        )


def _load(ctx: Ctx, kind: str) -> _Progress:
    cursor, _ = ctx.state(f"graphql/{kind}")
    if not cursor:
        return _Progress()
    try:
        d = json.loads(cursor)
    except ValueError:
        return _Progress()
    return _Progress(d.get("after"), d.get("max"), bool(d.get("done")), True, d.get("since"))


def first_sync_due(ctx: Ctx) -> bool:
    """GraphQL reads issues and PRs when REST never listed them, or to finish its own sync
    (a first sync, or a catch-up a stopped run left unfinished)."""
    progress = [_load(ctx, k) for k in KINDS]
    if any(p.started and not p.done for p in progress):
        return True
    return ctx.state("issues")[0] is None and not all(p.done for p in progress)


def _later(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if (save.parse_ts(a) or datetime.min) > (save.parse_ts(b) or datetime.min) else b


def _older(stamp: str | None, since: datetime | None) -> bool:
    ts = save.parse_ts(stamp)
    return since is not None and ts is not None and ts < since


def sync_first(ctx: Ctx, gql: GraphQLClient) -> None:
    """A first sync (``ctx.since`` for ``--since``), or the rest of one a stopped run left."""
    progress = {k: _load(ctx, k) for k in KINDS}
    if not any(p.started and not p.done for p in progress.values()):
        since = fmt(ctx.since) if ctx.since is not None else None
        progress = {k: _Progress(since=since) for k in KINDS}
    _run(ctx, gql, progress)


def sync_catchup(ctx: Ctx, gql: GraphQLClient, since: datetime) -> None:
    """Issues and PRs changed from ``since`` on (a large increment), then the REST cursors."""
    _run(ctx, gql, {k: _Progress(since=fmt(since)) for k in KINDS})


@dataclass(frozen=True)
class CatchupCost:
    """What an increment of ``items`` changed issues+PRs (``pulls`` of them PRs, ``comments``
    new comments) is expected to cost (requests not answered 304 + points) each way.

    The model, checked against ``benchmarks/bench_github.py`` (within 1 for 100-2,000 items):
    REST listings cost a request per 100 items, per 100 new comments and per 100 inline
    comments (about one per changed PR), reviews 1 query + 1 point per 50 PRs, and 4 closing
    requests; GraphQL costs 8 per page of 100 issues + 100 PRs (7 points and the query), 4 per
    page of issues alone, 5 per page of PRs alone (PRs come newest first and end on the page
    after the last changed one), 2 per 100 PRs' inline comments, and 7 requests around them
    (the listing's first answer, the closing requests).
    """

    items: int
    pulls: int
    comments: int

    @property
    def rest(self) -> int:
        k, p = self.items, self.pulls
        return _up(k) + _up(self.comments) + _up(p) + 2 * _up(p, 50) + 4

    @property
    def graphql(self) -> int:
        issues, pulls = max(1, _up(self.items - self.pulls)), _up(self.pulls + 1)
        both = min(issues, pulls)
        pages = 8 * both + 4 * (issues - both) + 5 * (pulls - both)
        return pages + 2 * _up(self.pulls) + 7


def _up(n: int, per: int = PAGE) -> int:
    return -(-max(0, n) // per)


def catchup_cost(ctx: Ctx, items: int, first_page: Sequence[dict[str, Any]]) -> CatchupCost:
    """The cost model's inputs from the issues listing's first answer: ``items`` changed (from
    its ``last`` link), the share of PRs and the new comments per item on that page (its
    ``comments`` counts against the stored ones), extrapolated to all ``items``."""
    page = [i for i in first_page if isinstance(i, dict) and "number" in i]
    if not page:
        return CatchupCost(items, 0, 0)
    stored = dict(
        ctx.con.execute(
            "SELECT number, coalesce(comments, 0) FROM issues WHERE repo_id = ? AND number IN (SELECT unnest(?))",
            [ctx.repo_id, [int(i["number"]) for i in page]],
        ).fetchall()
    )
    new = sum(max(0, int(i.get("comments") or 0) - stored.get(int(i["number"]), 0)) for i in page)
    pulls = sum(1 for i in page if i.get("pull_request") is not None)
    return CatchupCost(items, items * pulls // len(page), items * new // len(page))


def _run(ctx: Ctx, gql: GraphQLClient, progress: dict[str, _Progress]) -> None:
    """Page through both connections; see the module docstring."""
    owner, name = ctx.full_name.split("/", 1)
    size, streak = PAGE, 0
    while True:
        active = [k for k in KINDS if not progress[k].done]
        if not active:
            return
        since_text = next((progress[k].since for k in active if progress[k].since), None)
        since = save.parse_ts(since_text)
        conns = [
            gq.issues_conn(size, SUB, since=since is not None)
            if k == "issues"
            else gq.pulls_conn(size, SUB, newest_first=since is not None)
            for k in active
        ]
        variables: dict[str, Any] = {"owner": owner, "name": name}
        if since_text is not None:
            variables["since"] = since_text
        for k in active:
            variables["afterIssues" if k == "issues" else "afterPulls"] = progress[k].after
        try:
            res = gql.run(gq.page_query(conns), variables, shrinkable=size > MIN_PAGE)
        except TooBig as exc:
            log.info("%s: GraphQL page of %d too big (%s); halving", ctx.full_name, size, exc)
            size, streak = max(MIN_PAGE, size // 2), 0
            continue
        check_partial(ctx, res)
        repo = res.data.get("repository") or {}
        issues: list[dict[str, Any]] = []
        comments: list[dict[str, Any]] = []
        reviews: list[tuple[int, list[dict[str, Any]]]] = []
        with_inline: list[tuple[int, dict[str, Any]]] = []
        for k in active:
            field, typename = KINDS[k]
            conn = repo.get(field) or {}
            reached = False  # newest-first PRs: one older than since ends the catch-up
            for node in conn.get("nodes") or []:
                if node is None:
                    continue
                if k == "pulls" and _older(node.get("updatedAt"), since):
                    reached = True
                    break
                number = int(node["number"])
                labels = [str(x["name"]) for x in rest_of(gql, typename, node, "labels")]
                people = [str(x["login"]) for x in rest_of(gql, typename, node, "assignees")]
                issues.append(shape.issue(dict(node, __kind=k[:-1]), labels, people))
                comments += [
                    shape.comment(c, number) for c in rest_of(gql, typename, node, "comments")
                ]
                if k == "pulls":
                    got = rest_of(gql, typename, node, "reviews")
                    reviews.append((number, [shape.review(r) for r in got]))
                    with_inline += [(number, r) for r in got]
                progress[k].max = _later(progress[k].max, node.get("updatedAt"))
            info = conn.get("pageInfo") or {}
            progress[k].after = info.get("endCursor") or progress[k].after
            progress[k].done = reached or not info.get("hasNextPage")
        inline = inline_comments(ctx, gql, with_inline)
        if since is not None:  # as the REST since listings: nothing updated before since
            comments = [c for c in comments if not _older(c.get("updated_at"), since)]
            inline = [c for c in inline if not _older(c.get("updated_at"), since)]
        finished = all(p.done for p in progress.values())
        with transaction(ctx.con):
            n_issues = save.save_issues(ctx.con, ctx.repo_id, issues)
            n_comments = save.save_comments(ctx.con, ctx.repo_id, comments, "issue")
            n_inline = save.save_comments(ctx.con, ctx.repo_id, inline, "review_comment")
            n_reviews = save.save_reviews(ctx.con, ctx.repo_id, reviews)
            for k in active:
                ctx.set_state(f"graphql/{k}", cursor=progress[k].dump(), done=progress[k].done)
            if finished:
                _hand_over(ctx, [p.max for p in progress.values()])
        ctx.count("issues", n_issues)
        ctx.count("issues/comments", n_comments)
        ctx.count("pulls/comments", n_inline)
        ctx.count("pulls/reviews", n_reviews)
        streak += 1
        if size < PAGE and streak >= 2:
            size, streak = min(PAGE, size * 2), 0


def _hand_over(ctx: Ctx, maxima: Sequence[str | None]) -> None:
    """Set the REST cursors so increments continue where GraphQL stopped.

    The issues, comments and inline-comments listings start at the *earlier* of the two
    connections' newest update: anything changed after a connection was read is newer than
    that, so the closing REST request (``since`` = cursor - overlap) sees it.
    """
    seen = [m for m in maxima if m]
    start = min(seen, key=lambda s: save.parse_ts(s) or datetime.min) if seen else None
    if start is not None:
        for endpoint in ("issues", "issues/comments", "pulls/comments"):
            cursor, _ = ctx.state(endpoint)
            if cursor is None or _older(cursor, save.parse_ts(start)):
                ctx.set_state(endpoint, cursor=start)
    last = ctx.con.execute(
        "SELECT number, updated_at FROM issues WHERE repo_id = ? AND is_pull ORDER BY updated_at DESC, number DESC LIMIT 1",
        [ctx.repo_id],
    ).fetchone()
    if last is not None:
        ctx.set_state("pulls/reviews", cursor=f"{fmt(last[1])}|{int(last[0])}")

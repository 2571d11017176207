"""The GraphQL path: first syncs of issues and pull requests, and reviews of many changed PRs.

First sync. One query asks for a page of issues *and* a page of pull requests (oldest update
first), each item with its comments, labels, assignees and (PRs) reviews. A nested connection
with more than one page gets follow-up queries for just that connection of that item
(``node(id:)``) before the page is written. The page's rows and both connection cursors
(``sync_state`` endpoints ``graphql/issues`` and ``graphql/pulls``, JSON
``{"after", "max", "done"}``) commit in one transaction, so a stopped sync resumes with the
next page. When both are done, the same transaction sets the REST cursors (``issues``,
``issues/comments``, ``pulls/reviews``), and the run continues on REST: the ``since``
listings then cost one closing request each, whose ETags make the next unchanged run all 304s.

GitHub may fail a big query (502, a timeout, ``RESOURCE_LIMITS_EXCEEDED``): the page size is
halved (down to ``MIN_PAGE``) and grows back after two answered pages.

Reviews of changed PRs (increments): when more PRs changed than a threshold, their reviews
come in one query per ``REVIEW_PRS`` PRs (aliases ``pullRequest(number:)``) instead of one REST
request each. Cost per 50 PRs: 1 query and 1 point, against 50 REST requests.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ossmetrics.collect import github_gql_query as gq
from ossmetrics.collect import github_gql_shape as shape
from ossmetrics.collect import github_save as save
from ossmetrics.collect.github_endpoints import Ctx, write_reviews
from ossmetrics.collect.github_graphql import GraphQLClient, GraphQLResult, TooBig
from ossmetrics.collect.github_paging import fmt
from ossmetrics.errors import GraphQLError
from ossmetrics.store import transaction

__all__ = ["first_sync_due", "sync_first", "sync_reviews_graphql"]

log = logging.getLogger(__name__)

PAGE = 100  # issues / PRs per page
SUB = 100  # nested nodes per connection and item
MIN_PAGE = 5
REVIEW_PRS = 50  # PRs per reviews query
KINDS = {"issues": ("issues", "Issue"), "pulls": ("pullRequests", "PullRequest")}
_TOLERATED = {"FORBIDDEN", "NOT_FOUND"}  # a nested item GitHub withholds: written as null


@dataclass
class _Progress:
    after: str | None = None
    max: str | None = None
    done: bool = False
    started: bool = False

    def dump(self) -> str:
        return json.dumps({"after": self.after, "max": self.max, "done": self.done})


def _load(ctx: Ctx, kind: str) -> _Progress:
    cursor, _ = ctx.state(f"graphql/{kind}")
    if not cursor:
        return _Progress()
    try:
        d = json.loads(cursor)
    except ValueError:
        return _Progress()
    return _Progress(d.get("after"), d.get("max"), bool(d.get("done")), True)


def first_sync_due(ctx: Ctx) -> bool:
    """GraphQL reads issues and PRs when REST never listed them, or to finish its own sync."""
    progress = [_load(ctx, k) for k in KINDS]
    if any(p.started and not p.done for p in progress):
        return True
    return (
        ctx.state("issues")[0] is None and ctx.since is None and not all(p.done for p in progress)
    )


def _check_partial(ctx: Ctx, res: GraphQLResult, depth: int = 3) -> None:
    """Accept nested items GitHub withholds (their fields are null); fail on anything else.

    ``depth``: how deep a withheld item's path must be (3: below a connection; 2: one aliased
    ``pullRequest`` of a reviews query, e.g. a pull request GitHub has since hidden).
    """
    if not res.errors:
        return
    types = {str(e.get("type")) for e in res.errors}
    deep = all(len(e.get("path") or []) >= depth for e in res.errors)
    if types <= _TOLERATED and deep:
        paths = ", ".join(".".join(map(str, e.get("path") or [])) for e in res.errors[:3])
        log.warning(
            "%s: GitHub withheld %d item(s) of a GraphQL answer (%s); stored as unknown",
            ctx.full_name,
            len(res.errors),
            paths,
        )
        ctx.count("graphql/withheld", len(res.errors))
        return
    first = res.errors[0]
    raise GraphQLError(
        f"GitHub answered a GraphQL query for {ctx.full_name} only in part: {str(first.get('message'))[:160]}",
        "nothing of this page was written; run again, or use --no-graphql",
        types=tuple(sorted(types)),
        repo=ctx.full_name,
    )


def _rest_of(
    gql: GraphQLClient, typename: str, item: dict[str, Any], name: str
) -> list[dict[str, Any]]:
    """All nodes of one nested connection of ``item``: the first page plus follow-ups."""
    conn = item.get(name) or {}
    nodes = [n for n in conn.get("nodes") or [] if n is not None]
    info = conn.get("pageInfo") or {}
    while info.get("hasNextPage"):
        query = gq.follow_up_query(typename, name, SUB)
        res = gql.run(query, {"id": item["id"], "after": info.get("endCursor")}, shrinkable=False)
        more = (res.data.get("node") or {}).get(name) or {}
        nodes.extend(n for n in more.get("nodes") or [] if n is not None)
        info = more.get("pageInfo") or {}
    return nodes


def _later(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if (save.parse_ts(a) or datetime.min) > (save.parse_ts(b) or datetime.min) else b


def sync_first(ctx: Ctx, gql: GraphQLClient) -> None:
    """Issues and PRs with their comments and reviews, page by page; see the module docstring."""
    progress = {k: _load(ctx, k) for k in KINDS}
    owner, name = ctx.full_name.split("/", 1)
    size, streak = PAGE, 0
    while True:
        active = [k for k in KINDS if not progress[k].done]
        if not active:
            return
        conns = [
            gq.issues_conn(size, SUB) if k == "issues" else gq.pulls_conn(size, SUB) for k in active
        ]
        variables: dict[str, Any] = {"owner": owner, "name": name}
        for k in active:
            variables["afterIssues" if k == "issues" else "afterPulls"] = progress[k].after
        try:
            res = gql.run(gq.page_query(conns), variables, shrinkable=size > MIN_PAGE)
        except TooBig as exc:
            log.info("%s: GraphQL page of %d too big (%s); halving", ctx.full_name, size, exc)
            size, streak = max(MIN_PAGE, size // 2), 0
            continue
        _check_partial(ctx, res)
        repo = res.data.get("repository") or {}
        issues: list[dict[str, Any]] = []
        comments: list[dict[str, Any]] = []
        reviews: list[tuple[int, list[dict[str, Any]]]] = []
        for k in active:
            field, typename = KINDS[k]
            conn = repo.get(field) or {}
            for node in conn.get("nodes") or []:
                if node is None:
                    continue
                number = int(node["number"])
                labels = [str(x["name"]) for x in _rest_of(gql, typename, node, "labels")]
                people = [str(x["login"]) for x in _rest_of(gql, typename, node, "assignees")]
                issues.append(shape.issue(dict(node, __kind=k[:-1]), labels, people))
                comments += [
                    shape.comment(c, number) for c in _rest_of(gql, typename, node, "comments")
                ]
                if k == "pulls":
                    got = _rest_of(gql, typename, node, "reviews")
                    reviews.append((number, [shape.review(r) for r in got]))
                progress[k].max = _later(progress[k].max, node.get("updatedAt"))
            info = conn.get("pageInfo") or {}
            progress[k].after = info.get("endCursor") or progress[k].after
            progress[k].done = not info.get("hasNextPage")
        finished = all(p.done for p in progress.values())
        with transaction(ctx.con):
            n_issues = save.save_issues(ctx.con, ctx.repo_id, issues)
            n_comments = save.save_comments(ctx.con, ctx.repo_id, comments, "issue")
            n_reviews = save.save_reviews(ctx.con, ctx.repo_id, reviews)
            for k in active:
                ctx.set_state(f"graphql/{k}", cursor=progress[k].dump(), done=progress[k].done)
            if finished:
                _hand_over(ctx, [p.max for p in progress.values()])
        ctx.count("issues", n_issues)
        ctx.count("issues/comments", n_comments)
        ctx.count("pulls/reviews", n_reviews)
        streak += 1
        if size < PAGE and streak >= 2:
            size, streak = min(PAGE, size * 2), 0


def _hand_over(ctx: Ctx, maxima: Sequence[str | None]) -> None:
    """Set the REST cursors so increments continue where GraphQL stopped.

    The issues and comments listings start at the *earlier* of the two connections' newest
    update: anything changed after a connection was read is newer than that, so the closing
    REST request (``since`` = cursor - overlap) sees it.
    """
    seen = [m for m in maxima if m]
    start = min(seen, key=lambda s: save.parse_ts(s) or datetime.min) if seen else None
    if start is not None:
        ctx.set_state("issues", cursor=start)
        ctx.set_state("issues/comments", cursor=start)
    last = ctx.con.execute(
        "SELECT number, updated_at FROM issues WHERE repo_id = ? AND is_pull ORDER BY updated_at DESC, number DESC LIMIT 1",
        [ctx.repo_id],
    ).fetchone()
    if last is not None:
        ctx.set_state("pulls/reviews", cursor=f"{fmt(last[1])}|{int(last[0])}")


def _chunks(items: Sequence[tuple[int, datetime]], n: int) -> Iterator[list[tuple[int, datetime]]]:
    for i in range(0, len(items), n):
        yield list(items[i : i + n])


def sync_reviews_graphql(ctx: Ctx, gql: GraphQLClient, prs: list[tuple[int, datetime]]) -> None:
    """Reviews of ``prs`` (``(number, updated_at)``, in cursor order), ``REVIEW_PRS`` per query."""
    owner, name = ctx.full_name.split("/", 1)
    per = REVIEW_PRS
    todo = list(prs)
    while todo:
        batch = todo[:per]
        query = gq.reviews_of_prs_query([n for n, _ in batch], SUB)
        try:
            res = gql.run(query, {"owner": owner, "name": name}, shrinkable=per > 1)
        except TooBig:
            per = max(1, per // 2)
            continue
        _check_partial(ctx, res, depth=2)
        repo = res.data.get("repository") or {}
        by_pr: list[tuple[int, list[dict[str, Any]]]] = []
        for i, (number, _) in enumerate(batch):
            node = repo.get(f"p{i}")
            got = _rest_of(gql, "PullRequest", node, "reviews") if node else []
            by_pr.append((number, [shape.review(r) for r in got]))
        write_reviews(ctx, by_pr, batch[-1])
        todo = todo[len(batch) :]

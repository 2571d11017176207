"""Nested GraphQL connections: follow-up pages, inline review comments, reviews of changed PRs.

A page query asks for 100 nodes of every nested connection; an item with more (an issue with
230 comments, a PR with 205 reviews) gets follow-up queries for just that connection of that
item (``node(id:)``), before its page is written.

Inline review comments sit two levels below a pull request (PR → review → comments). Asked for
in the page query they would cost one connection request per review slot (100 PRs × 100 reviews
= 10,000 requests, 100 points a page) whether or not a review has any. So the page query reads
each review's ``comments { totalCount }`` (no connection request), and the reviews that do
have inline comments are asked for afterwards, ``REVIEW_COMMENT_BATCH`` per query
(``node(id:)`` aliases, one connection request each: 100 reviews cost 1 point). Their rows have
every field the REST listing ``GET /pulls/comments`` gives (``github_gql_shape.comment``).

Reviews of changed PRs (increments): when more PRs changed than a threshold, their reviews come
in one query per ``REVIEW_PRS`` PRs (aliases ``pullRequest(number:)``) instead of one REST
request each. Cost per 50 PRs: 1 query and 1 point, against 50 REST requests.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ossmetrics.collect import github_gql_query as gq
from ossmetrics.collect import github_gql_shape as shape
from ossmetrics.collect.github_endpoints import Ctx, write_reviews
from ossmetrics.collect.github_graphql import GraphQLClient, GraphQLResult, TooBig
from ossmetrics.errors import GraphQLError

__all__ = [
    "REVIEW_COMMENT_BATCH",
    "SUB",
    "check_partial",
    "inline_comments",
    "rest_of",
    "sync_reviews_graphql",
]

log = logging.getLogger(__name__)

SUB = 100  # nested nodes per connection and item
REVIEW_PRS = 50  # PRs per reviews query
REVIEW_COMMENT_BATCH = 100  # reviews per inline-comments query: 100 requests, 1 point
_TOLERATED = {"FORBIDDEN", "NOT_FOUND"}  # a nested item GitHub withholds: written as null


def check_partial(ctx: Ctx, res: GraphQLResult, depth: int = 3) -> None:
    """Accept nested items GitHub withholds (their fields are null); fail on anything else.

    ``depth``: how deep a withheld item's path must be (3: below a connection; 2: one aliased
    ``pullRequest`` of a reviews query; 1: one aliased review of an inline-comments query,
    e.g. a review deleted since the page was read).
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


def rest_of(
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


def has_inline(review: dict[str, Any]) -> bool:
    """A submitted review with inline comments (pending ones are skipped, as their reviews)."""
    count = (review.get("comments") or {}).get("totalCount") or 0
    return bool(count) and review.get("state") != "PENDING" and bool(review.get("id"))


def inline_comments(
    ctx: Ctx, gql: GraphQLClient, reviews: Sequence[tuple[int, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Inline comments of ``reviews`` ((PR number, review node) pairs), as REST lists them."""
    todo = [(n, r) for n, r in reviews if has_inline(r)]
    out: list[dict[str, Any]] = []
    per = REVIEW_COMMENT_BATCH
    while todo:
        batch = todo[:per]
        query = gq.review_comments_query([str(r["id"]) for _, r in batch], SUB)
        try:
            res = gql.run(query, {}, shrinkable=per > 1)
        except TooBig:
            per = max(1, per // 2)
            continue
        check_partial(ctx, res, depth=1)
        for i, (number, _) in enumerate(batch):
            node = res.data.get(f"r{i}")
            got = rest_of(gql, "PullRequestReview", node, "comments") if node else []
            out += [shape.comment(c, number) for c in got]
        todo = todo[len(batch) :]
    return out


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
        check_partial(ctx, res, depth=2)
        repo = res.data.get("repository") or {}
        by_pr: list[tuple[int, list[dict[str, Any]]]] = []
        for i, (number, _) in enumerate(batch):
            node = repo.get(f"p{i}")
            got = rest_of(gql, "PullRequest", node, "reviews") if node else []
            by_pr.append((number, [shape.review(r) for r in got]))
        write_reviews(ctx, by_pr, batch[-1])
        todo = todo[len(batch) :]

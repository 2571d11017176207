"""GraphQL queries of the GitHub collector, built from connections whose cost is known up front.

GitHub charges a query before running it (docs: "Rate limits and node limits for the GraphQL
API"): every connection costs one *request* per parent object that asks for it — the product
of the ``first`` values of the connections above it — and the query costs
``round(requests / 100)`` points, at least 1. The *nodes* a query may return are the products
of ``first`` down to each connection, summed; GitHub refuses a query above 500,000.

So a page of 100 issues with ``comments``, ``labels`` and ``assignees`` (100 each) costs
``(1 + 3 × 100) / 100 ≈ 3`` points and may return 30,100 nodes; the same page of pull requests
with ``reviews`` too costs 4; the inline comments of 100 reviews (aliased ``node(id:)``, one
connection each) cost 1. ``Conn`` renders a connection and computes both figures, so the
collector knows what a query will cost before sending it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "ACTOR",
    "MAX_NODES",
    "Conn",
    "Query",
    "comments_conn",
    "follow_up_query",
    "issues_conn",
    "page_query",
    "pulls_conn",
    "review_comments_conn",
    "review_comments_query",
    "reviews_of_prs_query",
]

MAX_NODES = 500_000
ACTOR = "author { __typename login }"
COMMENT = f"fullDatabaseId {ACTOR} authorAssociation createdAt updatedAt body"
#: ``comments { totalCount }`` without ``first`` is no connection request (GitHub's rule counts
#: connections given ``first``/``last``; the scheduler's size query relies on the same): it says
#: which reviews have inline comments, so only those are asked for (``review_comments_query``).
REVIEW = (
    f"id fullDatabaseId {ACTOR} authorAssociation state submittedAt body commit {{ oid }} "
    "comments { totalCount }"
)
REVIEW_COMMENT = COMMENT
ISSUE = (
    f"id fullDatabaseId number title state stateReason locked authorAssociation createdAt "
    f"updatedAt closedAt {ACTOR}"
)
PULL = (
    f"id fullDatabaseId number title state isDraft locked authorAssociation createdAt updatedAt "
    f"closedAt mergedAt mergedBy {{ __typename login }} additions deletions changedFiles {ACTOR}"
)
RATE = "rateLimit { cost remaining resetAt }"
_ORDER = "orderBy: {field: UPDATED_AT, direction: ASC}"
_NEWEST = "orderBy: {field: UPDATED_AT, direction: DESC}"
_SINCE = "filterBy: {since: $since}"


@dataclass(frozen=True)
class Conn:
    """One connection in a query: ``name(first: N, after: $var, args) { totalCount pageInfo nodes }``."""

    name: str
    first: int
    nodes: str
    children: tuple[Conn, ...] = ()
    args: str = ""
    after: str | None = None  # the name of a variable holding the cursor, e.g. "$after"
    alias: str = ""

    def render(self) -> str:
        args = [f"first: {int(self.first)}"]
        if self.after:
            args.append(f"after: {self.after}")
        if self.args:
            args.append(self.args)
        inner = " ".join([self.nodes, *(c.render() for c in self.children)])
        head = f"{self.alias}: {self.name}" if self.alias else self.name
        return (
            f"{head}({', '.join(args)}) {{ totalCount pageInfo {{ hasNextPage endCursor }} "
            f"nodes {{ {inner} }} }}"
        )


def _tally(conns: Sequence[Conn], parents: int) -> tuple[int, int]:
    requests = nodes = 0
    for c in conns:
        requests += parents
        nodes += parents * c.first
        r, n = _tally(c.children, parents * c.first)
        requests += r
        nodes += n
    return requests, nodes


@dataclass(frozen=True)
class Query:
    """A query's text with the cost GitHub will charge for it and the nodes it may return."""

    text: str
    conns: tuple[Conn, ...] = field(default=())
    parents: int = 1

    @property
    def requests(self) -> int:
        return _tally(self.conns, self.parents)[0]

    @property
    def nodes(self) -> int:
        return _tally(self.conns, self.parents)[1]

    @property
    def points(self) -> int:
        """GitHub's documented rule: requests / 100, rounded (half up), at least 1."""
        return max(1, math.floor(self.requests / 100 + 0.5))


def comments_conn(first: int, after: str | None = None) -> Conn:
    return Conn("comments", first, COMMENT, after=after)


def labels_conn(first: int, after: str | None = None) -> Conn:
    return Conn("labels", first, "name", after=after)


def assignees_conn(first: int, after: str | None = None) -> Conn:
    return Conn("assignees", first, "login", after=after)


def reviews_conn(first: int, after: str | None = None) -> Conn:
    return Conn("reviews", first, REVIEW, after=after)


def review_comments_conn(first: int, after: str | None = None) -> Conn:
    return Conn("comments", first, REVIEW_COMMENT, after=after)


def issues_conn(first: int, sub: int, since: bool = False) -> Conn:
    """A page of issues, oldest update first, each with its comments, labels and assignees;
    ``since``: only those updated from ``$since`` on (``filterBy``)."""
    kids = (comments_conn(sub), labels_conn(sub), assignees_conn(sub))
    args = f"{_ORDER}, {_SINCE}" if since else _ORDER
    return Conn("issues", first, ISSUE, kids, args, after="$afterIssues")


def pulls_conn(first: int, sub: int, newest_first: bool = False) -> Conn:
    """A page of pull requests with comments, labels, assignees, reviews: oldest update first,
    or newest first (``pullRequests`` has no ``since`` filter: a catch-up stops at its cursor)."""
    kids = (comments_conn(sub), labels_conn(sub), assignees_conn(sub), reviews_conn(sub))
    order = _NEWEST if newest_first else _ORDER
    return Conn("pullRequests", first, PULL, kids, order, after="$afterPulls")


def page_query(conns: Sequence[Conn]) -> Query:
    """Pages of the repository's issues and/or pull requests in one query."""
    decl = "".join(f", {c.after}: String" for c in conns if c.after)
    if any(_SINCE in c.args for c in conns):
        decl += ", $since: DateTime"
    body = " ".join(c.render() for c in conns)
    text = (
        f"query($owner: String!, $name: String!{decl}) {{ {RATE} "
        f"repository(owner: $owner, name: $name) {{ {body} }} }}"
    )
    return Query(text, tuple(conns))


#: connection name -> its builder, for follow-up queries of one parent's connection
FOLLOW = {
    "comments": comments_conn,
    "labels": labels_conn,
    "assignees": assignees_conn,
    "reviews": reviews_conn,
}


def follow_up_query(typename: str, name: str, first: int) -> Query:
    """The next page of one connection of one issue, pull request or review (by node id)."""
    build = review_comments_conn if typename == "PullRequestReview" else FOLLOW[name]
    conn = build(first, "$after")
    text = (
        f"query($id: ID!, $after: String) {{ {RATE} "
        f"node(id: $id) {{ ... on {typename} {{ {conn.render()} }} }} }}"
    )
    return Query(text, (conn,))


def reviews_of_prs_query(numbers: Sequence[int], first: int) -> Query:
    """Reviews of the given pull requests in one query (aliases ``p0``, ``p1``, …)."""
    conn = reviews_conn(first)
    parts = " ".join(
        f"p{i}: pullRequest(number: {int(n)}) {{ id number {conn.render()} }}"
        for i, n in enumerate(numbers)
    )
    text = (
        f"query($owner: String!, $name: String!) {{ {RATE} "
        f"repository(owner: $owner, name: $name) {{ {parts} }} }}"
    )
    return Query(text, tuple(conn for _ in numbers))


def review_comments_query(review_ids: Sequence[str], first: int) -> Query:
    """Inline comments of the given reviews (node ids) in one query (aliases ``r0``, ``r1``, …):
    one connection request per review, so 100 reviews cost 1 point."""
    conn = review_comments_conn(first)
    parts = " ".join(
        f"r{i}: node(id: {json.dumps(str(rid))}) {{ ... on PullRequestReview {{ id {conn.render()} }} }}"
        for i, rid in enumerate(review_ids)
    )
    return Query(f"query {{ {RATE} {parts} }}", tuple(conn for _ in review_ids))

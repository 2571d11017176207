"""GitHub's GraphQL API for ``FakeGitHub``: real query execution against GitHub's published schema.

The schema is the ``schema.graphql`` of the npm package ``@octokit/graphql-schema``, fetched at
test time with ``npm pack`` into a cache folder git ignores (``$OSSMETRICS_TEST_CACHE``, else
``tests/.cache``); it is never committed. Queries are parsed, validated and executed by
``graphql-core`` against it, so a query the collector sends that GitHub would reject (a removed
field, a wrong argument) fails here too. Resolvers read the same ``FakeRepo`` data the REST
server serves, so both paths see one repository.

Two checks graphql-core makes of a schema fail on GitHub's published one (a field defined twice
in ``EnterpriseOwnerInfo``; deprecated implementations of non-deprecated interface fields), so
the schema is built with ``assume_valid_sdl`` and its type-level validation is marked done;
every *query* is still fully validated.

Cost: each query is charged GitHub's documented cost, computed here from the parsed query
independently of the collector (connections × parents / 100, rounded, at least 1), against a
budget of ``graphql_limit`` points that resets ``graphql_reset`` seconds after it runs out;
``rateLimit { cost remaining resetAt }`` reports it. More than 500,000 nodes is refused with
``MAX_NODE_LIMIT_EXCEEDED``.
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.github_server import FakeGitHub, FakeRepo

from tests.github_graphql_schema import CACHE, PACKAGE, github_schema, query_cost, schema_tarball

__all__ = [
    "CACHE",
    "PACKAGE",
    "GraphQLRepo",
    "execute",
    "github_schema",
    "query_cost",
    "schema_tarball",
]


# -- resolvers ------------------------------------------------------------------------------


def _cursor(i: int) -> str:
    return base64.b64encode(f"cursor:{i}".encode()).decode()


def _index(cursor: str | None) -> int:
    if not cursor:
        return 0
    return int(base64.b64decode(cursor).decode().split(":")[1])


def connection(
    items: list[Any], first: int | None = None, after: str | None = None, **_: Any
) -> dict[str, Any]:
    """A GitHub connection over ``items``: ``first`` nodes after the opaque cursor ``after``."""
    start = _index(after)
    n = first if first is not None else 100
    page = items[start : start + n]
    end = start + len(page)
    return {
        "totalCount": len(items),
        "pageInfo": {"hasNextPage": end < len(items), "endCursor": _cursor(end) if page else after},
        "nodes": page,
    }


def actor(user: dict[str, Any] | None) -> dict[str, Any] | None:
    """A REST user as a GraphQL ``Actor``: bots are ``Bot`` and named without ``[bot]``."""
    if not user:
        return None
    login = str(user["login"])
    if user.get("type") == "Bot":
        return {"__typename": "Bot", "login": login.removesuffix("[bot]")}
    return {"__typename": "User", "login": login}


def _upper(v: Any) -> str | None:
    return str(v).upper() if v else None


class GraphQLRepo:
    """GraphQL objects over one ``FakeRepo`` (recomputed per query: tests change the data)."""

    def __init__(self, repo: FakeRepo) -> None:
        self.repo = repo
        self.comments: dict[int, list[dict[str, Any]]] = {}
        for c in repo.comments:
            self.comments.setdefault(int(c["issue_url"].rsplit("/", 1)[1]), []).append(c)
        self.review_comments: dict[int, list[dict[str, Any]]] = {}  # by review id
        for c in repo.review_comments:
            if c.get("pull_request_review_id") is not None:
                self.review_comments.setdefault(int(c["pull_request_review_id"]), []).append(c)
        self.review_by_id = {int(r["id"]): r for rs in repo.reviews.values() for r in rs}

    def node_id(self, kind: str, number: int) -> str:
        return f"{kind}_{self.repo.repo_id}_{number}"

    def comment(self, c: dict[str, Any]) -> dict[str, Any]:
        return {
            "fullDatabaseId": str(c["id"]),
            "author": actor(c.get("user")),
            "authorAssociation": c.get("author_association"),
            "createdAt": c["created_at"],
            "updatedAt": c["updated_at"],
            "body": c.get("body") or "",
        }

    def review(self, r: dict[str, Any]) -> dict[str, Any]:
        inline = [self.comment(c) for c in self.review_comments.get(int(r["id"]), [])]
        return {
            "__typename": "PullRequestReview",
            "id": self.node_id("PRR", int(r["id"])),
            "comments": lambda info, **kw: connection(inline, **kw),
            "fullDatabaseId": str(r["id"]),
            "author": actor(r.get("user")),
            "authorAssociation": r.get("author_association"),
            "state": r["state"],
            "submittedAt": r["submitted_at"],
            "body": r.get("body") or "",
            "commit": {"oid": r["commit_id"]} if r.get("commit_id") else None,
        }

    def item(self, it: dict[str, Any]) -> dict[str, Any]:
        k = int(it["number"])
        pr = it.get("pull_request")
        comments = [self.comment(c) for c in self.comments.get(k, [])]
        labels = [{"name": lb["name"]} for lb in it.get("labels") or []]
        assignees = [{"login": a["login"]} for a in it.get("assignees") or []]
        node: dict[str, Any] = {
            "__typename": "PullRequest" if pr else "Issue",
            "id": self.node_id("PR" if pr else "I", k),
            "fullDatabaseId": str(it["id"]),
            "number": k,
            "title": it.get("title"),
            "locked": bool(it.get("locked")),
            "authorAssociation": it.get("author_association"),
            "createdAt": it["created_at"],
            "updatedAt": it["updated_at"],
            "closedAt": it.get("closed_at"),
            "author": actor(it.get("user")),
            "comments": lambda info, **kw: connection(comments, **kw),
            "labels": lambda info, **kw: connection(labels, **kw),
            "assignees": lambda info, **kw: connection(assignees, **kw),
        }
        if pr:
            merged = pr.get("merged_at")
            reviews = [self.review(r) for r in self.repo.reviews.get(k, [])]
            node.update(
                state="MERGED" if merged else _upper(it["state"]),
                isDraft=bool(it.get("draft")),
                mergedAt=merged,
                mergedBy=actor(it.get("closed_by")) if merged else None,
                additions=(k * 7) % 100,
                deletions=k % 13,
                changedFiles=1 + k % 5,
                reviews=lambda info, **kw: connection(reviews, **kw),
            )
        else:
            node.update(state=_upper(it["state"]), stateReason=_upper(it.get("state_reason")))
        return node

    def _sorted(self, pulls: bool) -> list[dict[str, Any]]:
        items = [i for i in self.repo.issues.values() if bool(i.get("pull_request")) == pulls]
        return sorted(items, key=lambda i: (i["updated_at"], i["number"]))

    def listing(self, pulls: bool) -> Callable[..., dict[str, Any]]:
        def resolve(
            info: Any, first: int | None = None, after: str | None = None, **kw: Any
        ) -> dict[str, Any]:
            order = kw.get("orderBy") or {}
            items = self._sorted(pulls)
            since = (kw.get("filterBy") or {}).get("since")
            if since:  # GitHub's IssueFilters.since: updated at or after
                items = [i for i in items if i["updated_at"] >= since]
            if order.get("direction") == "DESC":
                items.reverse()
            conn = connection(items, first, after)
            conn["nodes"] = [self.item(i) for i in conn["nodes"]]
            return conn

        return resolve

    def as_node(self) -> dict[str, Any]:
        def pull(info: Any, number: int) -> dict[str, Any] | None:
            it = self.repo.issues.get(number)
            return self.item(it) if it and it.get("pull_request") else None

        return {
            "__typename": "Repository",
            "nameWithOwner": self.repo.full_name,
            "issues": self.listing(False),
            "pullRequests": self.listing(True),
            "pullRequest": pull,
        }

    def lookup(self, node_id: str) -> dict[str, Any] | None:
        m = re.fullmatch(r"(I|PR|PRR)_(\d+)_(\d+)", node_id)
        if not m or int(m.group(2)) != self.repo.repo_id:
            return None
        if m.group(1) == "PRR":
            r = self.review_by_id.get(int(m.group(3)))
            return self.review(r) if r else None
        it = self.repo.issues.get(int(m.group(3)))
        return self.item(it) if it else None


# -- the endpoint ---------------------------------------------------------------------------


def execute(fake: FakeGitHub, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Answer one POST /graphql: (status, JSON answer, extra headers). Caller holds the lock."""
    import graphql

    try:
        request = json.loads(body)
        source = str(request["query"])
        variables = request.get("variables") or {}
    except (ValueError, KeyError, TypeError):
        return 400, {"message": "Problems parsing JSON"}, {}
    try:
        document = graphql.parse(source)
    except graphql.GraphQLError as exc:
        return 200, {"errors": [{"message": exc.message}]}, {}
    schema = github_schema()
    problems = graphql.validate(schema, document)
    if problems:
        return (
            200,
            {
                "errors": [
                    {"message": e.message, "extensions": {"code": "undefinedField"}}
                    for e in problems
                ]
            },
            {},
        )
    points, nodes = query_cost(document, variables)
    fake.graphql_log.append((points, nodes))
    if nodes > 500_000:
        msg = f"This query requests up to {nodes} possible nodes which exceeds the maximum limit of 500,000."
        return 200, {"errors": [{"type": "MAX_NODE_LIMIT_EXCEEDED", "message": msg}]}, {}
    if time.time() >= fake.graphql_reset:  # a new window
        fake.graphql_remaining = fake.graphql_limit
        fake.graphql_reset = math.ceil(time.time() + 3600)
    if fake.graphql_remaining < points:
        fake.graphql_remaining = 0
        msg = "API rate limit exceeded for user ID 1."
        return 200, {"errors": [{"type": "RATE_LIMITED", "message": msg}]}, {}
    fake.graphql_remaining -= points
    fake.graphql_points += points
    repos = [GraphQLRepo(r) for r in fake.repos]
    reset_at = datetime.fromtimestamp(fake.graphql_reset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def repository(info: Any, owner: str, name: str, **_: Any) -> dict[str, Any] | None:
        wanted = f"{owner}/{name}".lower()
        for g in repos:
            if g.repo.full_name.lower() == wanted:
                return g.as_node()
        return None

    def node(info: Any, id: str) -> dict[str, Any] | None:
        for g in repos:
            found = g.lookup(id)
            if found is not None:
                return found
        return None

    root = {
        "repository": repository,
        "node": node,
        "rateLimit": lambda info, **_: {
            "cost": points,
            "limit": fake.graphql_limit,
            "remaining": fake.graphql_remaining,
            "used": fake.graphql_limit - fake.graphql_remaining,
            "resetAt": reset_at,
            "nodeCount": nodes,
        },
    }
    result = graphql.execute(schema, document, root_value=root, variable_values=variables)
    assert not isinstance(result, type(None))
    answer: dict[str, Any] = {"data": result.data}  # type: ignore[union-attr]
    errors = list(result.errors or [])  # type: ignore[union-attr]
    if result.data is not None and result.data.get("repository", 0) is None:  # type: ignore[union-attr]
        errors.append(
            graphql.GraphQLError("Could not resolve to a Repository.", path=["repository"])
        )
        answer["errors"] = [
            {
                "type": "NOT_FOUND",
                "path": ["repository"],
                "message": f"Could not resolve to a Repository with the name '{variables.get('owner')}/{variables.get('name')}'.",
            }
        ]
    elif errors:
        answer["errors"] = [e.formatted for e in errors]
    return 200, answer, {}

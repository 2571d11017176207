"""GraphQL nodes turned into the REST payload shapes the ``save_*`` writers read.

One writer per table serves both paths, so the rows cannot drift apart: what differs between
the APIs is settled here, field by field —

==========================  ===============================  ===================================
REST                        GraphQL                          here
==========================  ===============================  ===================================
``id``                      ``fullDatabaseId`` (a string)    ``int(...)``
``user.login``, ``type``    ``author { __typename login }``  a ``Bot`` gets REST's ``[bot]``
``state`` open/closed       OPEN/CLOSED/MERGED               lower case; MERGED is closed
``state_reason``            ``stateReason`` (issues only)    lower case
``pull_request.merged_at``  ``mergedAt``                     PRs carry ``pull_request``
``merged_by`` (single GET)  ``mergedBy``                     ``merged_by``
``comments`` (a count)      ``comments.totalCount``
``submitted_at``, ``commit_id``  ``submittedAt``, ``commit.oid``
==========================  ===============================  ===================================
"""

from __future__ import annotations

from typing import Any

__all__ = ["actor", "comment", "issue", "review"]


def actor(node: dict[str, Any] | None) -> dict[str, Any] | None:
    """``{login, type}`` as REST writes a user; GraphQL names bots without ``[bot]``."""
    if not node or not node.get("login"):
        return None  # a deleted account ("ghost") comes as null in both APIs
    login = str(node["login"])
    if node.get("__typename") == "Bot":
        if not login.endswith("[bot]"):
            login += "[bot]"
        return {"login": login, "type": "Bot"}
    return {"login": login, "type": "User"}


def _id(node: dict[str, Any]) -> int | None:
    value = node.get("fullDatabaseId")
    return int(value) if value is not None else None


def _lower(value: Any) -> str | None:
    return str(value).lower() if value else None


def issue(node: dict[str, Any], labels: list[str], assignees: list[str]) -> dict[str, Any]:
    """An issue or pull request node (``__kind`` "pull" for a PR) as ``GET /issues`` lists it."""
    is_pull = node.get("__kind") == "pull"
    state = _lower(node.get("state"))
    out: dict[str, Any] = {
        "number": node["number"],
        "id": _id(node),
        "user": actor(node.get("author")),
        "author_association": node.get("authorAssociation"),
        "title": node.get("title"),
        "state": "closed" if state == "merged" else state,
        "state_reason": None if is_pull else _lower(node.get("stateReason")),
        "locked": node.get("locked"),
        "labels": [{"name": n} for n in labels],
        "assignees": [{"login": a} for a in assignees],
        "comments": (node.get("comments") or {}).get("totalCount"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "closed_at": node.get("closedAt"),
    }
    if is_pull:
        out["pull_request"] = {"merged_at": node.get("mergedAt")}
        out["draft"] = node.get("isDraft")
        out["merged_by"] = actor(node.get("mergedBy"))
        out["additions"] = node.get("additions")
        out["deletions"] = node.get("deletions")
        out["changed_files"] = node.get("changedFiles")
    return out


def comment(node: dict[str, Any], number: int) -> dict[str, Any]:
    """An ``IssueComment`` as ``GET /issues/comments`` lists it."""
    return {
        "id": _id(node),
        "issue_number": number,
        "user": actor(node.get("author")),
        "author_association": node.get("authorAssociation"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "body": node.get("body") or "",
    }


def review(node: dict[str, Any]) -> dict[str, Any]:
    """A ``PullRequestReview`` as ``GET /pulls/{n}/reviews`` lists it."""
    return {
        "id": _id(node),
        "user": actor(node.get("author")),
        "author_association": node.get("authorAssociation"),
        "state": node.get("state"),
        "submitted_at": node.get("submittedAt"),
        "body": node.get("body") or "",
        "commit_id": (node.get("commit") or {}).get("oid"),
    }

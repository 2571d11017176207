"""GH Archive hour files in the real line format, generated: for tests and the benchmark.

Lines have the key order and nesting of the archive (``id, type, actor, repo, payload,
public, created_at``) and the payload shapes of both eras: ``shape="2015"`` embeds full
pull-request objects (``user``, ``created_at``, ``merged_at``), ``shape="2025"`` the trimmed
ones GitHub has sent since 2025-10 (``pull_request`` with only ``id``, ``number``, refs).
Padding fields (URLs, as the real events carry) keep lines near the archive's typical size.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

__all__ = ["event_line", "write_hour_file"]

_TYPES = (
    "PushEvent",
    "PushEvent",
    "PushEvent",
    "WatchEvent",
    "CreateEvent",
    "IssueCommentEvent",
    "IssuesEvent",
    "PullRequestEvent",
    "ForkEvent",
    "ReleaseEvent",
    "PullRequestReviewEvent",
)


def _user(login: str) -> dict[str, Any]:
    return {
        "login": login,
        "id": abs(hash(login)) % 10_000_000,
        "url": f"https://api.github.com/users/{login}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{abs(hash(login)) % 999}?",
    }


_URL_KEYS = (
    "url",
    "html_url",
    "labels_url",
    "comments_url",
    "events_url",
    "repository_url",
    "diff_url",
    "patch_url",
    "issue_url",
    "commits_url",
    "review_comments_url",
    "review_comment_url",
    "statuses_url",
    "timeline_url",
)


def _urls(repo: str, kind: str, n: int) -> dict[str, str]:
    """The URL fields GitHub embeds in every issue and pull request: most of a real line's
    bytes, and what makes the archive's lines ~2-3 KB."""
    base = f"https://api.github.com/repos/{repo}/{kind}/{n}"
    return {k: f"{base}/{k.removesuffix('_url')}" for k in _URL_KEYS}


def event_line(i: int, repo: str, at: str, kind: str, shape: str = "2015") -> str:
    """One event as the archive writes it (a JSON line with its newline)."""
    actor = f"user{i % 997}"
    n = 1 + i % 50
    payload: dict[str, Any]
    if kind == "IssuesEvent":
        payload = {
            "action": "opened" if i % 2 else "closed",
            "issue": {
                **_urls(repo, "issues", n),
                "id": 1000 + i,
                "number": n,
                "title": f"Issue {n}",
                "user": _user(actor),
                "state": "open" if i % 2 else "closed",
                "comments": i % 5,
                "created_at": at,
                "updated_at": at,
                "closed_at": None if i % 2 else at,
                "labels": [{"name": "bug"}] if i % 3 == 0 else [],
                "body": "x" * 200,
            },
        }
    elif kind == "PullRequestEvent":
        n += 1000  # pull requests and issues share GitHub's numbering: keep them apart
        if shape == "2015":
            pr = {
                **_urls(repo, "pulls", n),
                "head": {"ref": "feature", "sha": f"{i:040x}", "label": f"{actor}:feature"},
                "base": {"ref": "main", "sha": f"{i + 1:040x}", "label": "main"},
                "id": 5000 + i,
                "number": n,
                "user": _user(actor),
                "title": f"PR {n}",
                "state": "closed" if i % 2 == 0 else "open",
                "created_at": at,
                "updated_at": at,
                "closed_at": at if i % 2 == 0 else None,
                "merged_at": at if i % 4 == 0 else None,
                "merged": i % 4 == 0,
                "body": "y" * 300,
            }
        else:
            pr = {
                "id": 5000 + i,
                "number": n,
                "url": f"https://api.github.com/repos/{repo}/pulls/{n}",
                "head": {"ref": "feature", "sha": f"{i:040x}"},
                "base": {"ref": "main", "sha": f"{i + 1:040x}"},
            }
        payload = {"action": "opened" if i % 2 else "closed", "number": n, "pull_request": pr}
    elif kind == "IssueCommentEvent":
        payload = {
            "action": "created",
            "issue": {
                **_urls(repo, "issues", n),
                "id": 1000 + i,
                "number": n,
                "user": _user("author"),
                "state": "open",
                "created_at": at,
                "updated_at": at,
                "title": f"Issue {n}",
            },
            "comment": {
                "id": 90000 + i,
                "user": _user(actor),
                "created_at": at,
                "updated_at": at,
                "body": "z" * 150,
                "author_association": "MEMBER",
            },
        }
    elif kind == "PullRequestReviewEvent":
        payload = {
            "action": "created",
            "review": {
                "id": 70000 + i,
                "user": _user(actor),
                "state": "approved",
                "submitted_at": at,
            },
            "pull_request": {"id": 5000 + i, "number": n + 1000},
        }
    elif kind == "ReleaseEvent":
        payload = {
            "action": "published",
            "release": {
                "id": 300 + i,
                "tag_name": f"v{i}",
                "name": f"v{i}",
                "author": _user(actor),
                "created_at": at,
                "published_at": at,
                "prerelease": i % 3 == 0,
                "draft": False,
            },
        }
    elif kind == "ForkEvent":
        payload = {"forkee": {"id": 40000 + i, "full_name": f"{actor}/{repo.split('/')[1]}"}}
    elif kind == "WatchEvent":
        payload = {"action": "started"}
    elif kind == "PushEvent" and shape == "2015":
        payload = {
            "push_id": i,
            "size": 1,
            "distinct_size": 1,
            "ref": "refs/heads/main",
            "head": f"{i:040x}",
            "before": f"{i + 1:040x}",
            "commits": [
                {
                    "sha": f"{i:040x}",
                    "message": "m" * 80,
                    "distinct": True,
                    "author": {"name": actor, "email": "hash@example.invalid"},
                }
            ],
        }
    else:
        payload = {
            "repository_id": i,
            "push_id": i,
            "ref": "refs/heads/main",
            "head": f"{i:040x}",
            "before": f"{i + 1:040x}",
        }
    ev = {
        "id": str(2489585015 + i),
        "type": kind,
        "actor": {
            "id": i % 997,
            "login": actor,
            "gravatar_id": "",
            "url": f"https://api.github.com/users/{actor}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{i % 997}?",
        },
        "repo": {
            "id": abs(hash(repo)) % 100_000_000,
            "name": repo,
            "url": f"https://api.github.com/repos/{repo}",
        },
        "payload": payload,
        "public": True,
        "created_at": at,
    }
    return json.dumps(ev, separators=(",", ":")) + "\n"


def write_hour_file(
    path: Path, hour: str, repos: list[str], events: int, *, shape: str = "2015"
) -> int:
    """Write ``events`` events over ``repos`` into ``path`` (gzip); ``hour`` 'YYYY-MM-DD-H'."""
    day, h = hour.rsplit("-", 1)
    lines = []
    for i in range(events):
        at = f"{day}T{int(h):02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z"
        lines.append(event_line(i, repos[i % len(repos)], at, _TYPES[i % len(_TYPES)], shape))
    path.write_bytes(gzip.compress("".join(lines).encode(), compresslevel=6))
    return events

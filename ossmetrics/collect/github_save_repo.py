"""Pure, idempotent writers for repository-level GitHub payloads: metadata, community profile,
releases, stargazers, and the commit-login links that join git and GitHub identities.

Like ``github_save`` (issues, comments, reviews), each takes JSON dicts as GitHub sent them and
runs inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

from ossmetrics.collect.github_save import TS, identity_ids, login_of, parse_ts, upsert

__all__ = [
    "link_commit_logins",
    "save_community",
    "save_releases",
    "save_repo",
    "save_stargazers",
]


_RELEASE_SCHEMA = pa.schema(
    [
        ("repo_id", pa.int32()),
        ("tag", pa.string()),
        ("name", pa.string()),
        ("github_id", pa.int64()),
        ("author_login", pa.string()),
        ("created_at", TS),
        ("published_at", TS),
        ("prerelease", pa.bool_()),
        ("draft", pa.bool_()),
    ]
)


def save_releases(
    con: duckdb.DuckDBPyConnection, repo_id: int, items: Sequence[dict[str, Any]]
) -> int:
    """The complete release list: releases deleted on GitHub disappear here too."""
    identity_ids(con, ((r.get("author"), parse_ts(r.get("created_at"))) for r in items))
    rows = [
        {
            "repo_id": repo_id,
            "tag": str(r["tag_name"]),
            "name": r.get("name"),
            "github_id": r.get("id"),
            "author_login": login_of(r.get("author")),
            "created_at": parse_ts(r.get("created_at")),
            "published_at": parse_ts(r.get("published_at")),
            "prerelease": r.get("prerelease"),
            "draft": r.get("draft"),
        }
        for r in {str(r["tag_name"]): r for r in items}.values()
    ]
    con.execute("DELETE FROM releases WHERE repo_id = ?", [repo_id])
    return upsert(con, "releases", rows, _RELEASE_SCHEMA)


_STAR_SCHEMA = pa.schema([("repo_id", pa.int32()), ("login", pa.string()), ("starred_at", TS)])


def save_stargazers(
    con: duckdb.DuckDBPyConnection, repo_id: int, items: Sequence[dict[str, Any]]
) -> int:
    """``starred_at`` items from the ``application/vnd.github.star+json`` media type."""
    rows = [
        {
            "repo_id": repo_id,
            "login": str(s["user"]["login"]),
            "starred_at": parse_ts(s.get("starred_at")),
        }
        for s in items
        if s.get("user") and s["user"].get("login")
    ]
    rows = list({r["login"]: r for r in rows}.values())
    return upsert(con, "stargazers", rows, _STAR_SCHEMA)


def save_repo(
    con: duckdb.DuckDBPyConnection, repo_id: int, data: dict[str, Any], requested: str
) -> str:
    """Repository metadata; an earlier name (301 followed) is recorded in ``renamed_from``.

    ``requested`` is the name the user asked for; if GitHub answers under another name, the
    stored name and the requested one both become aliases.

    Returns the current full name.
    """
    full_name = str(data.get("full_name") or requested)
    old = con.execute(
        "SELECT full_name, renamed_from FROM repos WHERE repo_id = ?", [repo_id]
    ).fetchone()
    renamed = list(old[1] or []) if old else []
    for alias in (old[0] if old else None, requested):
        known = {r.lower() for r in renamed}
        if alias and alias.lower() != full_name.lower() and alias.lower() not in known:
            renamed.append(alias)
    lic = data.get("license") or {}
    owner, name = full_name.split("/", 1)
    con.execute(
        """
        UPDATE repos SET full_name = ?, owner = ?, name = ?, url = ?, description = ?, homepage = ?,
            language = ?, license = ?, default_branch = ?, stars = ?, forks = ?, watchers = ?,
            open_issues = ?, archived = ?, is_fork = ?, topics = ?, github_id = ?, created_at = ?,
            pushed_at = ?, collected_at = now(), renamed_from = ?
        WHERE repo_id = ?
        """,
        [
            full_name,
            owner,
            name,
            data.get("html_url"),
            data.get("description"),
            data.get("homepage"),
            data.get("language"),
            lic.get("spdx_id") or lic.get("key") if isinstance(lic, dict) else None,
            data.get("default_branch"),
            data.get("stargazers_count"),
            data.get("forks_count"),
            # watchers_count mirrors stars for historical reasons; subscribers are the watchers.
            data.get("subscribers_count", data.get("watchers_count")),
            data.get("open_issues_count"),
            data.get("archived"),
            data.get("fork"),
            list(data.get("topics") or []),
            data.get("id"),
            parse_ts(data.get("created_at")),
            parse_ts(data.get("pushed_at")),
            renamed or None,
            repo_id,
        ],
    )
    return full_name


def save_community(
    con: duckdb.DuckDBPyConnection, repo_id: int, data: dict[str, Any] | None
) -> None:
    """The community profile (which health files exist); None when GitHub has none (forks)."""
    files = (data or {}).get("files") or {}
    con.execute("DELETE FROM repo_community WHERE repo_id = ?", [repo_id])
    if data is None:
        return
    con.execute(
        """
        INSERT INTO repo_community (repo_id, health_percentage, has_readme, has_contributing,
            has_code_of_conduct, has_license, has_issue_template, has_pr_template, collected_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())
        """,
        [
            repo_id,
            data.get("health_percentage"),
            files.get("readme") is not None,
            files.get("contributing") is not None,
            files.get("code_of_conduct") is not None
            or files.get("code_of_conduct_file") is not None,
            files.get("license") is not None,
            files.get("issue_template") is not None,
            files.get("pull_request_template") is not None,
        ],
    )


def link_commit_logins(
    con: duckdb.DuckDBPyConnection, repo_id: int, items: Sequence[dict[str, Any]]
) -> int:
    """Bridge git and GitHub identities from ``GET /commits``: ``commit.author.email`` + ``author.login``.

    Sets ``commits.github_author_login`` on commits the git collector stored, and ``login`` on
    the git identity of that email and name, so the identity merge can join them.
    """
    rows = []
    users = []
    for c in items:
        author = c.get("author")
        git_author = (c.get("commit") or {}).get("author") or {}
        if not author or not author.get("login"):
            continue
        users.append((author, parse_ts(git_author.get("date"))))
        rows.append(
            {
                "sha": str(c["sha"]),
                "login": str(author["login"]),
                "git_key": f"git:{str(git_author.get('email') or '').lower()}\x1f{git_author.get('name') or ''}",
            }
        )
    if not rows:
        return 0
    identity_ids(con, users)
    tbl = pa.Table.from_pylist(
        rows,
        schema=pa.schema([("sha", pa.string()), ("login", pa.string()), ("git_key", pa.string())]),
    )
    con.register("_gh_commits", tbl)
    try:
        con.execute(
            "UPDATE commits SET github_author_login = l.login FROM _gh_commits l WHERE commits.repo_id = ? AND commits.sha = l.sha AND commits.github_author_login IS DISTINCT FROM l.login",
            [repo_id],
        )
        con.execute(
            "UPDATE identities SET login = l.login FROM (SELECT git_key, any_value(login) AS login FROM _gh_commits GROUP BY git_key) l WHERE identities.identity_key = l.git_key AND identities.login IS NULL"
        )
    finally:
        con.unregister("_gh_commits")
    return len(rows)

"""Pure, idempotent writers for GitHub payloads: JSON dicts in, upserted rows out.

Every ``save_*`` takes the list payload exactly as GitHub sent it (plain dicts; no PyGithub
objects, so no lazy completion can send hidden requests) and upserts by natural key, so
re-reading an overlap, or a page a crashed run already wrote, changes nothing. Callers wrap a
page's rows and its cursor in one transaction. Bulk rows go in as Arrow tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

__all__ = [
    "identity_ids",
    "link_commit_logins",
    "parse_ts",
    "save_comments",
    "save_community",
    "save_issues",
    "save_releases",
    "save_repo",
    "save_reviews",
    "save_stargazers",
]

_TS = pa.timestamp("us", tz="UTC")


def parse_ts(value: str | None) -> datetime | None:
    """GitHub's ``2011-04-14T16:00:49Z`` as an aware UTC datetime (None stays None)."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _is_bot(user: dict[str, Any]) -> bool:
    login = str(user.get("login") or "")
    return user.get("type") == "Bot" or login.lower().endswith("[bot]")


def identity_ids(
    con: duckdb.DuckDBPyConnection,
    users: Iterable[tuple[dict[str, Any] | None, datetime | None]],
) -> dict[str, int]:
    """Create missing ``github:<login>`` identities; return lower(login) -> identity_id.

    Only unseen keys are inserted (an anti-join, not ON CONFLICT), so sequence numbers are not
    spent on logins we already know.
    """
    seen: dict[str, tuple[str, bool, datetime | None]] = {}
    for user, ts in users:
        if not user or not user.get("login"):
            continue
        login = str(user["login"])
        key = login.lower()
        prev = seen.get(key)
        first = ts if prev is None or prev[2] is None or (ts and ts < prev[2]) else prev[2]
        seen[key] = (login, _is_bot(user) or bool(prev and prev[1]), first)
    if not seen:
        return {}
    tbl = pa.table(
        {
            "identity_key": [f"github:{k}" for k in seen],
            "login": [v[0] for v in seen.values()],
            "is_bot": [v[1] for v in seen.values()],
            "first_seen_at": pa.array([v[2] for v in seen.values()], type=_TS),
        }
    )
    con.register("_gh_users", tbl)
    try:
        con.execute(
            """
            INSERT INTO identities (identity_key, source, login, is_bot, first_seen_at)
            SELECT u.identity_key, 'github', u.login, u.is_bot, u.first_seen_at
            FROM _gh_users u ANTI JOIN identities i ON i.identity_key = u.identity_key
            WHERE sha256(u.identity_key) NOT IN (SELECT key_hash FROM forgotten_identities)
            ORDER BY u.first_seen_at NULLS LAST, u.identity_key
            """
        )
        con.execute(
            """
            UPDATE identities SET
                first_seen_at = CASE WHEN u.first_seen_at < identities.first_seen_at
                                     OR identities.first_seen_at IS NULL
                                THEN u.first_seen_at ELSE identities.first_seen_at END,
                is_bot = identities.is_bot OR u.is_bot
            FROM _gh_users u
            WHERE identities.identity_key = u.identity_key
              AND ((u.first_seen_at < identities.first_seen_at OR identities.first_seen_at IS NULL)
                   OR (u.is_bot AND NOT identities.is_bot))
            """
        )
        rows = con.execute(
            """SELECT i.identity_key, i.identity_id FROM identities i JOIN _gh_users u USING (identity_key)
               UNION ALL  -- `people forget`: a forgotten login maps to its anonymous identity
               SELECT u.identity_key, f.identity_id FROM _gh_users u
               JOIN forgotten_identities f ON f.key_hash = sha256(u.identity_key)"""
        ).fetchall()
    finally:
        con.unregister("_gh_users")
    return {k.split(":", 1)[1]: int(v) for k, v in rows}


def _upsert(
    con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]], schema: pa.Schema
) -> int:
    if not rows:
        return 0
    tbl = pa.Table.from_pylist(rows, schema=schema)
    cols = ", ".join(schema.names)
    con.register("_gh_rows", tbl)
    try:
        con.execute(f"INSERT OR REPLACE INTO {table} ({cols}) SELECT {cols} FROM _gh_rows")
    finally:
        con.unregister("_gh_rows")
    return len(rows)


def _login(user: dict[str, Any] | None) -> str | None:
    return str(user["login"]) if user and user.get("login") else None


def _ident(ids: dict[str, int], user: dict[str, Any] | None) -> int | None:
    login = _login(user)
    return ids.get(login.lower()) if login else None


_ISSUE_SCHEMA = pa.schema(
    [
        ("repo_id", pa.int32()),
        ("number", pa.int32()),
        ("is_pull", pa.bool_()),
        ("github_id", pa.int64()),
        ("author_identity", pa.int32()),
        ("author_login", pa.string()),
        ("author_association", pa.string()),
        ("title", pa.string()),
        ("state", pa.string()),
        ("state_reason", pa.string()),
        ("draft", pa.bool_()),
        ("locked", pa.bool_()),
        ("labels", pa.list_(pa.string())),
        ("assignees", pa.list_(pa.string())),
        ("comments", pa.int32()),
        ("created_at", _TS),
        ("updated_at", _TS),
        ("closed_at", _TS),
        ("merged_at", _TS),
        ("merged_by_login", pa.string()),
    ]
)


def save_issues(
    con: duckdb.DuckDBPyConnection, repo_id: int, items: Sequence[dict[str, Any]]
) -> int:
    """Issues and pull requests from ``GET /repos/{o}/{r}/issues`` (a PR has a ``pull_request`` key)."""
    ids = identity_ids(con, ((i.get("user"), parse_ts(i.get("created_at"))) for i in items))
    rows = []
    for i in {int(i["number"]): i for i in items}.values():
        pr = i.get("pull_request")
        merged_at = parse_ts(pr.get("merged_at")) if isinstance(pr, dict) else None
        # The list payload has no merged_by; closed_by (when GitHub includes it) is who merged.
        merged_by = _login(i.get("closed_by")) if merged_at else None
        rows.append(
            {
                "repo_id": repo_id,
                "number": int(i["number"]),
                "is_pull": pr is not None,
                "github_id": i.get("id"),
                "author_identity": _ident(ids, i.get("user")),
                "author_login": _login(i.get("user")),
                "author_association": i.get("author_association"),
                "title": i.get("title"),
                "state": i.get("state"),
                "state_reason": i.get("state_reason"),
                "draft": i.get("draft") if pr is not None else None,
                "locked": i.get("locked"),
                "labels": sorted(
                    str(lb["name"]) for lb in i.get("labels") or [] if isinstance(lb, dict)
                ),
                "assignees": sorted(str(a["login"]) for a in i.get("assignees") or [] if a),
                "comments": i.get("comments"),
                "created_at": parse_ts(i.get("created_at")),
                "updated_at": parse_ts(i.get("updated_at")),
                "closed_at": parse_ts(i.get("closed_at")),
                "merged_at": merged_at,
                "merged_by_login": merged_by,
            }
        )
    return _upsert(con, "issues", rows, _ISSUE_SCHEMA)


_COMMENT_SCHEMA = pa.schema(
    [
        ("repo_id", pa.int32()),
        ("issue_number", pa.int32()),
        ("comment_id", pa.int64()),
        ("kind", pa.string()),
        ("author_identity", pa.int32()),
        ("author_login", pa.string()),
        ("author_association", pa.string()),
        ("review_state", pa.string()),
        ("created_at", _TS),
        ("updated_at", _TS),
        ("body_len", pa.int32()),
    ]
)


def _number_from_url(url: str | None) -> int | None:
    if not url:
        return None
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def save_comments(
    con: duckdb.DuckDBPyConnection, repo_id: int, items: Sequence[dict[str, Any]], kind: str
) -> int:
    """Issue comments (``kind='issue'``) or inline review comments (``'review_comment'``)."""
    url_key = "issue_url" if kind == "issue" else "pull_request_url"
    ids = identity_ids(con, ((c.get("user"), parse_ts(c.get("created_at"))) for c in items))
    rows = [
        {
            "repo_id": repo_id,
            "issue_number": _number_from_url(c.get(url_key)),
            "comment_id": int(c["id"]),
            "kind": kind,
            "author_identity": _ident(ids, c.get("user")),
            "author_login": _login(c.get("user")),
            "author_association": c.get("author_association"),
            "review_state": None,
            "created_at": parse_ts(c.get("created_at")),
            "updated_at": parse_ts(c.get("updated_at")),
            "body_len": len(c.get("body") or ""),
        }
        for c in {int(c["id"]): c for c in items}.values()
    ]
    return _upsert(con, "comments", rows, _COMMENT_SCHEMA)


def save_reviews(
    con: duckdb.DuckDBPyConnection,
    repo_id: int,
    by_pr: Sequence[tuple[int, Sequence[dict[str, Any]]]],
) -> int:
    """Reviews, given as (PR number, review list) pairs: the verdict goes in ``review_state``.

    Pending reviews (not submitted, visible only to their author) are skipped.
    """
    pairs = [
        (number, r)
        for number, items in by_pr
        for r in items
        if r.get("submitted_at") and r.get("state") != "PENDING"
    ]
    ids = identity_ids(con, ((r.get("user"), parse_ts(r.get("submitted_at"))) for _, r in pairs))
    rows = [
        {
            "repo_id": repo_id,
            "issue_number": number,
            "comment_id": int(r["id"]),
            "kind": "review",
            "author_identity": _ident(ids, r.get("user")),
            "author_login": _login(r.get("user")),
            "author_association": r.get("author_association"),
            "review_state": r.get("state"),
            "created_at": parse_ts(r.get("submitted_at")),
            "updated_at": parse_ts(r.get("submitted_at")),
            "body_len": len(r.get("body") or ""),
        }
        for number, r in {int(r["id"]): (n, r) for n, r in pairs}.values()
    ]
    return _upsert(con, "comments", rows, _COMMENT_SCHEMA)


_RELEASE_SCHEMA = pa.schema(
    [
        ("repo_id", pa.int32()),
        ("tag", pa.string()),
        ("name", pa.string()),
        ("github_id", pa.int64()),
        ("author_login", pa.string()),
        ("created_at", _TS),
        ("published_at", _TS),
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
            "author_login": _login(r.get("author")),
            "created_at": parse_ts(r.get("created_at")),
            "published_at": parse_ts(r.get("published_at")),
            "prerelease": r.get("prerelease"),
            "draft": r.get("draft"),
        }
        for r in {str(r["tag_name"]): r for r in items}.values()
    ]
    con.execute("DELETE FROM releases WHERE repo_id = ?", [repo_id])
    return _upsert(con, "releases", rows, _RELEASE_SCHEMA)


_STAR_SCHEMA = pa.schema([("repo_id", pa.int32()), ("login", pa.string()), ("starred_at", _TS)])


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
    return _upsert(con, "stargazers", rows, _STAR_SCHEMA)


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

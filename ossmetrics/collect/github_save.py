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
    "TS",
    "identity_ids",
    "login_of",
    "parse_ts",
    "save_comments",
    "save_issues",
    "save_reviews",
    "upsert",
]

TS = pa.timestamp("us", tz="UTC")


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
            "first_seen_at": pa.array([v[2] for v in seen.values()], type=TS),
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


def upsert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: list[dict[str, Any]],
    schema: pa.Schema,
    *,
    key: Sequence[str] = (),
    keep: Sequence[str] = (),
) -> int:
    """Insert or replace ``rows`` by natural key; a column in ``keep`` keeps its stored value
    where the new row has NULL (fields only one of the two API paths returns)."""
    if not rows:
        return 0
    tbl = pa.Table.from_pylist(rows, schema=schema)
    cols = ", ".join(schema.names)
    con.register("_gh_rows", tbl)
    try:
        if keep:
            sets = ", ".join(
                f"{c} = coalesce(excluded.{c}, {table}.{c})" if c in keep else f"{c} = excluded.{c}"
                for c in schema.names
                if c not in key
            )
            con.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _gh_rows "
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
            )
        else:
            con.execute(f"INSERT OR REPLACE INTO {table} ({cols}) SELECT {cols} FROM _gh_rows")
    finally:
        con.unregister("_gh_rows")
    return len(rows)


def login_of(user: dict[str, Any] | None) -> str | None:
    return str(user["login"]) if user and user.get("login") else None


def _ident(ids: dict[str, int], user: dict[str, Any] | None) -> int | None:
    login = login_of(user)
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
        ("created_at", TS),
        ("updated_at", TS),
        ("closed_at", TS),
        ("merged_at", TS),
        ("merged_by_login", pa.string()),
        ("additions", pa.int32()),
        ("deletions", pa.int32()),
        ("changed_files", pa.int32()),
    ]
)
#: Only GraphQL (or a single-PR REST GET) returns these; a REST list page keeps what is stored.
_PR_ONLY = ("merged_by_login", "additions", "deletions", "changed_files")


def save_issues(
    con: duckdb.DuckDBPyConnection, repo_id: int, items: Sequence[dict[str, Any]]
) -> int:
    """Issues and pull requests from ``GET /repos/{o}/{r}/issues`` (a PR has a ``pull_request`` key).

    GraphQL nodes come here too, turned into this shape by ``github_gql_shape``, so both paths
    write the same rows for the same data.
    """
    ids = identity_ids(con, ((i.get("user"), parse_ts(i.get("created_at"))) for i in items))
    rows = []
    for i in {int(i["number"]): i for i in items}.values():
        pr = i.get("pull_request")
        merged_at = parse_ts(pr.get("merged_at")) if isinstance(pr, dict) else None
        # The list payload has no merged_by; closed_by (when GitHub includes it) is who merged.
        merged_by = login_of(i.get("merged_by") or i.get("closed_by")) if merged_at else None
        rows.append(
            {
                "repo_id": repo_id,
                "number": int(i["number"]),
                "is_pull": pr is not None,
                "github_id": i.get("id"),
                "author_identity": _ident(ids, i.get("user")),
                "author_login": login_of(i.get("user")),
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
                "additions": i.get("additions"),
                "deletions": i.get("deletions"),
                "changed_files": i.get("changed_files"),
            }
        )
    return upsert(con, "issues", rows, _ISSUE_SCHEMA, key=("repo_id", "number"), keep=_PR_ONLY)


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
        ("created_at", TS),
        ("updated_at", TS),
        ("body_len", pa.int32()),
        ("commit_id", pa.string()),
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
            "issue_number": c.get("issue_number") or _number_from_url(c.get(url_key)),
            "comment_id": int(c["id"]),
            "kind": kind,
            "author_identity": _ident(ids, c.get("user")),
            "author_login": login_of(c.get("user")),
            "author_association": c.get("author_association"),
            "review_state": None,
            "created_at": parse_ts(c.get("created_at")),
            "updated_at": parse_ts(c.get("updated_at")),
            "body_len": len(c.get("body") or ""),
            "commit_id": None,
        }
        for c in {int(c["id"]): c for c in items}.values()
    ]
    return upsert(con, "comments", rows, _COMMENT_SCHEMA)


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
            "author_login": login_of(r.get("user")),
            "author_association": r.get("author_association"),
            "review_state": r.get("state"),
            "created_at": parse_ts(r.get("submitted_at")),
            "updated_at": parse_ts(r.get("submitted_at")),
            "body_len": len(r.get("body") or ""),
            "commit_id": r.get("commit_id"),
        }
        for number, r in {int(r["id"]): (n, r) for n, r in pairs}.values()
    ]
    return upsert(con, "comments", rows, _COMMENT_SCHEMA)

"""User corrections to the identity merge, and the people listing that shows them.

``ossmetrics identities merge|split`` write ``identity_overrides`` rows keyed by identity key
(stable across re-collection and rebuilt stores) and re-run the merge at once;
``collect.identities.recompute_people`` re-applies them on every later run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from ossmetrics.collect.identities import recompute_people
from ossmetrics.errors import BadParameter
from ossmetrics.store import transaction

__all__ = ["Person", "list_people", "merge_override", "split_override"]


def _resolve(con: duckdb.DuckDBPyConnection, ref: str) -> list[tuple[int, str]]:
    """(identity_id, identity_key) rows a user reference names: id, key, email or login."""
    ref = ref.strip()
    args: list[object]
    if ref.isdigit():
        q, args = "identity_id = ?", [int(ref)]
    elif ref.startswith(("git:", "github:", "corpus:")):
        q, args = "identity_key = ?", [ref]
    elif "@" in ref:
        q, args = "lower(email) = lower(?)", [ref]
    else:
        q, args = "lower(login) = lower(?) OR identity_key = 'github:' || lower(?)", [ref, ref]
    found = con.execute(
        f"SELECT identity_id, identity_key FROM identities WHERE {q} ORDER BY identity_id", args
    ).fetchall()
    if not found:
        raise BadParameter(
            f"no identity matches '{ref}'",
            "give an identity id, an email or a GitHub login (`ossmetrics identities list` shows them)",
        )
    return [(int(a), str(b)) for a, b in found]


def merge_override(
    con: duckdb.DuckDBPyConnection, a: str, b: str, *, extra_bots: Sequence[str] = ()
) -> int:
    """Record that the identities ``a`` names belong to ``b``'s person; return that person."""
    src = _resolve(con, a)
    dst = _resolve(con, b)[0]
    with transaction(con):
        for _, key in src:
            if key != dst[1]:
                con.execute(
                    "INSERT INTO identity_overrides (identity_key, action, target_identity_key) VALUES (?, 'merge', ?)",
                    [key, dst[1]],
                )
        recompute_people(con, extra_bots=extra_bots)
        row = con.execute(
            "SELECT person_id FROM identities WHERE identity_id = ?", [dst[0]]
        ).fetchone()
    return int(row[0]) if row else dst[0]


def split_override(
    con: duckdb.DuckDBPyConnection, a: str, *, extra_bots: Sequence[str] = ()
) -> list[int]:
    """Give each identity ``a`` names a person of its own; return their person ids."""
    src = _resolve(con, a)
    with transaction(con):
        for _, key in src:
            con.execute(
                "DELETE FROM identity_overrides WHERE identity_key = ? AND action = 'merge'", [key]
            )
            con.execute(
                "INSERT INTO identity_overrides (identity_key, action) VALUES (?, 'split')", [key]
            )
        recompute_people(con, extra_bots=extra_bots)
        ids = [iid for iid, _ in src]
        found = con.execute(
            "SELECT person_id FROM identities WHERE list_contains(?, identity_id) ORDER BY identity_id",
            [ids],
        ).fetchall()
    return [int(r[0]) for r in found]


@dataclass
class Person:
    person_id: int
    display_name: str | None
    primary_email: str | None
    github_login: str | None
    organization: str | None
    is_bot: bool
    commits: int
    identities: list[str] = field(default_factory=list)


def list_people(
    con: duckdb.DuckDBPyConnection,
    *,
    repo: str | None = None,
    bots: bool | None = None,
    search: str | None = None,
    limit: int | None = 100,
) -> list[Person]:
    """People with their identities, most commits first; filtered by repo, bot flag, text."""
    from ossmetrics.store import get_repo_id

    repo_id = get_repo_id(con, repo) if repo else None
    like = f"%{search.strip().lower()}%" if search and search.strip() else None
    rows = con.execute(
        """
        WITH counts AS (
            SELECT i.person_id, count(*) AS n FROM commits c
            JOIN identities i ON i.identity_id = c.author_identity
            WHERE $repo_id::INTEGER IS NULL OR c.repo_id = $repo_id
            GROUP BY 1),
        ids AS (
            SELECT person_id,
                   list('#' || identity_id || ' ' || CASE
                        WHEN source = 'github' THEN 'github:' || coalesce(login, '')
                        ELSE coalesce(name, '') || ' <' || coalesce(email, '') || '>' END
                        ORDER BY identity_id) AS idents,
                   bool_or($like::VARCHAR IS NOT NULL AND (
                        lower(coalesce(name, '')) LIKE $like OR lower(coalesce(email, '')) LIKE $like
                        OR lower(coalesce(login, '')) LIKE $like)) AS hit
            FROM identities GROUP BY person_id)
        SELECT p.person_id, p.display_name, p.primary_email, p.github_login, p.organization,
               p.is_bot, coalesce(c.n, 0) AS n, ids.idents
        FROM people p JOIN ids USING (person_id) LEFT JOIN counts c USING (person_id)
        WHERE ($repo_id::INTEGER IS NULL OR c.n IS NOT NULL)
          AND ($bots::BOOLEAN IS NULL OR p.is_bot = $bots)
          AND ($like::VARCHAR IS NULL OR ids.hit
               OR lower(coalesce(p.display_name, '')) LIKE $like
               OR lower(coalesce(p.github_login, '')) LIKE $like)
        ORDER BY n DESC, p.person_id
        LIMIT $limit""",
        {"repo_id": repo_id, "bots": bots, "like": like, "limit": limit if limit else 1 << 62},
    ).fetchall()
    return [Person(r[0], r[1], r[2], r[3], r[4], bool(r[5]), int(r[6]), list(r[7])) for r in rows]

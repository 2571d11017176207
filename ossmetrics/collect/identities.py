"""Merge identities (every name/email/login seen) into people, and let users correct it.

Why here and not in each collector: people-based metrics (active contributors, truck factor,
bus factor) are only right when one person's aliases count once — rails' truck factor of 21
drops once its authors' several emails are merged (measured on rails). Every identity
in the store, whatever its source, is clustered in one pass:

- **email**: identities with the same lowercased email are one person (except placeholder
  addresses such as ``root@localhost`` or ``you@example.com``, shared by strangers);
- **GitHub noreply**: ``12345+login@users.noreply.github.com`` and
  ``login@users.noreply.github.com`` belong to ``login``; so do identities whose ``login`` is
  known and the ``github:login`` identity of the GitHub collector;
- **.mailmap**: each collected repository's ``.mailmap`` at HEAD (table ``git_mailmap``) maps
  an alias to its proper email (joining that email's cluster) and proper name;
- **name**: the same normalised full name (accents and case folded) of at least two words of
  two letters or more, bots and placeholder names ("Your Name") excluded — conservative,
  because a one-word name ("alex") is shared by many people;
- **overrides** (``identity_overrides``, written by ``ossmetrics identities merge|split``,
  see ``collect.corrections``):
  a split identity takes part in no automatic rule; a merge joins two identities' people.
  They are re-applied on every run, so corrections survive re-collection.

Clusters are found with union-find; ``person_id`` is the smallest ``identity_id`` of the
cluster, so it is stable as long as that identity exists. ``people`` is rebuilt each time:
display name (mailmap name, else the full name with most commits), primary email, GitHub login,
organization (most-used email domain that is not free mail) and ``is_bot`` (collect.bots).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import duckdb

from ossmetrics.collect.bots import BotRules
from ossmetrics.collect.identity_keys import (
    email_domain,
    mergeable_email,
    noreply_login,
    normalise_name,
)
from ossmetrics.store import transaction

__all__ = ["merge_identities", "recompute_people"]


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb


def merge_identities(con: duckdb.DuckDBPyConnection, *, extra_bots: Sequence[str] = ()) -> int:
    """Recompute ``person_id`` of every identity and the ``people`` table; return #people.

    ``extra_bots``: bot names/emails on top of the built-in rules — the caller passes the
    ``bots`` setting (every collector that re-merges must, or it unflags the bots the user
    named).
    """
    with transaction(con):
        return recompute_people(con, extra_bots=extra_bots)


def recompute_people(con: duckdb.DuckDBPyConnection, *, extra_bots: Sequence[str] = ()) -> int:
    """``merge_identities`` without its own transaction (collectors call it inside theirs)."""
    import pyarrow as pa

    rows = con.execute(
        """SELECT identity_id, identity_key, source, login, name, email, is_bot, person_id
           FROM identities ORDER BY identity_id"""
    ).fetchall()
    n = len(rows)
    if n == 0:
        con.execute("DELETE FROM people")
        return 0
    index = {r[1]: i for i, r in enumerate(rows)}
    commits = dict(
        con.execute(
            "SELECT author_identity, count(*) FROM commits WHERE author_identity IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    mailmap_email: dict[str, tuple[str | None, str | None]] = {}
    mailmap_pair: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    for pn, pe, cn, ce in con.execute(
        "SELECT proper_name, proper_email, commit_name, commit_email FROM git_mailmap ORDER BY repo_id"
    ).fetchall():
        target = (pn, pe)
        if cn:
            mailmap_pair.setdefault((cn.lower(), ce.lower()), target)
        else:
            mailmap_email.setdefault(ce.lower(), target)
    split: set[int] = set()
    merges: list[tuple[int, int]] = []
    for key, action, target in con.execute(
        "SELECT identity_key, action, target_identity_key FROM identity_overrides ORDER BY created_at"
    ).fetchall():
        if key not in index:
            continue
        if action == "split":
            split.add(index[key])
        elif action == "merge" and target in index:
            merges.append((index[key], index[target]))

    rules = BotRules(extra_bots)
    uf = _UnionFind(n)
    anchors: dict[str, int] = {}
    bot = [False] * n
    proper_name: list[str | None] = [None] * n
    proper_email: list[str | None] = [None] * n
    logins: list[str | None] = [None] * n

    def link(i: int, node: str) -> None:
        j = anchors.setdefault(node, i)
        if j != i:
            uf.union(i, j)

    for i, (_iid, _key, source, login, name, email, stored_bot, _pid) in enumerate(rows):
        email_l = (email or "").strip().lower()
        login_l = (login or "").strip().lower() or None
        nr = noreply_login(email_l)
        logins[i] = login_l or nr
        bot[i] = rules(name, email, login) or (source != "git" and bool(stored_bot))
        mapped = None
        if email_l:
            mapped = mailmap_pair.get(((name or "").lower(), email_l)) or mailmap_email.get(email_l)
        if mapped:
            proper_name[i], proper_email[i] = mapped
        if i in split:
            continue
        if mergeable_email(email_l):
            link(i, "e:" + email_l)
        if proper_email[i]:
            link(i, "e:" + (proper_email[i] or "").lower())
        for lg in {login_l, nr} - {None}:
            link(i, f"l:{lg}")
        if not bot[i]:
            norm = normalise_name(proper_name[i] or name)
            if norm:
                link(i, "n:" + norm)
    for a, b in merges:
        uf.union(a, b)

    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        clusters[uf.find(i)].append(i)
    ident_person: list[int] = [0] * n
    people: dict[str, list[Any]] = {
        k: []
        for k in (
            "person_id",
            "display_name",
            "primary_email",
            "github_login",
            "is_bot",
            "organization",
        )
    }
    for members in clusters.values():
        pid = min(rows[i][0] for i in members)
        for i in members:
            ident_person[i] = pid
        p = _person(rows, members, commits, bot, proper_name, proper_email, logins)
        people["person_id"].append(pid)
        for k in ("display_name", "primary_email", "github_login", "is_bot", "organization"):
            people[k].append(p[k])

    upd = pa.table(
        {
            "identity_id": pa.array([r[0] for r in rows], pa.int32()),
            "person_id": pa.array(ident_person, pa.int32()),
            "is_bot": pa.array(bot, pa.bool_()),
        }
    )
    ppl = pa.table(
        {
            "person_id": pa.array(people["person_id"], pa.int32()),
            "display_name": pa.array(people["display_name"], pa.string()),
            "primary_email": pa.array(people["primary_email"], pa.string()),
            "github_login": pa.array(people["github_login"], pa.string()),
            "is_bot": pa.array(people["is_bot"], pa.bool_()),
            "organization": pa.array(people["organization"], pa.string()),
        }
    )
    con.register("_id_update", upd)
    con.register("_people_new", ppl)
    try:
        con.execute("""
            UPDATE identities SET person_id = u.person_id, is_bot = u.is_bot
            FROM _id_update u
            WHERE identities.identity_id = u.identity_id
              AND (identities.person_id IS DISTINCT FROM u.person_id
                   OR identities.is_bot IS DISTINCT FROM u.is_bot)""")
        con.execute("DELETE FROM people")
        con.execute("INSERT INTO people SELECT * FROM _people_new ORDER BY person_id")
    finally:
        con.unregister("_id_update")
        con.unregister("_people_new")
    return len(clusters)


def _person(
    rows: list[tuple[Any, ...]],
    members: list[int],
    commits: dict[int, int],
    bot: list[bool],
    proper_name: list[str | None],
    proper_email: list[str | None],
    logins: list[str | None],
) -> dict[str, Any]:
    # Most commits first, then the oldest identity: deterministic and meaningful.
    order = sorted(members, key=lambda i: (-commits.get(rows[i][0], 0), rows[i][0]))
    # A mailmap name first, then full names (two words or more) before handles like "ann".
    names = [proper_name[i] for i in order if proper_name[i]]
    names += [rows[i][4] for i in order if rows[i][4] and normalise_name(rows[i][4])]
    names += [rows[i][4] for i in order if rows[i][4]]
    emails = [proper_email[i] for i in order if proper_email[i]]
    emails += [rows[i][5] for i in order if rows[i][5] and not noreply_login(rows[i][5])]
    emails += [rows[i][5] for i in order if rows[i][5]]
    gh = [logins[i] for i in order if logins[i]]
    # A github-source identity's login is the authoritative spelling.
    gh_src = [rows[i][3] for i in order if rows[i][2] == "github" and rows[i][3]]
    login = gh_src[0] if gh_src else (gh[0] if gh else None)
    display = names[0] if names else None
    if display is None and login:
        display = login
    if display is None:
        top = rows[order[0]]
        fallback = emails[0] if emails else str(top[1])
        display = str(top[1])[7:15] if top[2] == "corpus" else fallback
    domains: Counter[str] = Counter()
    for i in order:
        d = email_domain(proper_email[i]) or email_domain(rows[i][5])
        if d:
            domains[d] += commits.get(rows[i][0], 0) + 1
    org = max(domains.items(), key=lambda kv: (kv[1], kv[0]))[0] if domains else None
    if all(rows[i][2] == "forgotten" for i in members):  # `people forget`: no name, no email
        display, emails, login = f"anonymous person {min(rows[i][0] for i in members)}", [], None
    return {
        "display_name": display,
        "primary_email": emails[0] if emails else None,
        "github_login": login,
        "is_bot": any(bot[i] for i in members),
        "organization": org,
    }

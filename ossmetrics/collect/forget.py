"""Rights of the people in the store: ``forget`` (erasure) and ``export`` (access).

``forget_person`` removes a person's identities, names, emails and logins from every table that
holds them, and keeps their contributions attributed to an anonymous identity, so every
metric, graph and score computes the same numbers as before:

- each identity keeps its ``identity_id`` (commits, issues and comments point at it) and
  becomes ``forgotten:<id>`` with no name, email or login; only the email's organisation
  domain is kept (the elephant factor counts organisations), and not for free-mail domains;
- the person's identities are pinned together and kept out of automatic merging
  (``identity_overrides`` split + merge), so they remain exactly one person;
- ``.mailmap`` rows, issue/comment/release logins, assignees, stargazers and forks naming them go;
- ``forgotten_identities`` keeps SHA-256 hashes of their identity keys, emails and logins, so
  the collectors (``collect git``, ``collect github``) recognise the same author next time and
  attach the new work to the anonymous identity instead of re-creating the named one
  (``is_forgotten_sql``, ``forgotten_hashes``).

``export_person`` gathers what the store holds about one person, for an access request.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import duckdb

from ossmetrics.errors import BadParameter
from ossmetrics.store import transaction

__all__ = [
    "drop_forgotten_mailmap",
    "export_person",
    "forget_person",
    "forgotten_hashes",
    "honour_forgotten_git",
    "key_hash",
    "resolve_person",
    "scrub_forgotten_rows",
]


def key_hash(text: str) -> str:
    """Hex SHA-256 of ``text`` (UTF-8), the same as DuckDB's ``sha256(text)``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def forgotten_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every hash in ``forgotten_identities`` (small: a few per forgotten person)."""
    return {str(r[0]) for r in con.execute("SELECT key_hash FROM forgotten_identities").fetchall()}


def resolve_person(con: duckdb.DuckDBPyConnection, ref: str) -> int:
    """A person by person id, identity key, email, GitHub login or name; one line if not one."""
    w = ref.strip()
    if not w:
        raise BadParameter("no person given", "give a person id, email, GitHub login or name")
    rows = con.execute(
        """SELECT DISTINCT p.person_id FROM people p LEFT JOIN identities i USING (person_id)
           WHERE p.person_id::VARCHAR = $w OR i.identity_key = $w
              OR lower(p.github_login) = lower($w) OR lower(p.display_name) = lower($w)
              OR lower(i.login) = lower($w) OR lower(i.email) = lower($w)
              OR lower(i.name) = lower($w)
           ORDER BY 1""",
        {"w": w},
    ).fetchall()
    if not rows:
        raise BadParameter(
            f"no person '{ref}' in the store",
            "give a person id, email, GitHub login or name as `ossmetrics identities list` shows",
        )
    if len(rows) > 1:
        ids = ", ".join(str(r[0]) for r in rows[:10])
        raise BadParameter(
            f"'{ref}' matches {len(rows)} people ({ids})", "give one person id instead"
        )
    return int(rows[0][0])


def _domain(email: str | None) -> str | None:
    from ossmetrics.collect.identity_keys import email_domain

    return email_domain(email)


def forget_person(con: duckdb.DuckDBPyConnection, ref: str) -> dict[str, Any]:
    """Erase person ``ref`` as described above; → a summary (person id, counts)."""
    from ossmetrics.collect.identities import recompute_people
    from ossmetrics.collect.identity_keys import mergeable_email, noreply_login

    pid = resolve_person(con, ref)
    ids = con.execute(
        """SELECT identity_id, identity_key, source, login, name, email FROM identities
           WHERE person_id = ? ORDER BY identity_id""",
        [pid],
    ).fetchall()
    keys = [str(r[1]) for r in ids if r[2] != "forgotten"]
    if not keys:
        raise BadParameter(f"person {pid} is already forgotten", "nothing left to remove")
    emails = sorted({str(r[5]).strip().lower() for r in ids if r[5]})
    logins = {str(r[3]).strip().lower() for r in ids if r[3]}
    logins |= {lg for e in emails if (lg := noreply_login(e))}
    logins |= {k.split(":", 1)[1] for k in keys if k.startswith("github:")}
    hashes: dict[str, int] = {}
    for iid, key, *_ in ids:
        hashes.setdefault(key_hash(str(key)), int(iid))
    for e in emails:  # an address shared by strangers (root@localhost) identifies nobody
        if mergeable_email(e):
            hashes.setdefault(key_hash("email:" + e), pid)
    for lg in sorted(logins):
        hashes.setdefault(key_hash("github:" + lg), pid)
    anchor = f"forgotten:{pid}"
    with transaction(con):
        for h, iid in hashes.items():
            con.execute(
                "INSERT INTO forgotten_identities (key_hash, identity_id) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
                [h, iid],
            )
        con.execute(
            """DELETE FROM identity_overrides
               WHERE list_contains($k, identity_key) OR list_contains($k, target_identity_key)""",
            {"k": keys},
        )
        for iid, _key, _src, _login, _name, email in ids:
            dom = _domain(email)
            con.execute(
                """UPDATE identities SET identity_key = 'forgotten:' || identity_id,
                          source = 'forgotten', login = NULL, name = NULL, email = ?
                   WHERE identity_id = ?""",
                [f"@{dom}" if dom else None, iid],
            )
            new_key = f"forgotten:{iid}"
            con.execute(
                "INSERT INTO identity_overrides (identity_key, action) VALUES (?, 'split')",
                [new_key],
            )
            if new_key != anchor:
                con.execute(
                    "INSERT INTO identity_overrides (identity_key, action, target_identity_key) "
                    "VALUES (?, 'merge', ?)",
                    [new_key, anchor],
                )
        _scrub_tables(con, emails, sorted(logins))
        recompute_people(con)
    return {"person_id": pid, "identities": len(ids), "emails": len(emails), "logins": len(logins)}


def _scrub_tables(con: duckdb.DuckDBPyConnection, emails: list[str], logins: list[str]) -> None:
    """Names, emails and logins of the forgotten person outside ``identities``."""
    con.execute(
        """DELETE FROM git_mailmap WHERE list_contains($e, lower(commit_email))
                                      OR list_contains($e, lower(proper_email))""",
        {"e": emails},
    )
    if not logins:
        return
    p = {"l": logins}
    con.execute(
        "UPDATE issues SET author_login = NULL WHERE list_contains($l, lower(author_login))", p
    )
    con.execute(
        "UPDATE issues SET merged_by_login = NULL WHERE list_contains($l, lower(merged_by_login))",
        p,
    )
    con.execute(
        """UPDATE issues SET assignees = list_filter(assignees, lambda a: NOT list_contains($l, lower(a)))
           WHERE len(list_filter(assignees, lambda a: list_contains($l, lower(a)))) > 0""",
        p,
    )
    con.execute(
        "UPDATE comments SET author_login = NULL WHERE list_contains($l, lower(author_login))", p
    )
    con.execute(
        "UPDATE releases SET author_login = NULL WHERE list_contains($l, lower(author_login))", p
    )
    con.execute("DELETE FROM stargazers WHERE list_contains($l, lower(login))", p)
    con.execute("DELETE FROM forks WHERE list_contains($l, lower(login))", p)


def honour_forgotten(con: duckdb.DuckDBPyConnection) -> None:
    """After a GitHub collection: drop logins of forgotten people that the payloads brought back.

    Keyed by hash, so the store never needs the login in clear to recognise it.
    """
    hashes = sorted(forgotten_hashes(con))
    if not hashes:
        return
    p = {"h": hashes}
    gone = "list_contains($h, sha256('github:' || lower({0})))"
    for table, col in (
        ("issues", "author_login"),
        ("issues", "merged_by_login"),
        ("comments", "author_login"),
        ("releases", "author_login"),
    ):
        con.execute(f"UPDATE {table} SET {col} = NULL WHERE {gone.format(col)}", p)
    con.execute(
        f"""UPDATE issues SET assignees = list_filter(assignees, lambda a: NOT {gone.format("a")})
            WHERE len(list_filter(assignees, lambda a: {gone.format("a")})) > 0""",
        p,
    )
    con.execute(f"DELETE FROM stargazers WHERE {gone.format('login')}", p)
    con.execute(f"DELETE FROM forks WHERE {gone.format('login')}", p)


#: identity key prefix of a forgotten person's identity in a store without the anonymous
#: identities (a ``spark collect`` task's): ``PLACEHOLDER + key_hash``
PLACEHOLDER = "forgotten-hash:"


def drop_forgotten_mailmap(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> None:
    """Delete the ``.mailmap`` rows naming an address of ``hashes`` (a repository's
    ``.mailmap`` keeps naming a person after ``people forget``; collecting it brings them back)."""
    if hashes:
        gone = "list_contains($h, sha256('email:' || lower({0})))"
        con.execute(
            f"DELETE FROM git_mailmap WHERE {gone.format('commit_email')} "
            f"OR {gone.format('proper_email')}",
            {"h": hashes},
        )


def scrub_forgotten_rows(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> int:
    """In a store that holds no anonymous identities (a ``spark collect`` task's), replace
    every identity naming a forgotten person (``hashes``: ``forgotten_identities.key_hash``) by
    a placeholder without login, name or address, keyed :data:`PLACEHOLDER` + HASH, and delete
    the ``.mailmap`` rows naming them; returns how many identities were replaced. A second
    identity with the same placeholder (the person's new commits after a rerun) is folded
    into the first. ``honour_forgotten_git`` folds placeholders into the lake's anonymous
    identity at the merge, so the task's files never hold the person."""
    if not hashes:
        return 0
    drop_forgotten_mailmap(con, hashes)
    hits = con.execute(
        """SELECT identity_id,
                  CASE WHEN list_contains($h, sha256(identity_key)) THEN sha256(identity_key)
                       ELSE sha256('email:' || lower(email)) END
           FROM identities
           WHERE NOT starts_with(identity_key, $p)
             AND (list_contains($h, sha256(identity_key))
                  OR (email IS NOT NULL AND list_contains($h, sha256('email:' || lower(email)))))
           ORDER BY identity_id""",
        {"h": hashes, "p": PLACEHOLDER},
    ).fetchall()
    for ident, h in hits:
        key = f"{PLACEHOLDER}{h}"
        kept = con.execute(
            "SELECT identity_id FROM identities WHERE identity_key = ?", [key]
        ).fetchone()
        if kept is None:
            con.execute(
                "UPDATE identities SET identity_key = ?, login = NULL, name = NULL, "
                "email = NULL WHERE identity_id = ?",
                [key, ident],
            )
            continue
        for col in ("author_identity", "committer_identity"):
            con.execute(f"UPDATE commits SET {col} = ? WHERE {col} = ?", [kept[0], ident])
        con.execute("DELETE FROM identities WHERE identity_id = ?", [ident])
    return len(hits)


def honour_forgotten_git(con: duckdb.DuckDBPyConnection) -> int:
    """Fold git identities of forgotten people back into the anonymous identity kept for them.

    ``collect git`` never creates them (``git_stage`` checks ``forgotten_identities``), but rows
    collected in another store and merged in -- ``spark collect``'s tasks, which write a
    forgotten person as a :data:`PLACEHOLDER` identity (``scrub_forgotten_rows``), or a store
    that never had the list -- can bring a forgotten author's identity and ``.mailmap`` rows
    back. Their commits are re-pointed at the
    anonymous identity, the named identities and mailmap rows deleted; returns how many
    identities were folded. Keyed by hash, like the collectors' check."""
    back = con.execute(
        """SELECT i.identity_id, min(f.identity_id) FROM identities i
           JOIN forgotten_identities f
             ON f.key_hash = sha256(i.identity_key)
             OR (i.email IS NOT NULL AND f.key_hash = sha256('email:' || lower(i.email)))
             OR i.identity_key = $p || f.key_hash
           WHERE i.identity_id <> f.identity_id
           GROUP BY 1""",
        {"p": PLACEHOLDER},
    ).fetchall()
    drop_forgotten_mailmap(con, sorted(forgotten_hashes(con)))
    if not back:
        return 0
    con.execute("CREATE OR REPLACE TEMP TABLE _forgot_map (back INTEGER, anon INTEGER)")
    con.executemany("INSERT INTO _forgot_map VALUES (?, ?)", back)
    for col in ("author_identity", "committer_identity"):
        con.execute(
            f"UPDATE commits SET {col} = m.anon FROM _forgot_map m WHERE commits.{col} = m.back"
        )
    con.execute("DELETE FROM identities WHERE identity_id IN (SELECT back FROM _forgot_map)")
    con.execute("DROP TABLE _forgot_map")
    return len(back)


def export_person(con: duckdb.DuckDBPyConnection, ref: str) -> dict[str, Any]:
    """Everything the store holds about one person, as plain JSON-able data."""
    pid = resolve_person(con, ref)

    def rows(sql: str, params: list[Any]) -> list[dict[str, Any]]:
        cur = con.execute(sql, params)
        cols = [d[0] for d in cur.description or []]
        return [
            {
                c: (v.isoformat() if isinstance(v, datetime) else v)
                for c, v in zip(cols, r, strict=True)
            }
            for r in cur.fetchall()
        ]

    person = rows("SELECT * FROM people WHERE person_id = ?", [pid])
    idents = rows(
        """SELECT identity_id, identity_key, source, login, name, email, is_bot, first_seen_at
           FROM identities WHERE person_id = ? ORDER BY identity_id""",
        [pid],
    )
    ids = [int(i["identity_id"]) for i in idents]
    logins = sorted({str(i["login"]).lower() for i in idents if i["login"]})
    emails = sorted({str(i["email"]).lower() for i in idents if i["email"]})
    keys = [str(i["identity_key"]) for i in idents]
    return {
        "person": person[0] if person else {"person_id": pid},
        "identities": idents,
        "commits": rows(
            """SELECT r.full_name AS repo, count(*) AS commits, min(c.committed_at) AS first,
                      max(c.committed_at) AS last
               FROM commits c JOIN repos r USING (repo_id)
               WHERE list_contains(?, c.author_identity) GROUP BY 1 ORDER BY 1""",
            [ids],
        ),
        "issues_and_pull_requests": rows(
            """SELECT r.full_name AS repo, count(*) FILTER (WHERE NOT is_pull) AS issues,
                      count(*) FILTER (WHERE is_pull) AS pull_requests
               FROM issues i JOIN repos r USING (repo_id)
               WHERE list_contains(?, i.author_identity) GROUP BY 1 ORDER BY 1""",
            [ids],
        ),
        "comments": rows(
            """SELECT r.full_name AS repo, kind, count(*) AS n FROM comments c
               JOIN repos r USING (repo_id) WHERE list_contains(?, c.author_identity)
               GROUP BY ALL ORDER BY ALL""",
            [ids],
        ),
        "stars": rows(
            """SELECT r.full_name AS repo, s.starred_at FROM stargazers s JOIN repos r USING (repo_id)
               WHERE list_contains(?, lower(s.login)) ORDER BY 1""",
            [logins],
        ),
        "mailmap_lines": rows(
            """SELECT r.full_name AS repo, proper_name, proper_email, commit_name, commit_email
               FROM git_mailmap m JOIN repos r USING (repo_id)
               WHERE list_contains(?, lower(commit_email)) OR list_contains(?, lower(proper_email))""",
            [emails, emails],
        ),
        "identity_corrections": rows(
            """SELECT identity_key, action, target_identity_key, created_at FROM identity_overrides
               WHERE list_contains(?, identity_key) OR list_contains(?, target_identity_key)""",
            [keys, keys],
        ),
        "graph_measures": rows(
            """SELECT coalesce(r.full_name, '(portfolio)') AS repo, g.as_of, count(*) AS measures
               FROM graph_person_measures g LEFT JOIN repos r USING (repo_id)
               WHERE g.person_id = ? GROUP BY ALL ORDER BY ALL""",
            [pid],
        ),
    }

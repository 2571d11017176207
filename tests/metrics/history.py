"""Crafted histories inserted straight into the store tables, for hand-checked metric tests.

A ``History`` writes people, identities, commits, issues, comments and releases the way the
collectors leave them (every identity has a person; GitHub items carry both ``author_identity``
and ``author_login``), so the metrics see exactly what a test describes and nothing else.
Rows are few, so plain parameterised INSERTs are used.
"""

from __future__ import annotations

import itertools
from datetime import datetime

import duckdb

from ossmetrics.store import ensure_repo

__all__ = ["History", "ts"]


def ts(text: str) -> datetime:
    """An aware datetime from ISO text; no offset means UTC."""
    d = datetime.fromisoformat(text)
    return d if d.tzinfo else datetime.fromisoformat(text + "+00:00")


class History:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.git: dict[str, int] = {}  # person name -> git identity_id
        self.gh: dict[str, int] = {}  # person name -> github identity_id
        self.pid: dict[str, int] = {}  # person name -> person_id
        self._sha = itertools.count(1)
        self._cid = itertools.count(1)
        row = con.execute("SELECT coalesce(max(person_id), 0) FROM people").fetchone()
        self._next_person = (row[0] if row else 0) + 1

    def repo(self, full_name: str) -> int:
        return ensure_repo(self.con, full_name)

    def person(
        self, name: str, *, bot: bool = False, org: str | None = None, login: str | None = None
    ) -> int:
        """A person with one git identity (name@example.org) and one GitHub identity (login)."""
        pid = self._next_person
        self._next_person += 1
        login = login or name
        self.con.execute(
            "INSERT INTO people (person_id, display_name, primary_email, github_login, is_bot, organization) VALUES (?, ?, ?, ?, ?, ?)",
            [pid, name, f"{name}@example.org", login, bot, org],
        )
        self.pid[name] = pid
        self.git[name] = self.identity(name, pid, f"git:{name}@example.org", bot=bot)
        self.gh[name] = self.identity(name, pid, f"github:{login.lower()}", bot=bot, login=login)
        return pid

    def identity(
        self, name: str, pid: int, key: str, *, bot: bool = False, login: str | None = None
    ) -> int:
        """Another identity of person ``pid`` (an alias the identity merge joined)."""
        row = self.con.execute(
            "INSERT INTO identities (identity_key, person_id, source, login, name, email, is_bot) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING identity_id",
            [key, pid, key.split(":")[0], login, name, None if login else key[4:], bot],
        ).fetchone()
        assert row is not None
        return int(row[0])

    def commit(
        self,
        repo: str,
        who: str,
        when: str,
        *,
        merge: bool = False,
        identity: int | None = None,
        added: int = 10,
        deleted: int = 2,
    ) -> None:
        rid = self.repo(repo)
        self.con.execute(
            "INSERT INTO commits (repo_id, sha, author_identity, committer_identity, authored_at, committed_at, n_parents, files_changed, lines_added, lines_deleted) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
            [
                rid,
                f"{next(self._sha):040x}",
                identity if identity is not None else self.git[who],
                identity if identity is not None else self.git[who],
                ts(when),
                ts(when),
                2 if merge else 1,
                added,
                deleted,
            ],
        )

    def issue(
        self,
        repo: str,
        number: int,
        who: str,
        created: str,
        *,
        pull: bool = False,
        closed: str | None = None,
        merged: str | None = None,
        state: str | None = None,
        login: str | None = None,
    ) -> None:
        """An issue (or pull request) by person ``who``; ``login`` alone for an unknown author."""
        rid = self.repo(repo)
        if merged and not closed:
            closed = merged
        self.con.execute(
            "INSERT INTO issues (repo_id, number, is_pull, author_identity, author_login, author_association, state, created_at, closed_at, merged_at) "
            "VALUES (?, ?, ?, ?, ?, 'NONE', ?, ?, ?, ?)",
            [
                rid,
                number,
                pull,
                self.gh.get(who) if login is None else None,
                login or who,
                state or ("closed" if closed else "open"),
                ts(created),
                ts(closed) if closed else None,
                ts(merged) if merged else None,
            ],
        )

    def comment(
        self,
        repo: str,
        number: int,
        who: str,
        when: str,
        *,
        kind: str = "issue",
        association: str = "NONE",
        review_state: str | None = None,
        login: str | None = None,
    ) -> None:
        rid = self.repo(repo)
        self.con.execute(
            "INSERT INTO comments (repo_id, issue_number, comment_id, kind, author_identity, author_login, author_association, review_state, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                rid,
                number,
                next(self._cid),
                kind,
                self.gh.get(who) if login is None else None,
                login or who,
                association,
                review_state or ("APPROVED" if kind == "review" else None),
                ts(when),
            ],
        )

    def release(
        self,
        repo: str,
        tag: str,
        published: str | None,
        *,
        prerelease: bool = False,
        draft: bool = False,
    ) -> None:
        rid = self.repo(repo)
        self.con.execute(
            "INSERT INTO releases (repo_id, tag, published_at, prerelease, draft) VALUES (?, ?, ?, ?, ?)",
            [rid, tag, ts(published) if published else None, prerelease, draft],
        )

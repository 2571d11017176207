"""``PeopleView``: the one place writers ask how a person or an identity may be shown.

A writer (report pages, graph export, query output) never prints ``people.display_name`` or an
``identity_key`` itself; it asks the view, which applies the ``PrivacyOptions``:

- ``label(pid)``: the display name with emails hidden (default), or in publish mode the name of
  an allowed person and the salted pseudonym of everyone else;
- ``allowed(pid)``: whether person-level tables may list the person (always outside publish);
- ``identity_label(identity_id, source, key)``: ``git:#12``, ``git:a…@example.org`` (opt-in
  ``masked``) or, in publish mode, ``git:`` and a keyed hash of the key;
- ``ordinal(k)``: "the main author", "person 2", … for key-person wording in publish mode.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import duckdb

from ossmetrics.privacy.options import PrivacyOptions
from ossmetrics.privacy.redact import EMAIL_RE, HIDDEN, mask_email, scrub_text

__all__ = ["PeopleView"]

log = logging.getLogger(__name__)


class PeopleView:
    """Reads ``people`` and ``identities`` once; answers label/allowed questions from memory."""

    def __init__(self, con: duckdb.DuckDBPyConnection, options: PrivacyOptions | None = None):
        self.options = options or PrivacyOptions()
        self.warnings: list[str] = []
        rows = con.execute(
            """SELECT p.person_id, p.display_name, p.github_login, p.is_bot, a.identity_key
               FROM people p LEFT JOIN identities a ON a.identity_id = p.person_id"""
        ).fetchall()
        self._name: dict[int, str | None] = {int(r[0]): r[1] for r in rows}
        self._login: dict[int, str | None] = {int(r[0]): r[2] for r in rows}
        self._bot: dict[int, bool] = {int(r[0]): bool(r[3]) for r in rows}
        self._anchor: dict[int, str] = {int(r[0]): str(r[4] or f"person:{r[0]}") for r in rows}
        self._allowed: set[int] = set()
        if self.options.publish:
            self._match_allowed(con)

    def _match_allowed(self, con: duckdb.DuckDBPyConnection) -> None:
        """People named by ``allow_names`` (display name, GitHub login, any identity's name or
        login, compared case-folded); an entry that matches nobody is a warning."""
        wanted = {n.casefold(): n for n in self.options.allow_names}
        if not wanted:
            return
        rows = con.execute(
            """SELECT person_id, display_name FROM people
               UNION ALL SELECT person_id, github_login FROM people
               UNION ALL SELECT person_id, name FROM identities WHERE person_id IS NOT NULL
               UNION ALL SELECT person_id, login FROM identities WHERE person_id IS NOT NULL"""
        ).fetchall()
        hit: set[str] = set()
        for pid, text in rows:
            key = (text or "").strip().casefold()
            if key in wanted:
                self._allowed.add(int(pid))
                hit.add(key)
        for key, name in wanted.items():
            if key not in hit:
                msg = f"allow_names entry '{name}' matches nobody in the store"
                self.warnings.append(msg)
                log.warning("%s", msg)

    @property
    def publish(self) -> bool:
        return self.options.publish

    def allowed(self, pid: int) -> bool:
        """May person-level tables list this person (by label)?"""
        return not self.options.publish or pid in self._allowed or self._bot.get(pid, False)

    def plain_name(self, pid: int) -> str:
        """The display name (else login, else ``person N``) with any email hidden."""
        for cand in (self._name.get(pid), self._login.get(pid)):
            text = (cand or "").strip()
            if text and EMAIL_RE.fullmatch(text) is None:
                return scrub_text(text)
        return f"person {pid}"

    def label(self, pid: int) -> str:
        """How a page names ``pid``: the plain name, or in publish mode maybe a pseudonym."""
        if self.allowed(pid):
            return self.plain_name(pid)
        return self.options.pseudonym(self._anchor.get(pid, f"person:{pid}"))

    def labels(self, pids: Iterable[int]) -> dict[int, str]:
        return {int(p): self.label(int(p)) for p in pids}

    def ordinal(self, k: int) -> str:
        """Key-person wording in publish mode: 1 → "the main author", k → "person k"."""
        return "the main author" if k <= 1 else f"person {k}"

    def identity_label(self, identity_id: int, source: str | None, key: str | None) -> str:
        """An identity as pages show it; never the email inside its key."""
        src = source or (key or "").split(":", 1)[0] or "id"
        if self.options.publish:
            return f"{src}:" + self.options.pseudonym(f"identity:{key}")[7:]
        if self.options.identity_keys == "masked" and key:
            body = key.split(":", 1)[-1].split(chr(31), 1)[0]
            if EMAIL_RE.fullmatch(body):
                return f"{src}:{mask_email(body)}"
            if src == "github":
                return f"{src}:{body}"
            return f"{src}:{HIDDEN if '@' in body else body}"
        return f"{src}:#{identity_id}"

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

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import duckdb

from ossmetrics.collect.bots import BotRules
from ossmetrics.store import transaction

__all__ = [
    "FREE_MAIL_DOMAINS",
    "merge_identities",
    "noreply_login",
    "normalise_name",
    "parse_mailmap",
    "recompute_people",
    "store_mailmap",
]

FREE_MAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "yahoo.co.jp",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.de",
        "outlook.com",
        "outlook.fr",
        "live.com",
        "live.fr",
        "live.co.uk",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "gmx.at",
        "gmx.ch",
        "web.de",
        "mail.ru",
        "inbox.ru",
        "list.ru",
        "bk.ru",
        "yandex.ru",
        "yandex.com",
        "ya.ru",
        "rambler.ru",
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "sina.com",
        "sohu.com",
        "naver.com",
        "hanmail.net",
        "protonmail.com",
        "protonmail.ch",
        "proton.me",
        "pm.me",
        "tutanota.com",
        "fastmail.com",
        "fastmail.fm",
        "hey.com",
        "zoho.com",
        "riseup.net",
        "seznam.cz",
        "free.fr",
        "orange.fr",
        "laposte.net",
        "wanadoo.fr",
        "libero.it",
        "t-online.de",
        "freenet.de",
        "posteo.de",
        "mailbox.org",
        "users.noreply.github.com",
        "noreply.github.com",
        "github.com",
        "users.sourceforge.net",
        "localhost",
        "localhost.localdomain",
        "example.com",
        "example.org",
        "example.net",
    ]
)
_PLACEHOLDER_EMAILS = frozenset(
    {"", "none", "(none)", "unknown", "nobody", "noreply", "root", "you@example.com"}
)
_PLACEHOLDER_DOMAINS = ("localhost", "localdomain", "(none)", "example.com", "invalid", "local")
_PLACEHOLDER_NAMES = frozenset(
    """your name|unknown author|unknown user|github actions|github action|john doe|jane doe|
    test user|git user|local user|default user|build user|the author|no author|
    ubuntu user|system administrator|root user|anonymous user|travis ci|circle ci""".replace(
        "\n", ""
    )
    .replace("    ", "")
    .split("|")
)
_NOREPLY = re.compile(
    r"^(?:\d+\+)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\[bot\])?)@users\.noreply\.github\.com$"
)
_MAILMAP_PAIR = re.compile(r"([^<>]*)<([^<>]*)>")


def noreply_login(email: str | None) -> str | None:
    """``12345+octocat@users.noreply.github.com`` → ``octocat`` (lowercased)."""
    m = _NOREPLY.match((email or "").strip().lower())
    return m.group(1) if m else None


def normalise_name(name: str | None) -> str | None:
    """Folded full name for the name rule, or None when it is too weak to merge on."""
    if not name:
        return None
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    words = re.sub(r"[^\w]+|_", " ", text).split()
    if len(words) < 2 or sum(len(w) >= 2 for w in words) < 2:
        return None
    norm = " ".join(words)
    return None if norm in _PLACEHOLDER_NAMES else norm


def _mergeable_email(email: str) -> bool:
    if email in _PLACEHOLDER_EMAILS or "@" not in email:
        return False
    domain = email.rsplit("@", 1)[1]
    return bool(domain) and not any(
        domain == d or domain.endswith("." + d) for d in _PLACEHOLDER_DOMAINS
    )


def parse_mailmap(text: bytes | str | None) -> list[tuple[str | None, str | None, str | None, str]]:
    """``.mailmap`` lines → (proper_name, proper_email, commit_name, commit_email) rows.

    Same reading as git's: ``Proper <commit>`` sets a name; ``<proper> <commit>`` an email;
    ``Proper <proper> Commit <commit>`` maps only that name and email; ``#`` starts a comment.
    """
    if text is None:
        return []
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pairs = _MAILMAP_PAIR.findall(line)
        if not pairs:
            continue
        n1, e1 = pairs[0][0].strip() or None, pairs[0][1].strip()
        if len(pairs) >= 2:
            n2, e2 = pairs[1][0].strip() or None, pairs[1][1].strip()
            rows.append((n1, e1 or None, n2, e2.lower()))
        elif e1:
            rows.append((n1, None, None, e1.lower()))
    return rows


def store_mailmap(con: duckdb.DuckDBPyConnection, repo_id: int, text: bytes | None) -> bool:
    """Replace the repository's stored ``.mailmap`` rows; → whether they changed."""
    import pyarrow as pa

    rows = parse_mailmap(text)
    from ossmetrics.collect.forget import forgotten_hashes, key_hash

    gone = forgotten_hashes(con)  # `people forget`: their mailmap lines are not kept
    if gone:
        rows = [
            r for r in rows
            if not {key_hash("email:" + (e or "").lower()) for e in (r[1], r[3]) if e} & gone
        ]  # fmt: skip
    old = con.execute(
        """SELECT proper_name, proper_email, commit_name, commit_email FROM git_mailmap
           WHERE repo_id = ? ORDER BY rowid""",
        [repo_id],
    ).fetchall()
    if [tuple(r) for r in old] == rows:
        return False
    con.execute("DELETE FROM git_mailmap WHERE repo_id = ?", [repo_id])
    if not rows:
        return True
    cols = list(zip(*rows, strict=True))
    tbl = pa.table(
        {k: pa.array(v, pa.string()) for k, v in zip(("pn", "pe", "cn", "ce"), cols, strict=True)}
    )
    con.register("_mailmap_rows", tbl)
    try:
        con.execute(
            "INSERT INTO git_mailmap SELECT ?, pn, pe, cn, ce FROM _mailmap_rows", [repo_id]
        )
    finally:
        con.unregister("_mailmap_rows")
    return True


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
        if _mergeable_email(email_l):
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


def _domain(email: str | None) -> str | None:
    e = (email or "").strip().lower()
    if "@" not in e:
        return None
    d = e.rsplit("@", 1)[1].strip(".>")
    if not d or "." not in d or d in FREE_MAIL_DOMAINS:
        return None
    if any(d == x or d.endswith("." + x) for x in _PLACEHOLDER_DOMAINS):
        return None
    return d


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
        d = _domain(proper_email[i]) or _domain(rows[i][5])
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

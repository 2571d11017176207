"""A repository's ``.mailmap`` at HEAD: parsed as git reads it and stored in ``git_mailmap``.

The identity merge (``collect.identities``) reads the stored rows: an alias joins its proper
email's cluster and takes its proper name.
"""

from __future__ import annotations

import re

import duckdb

__all__ = ["parse_mailmap", "store_mailmap"]

_MAILMAP_PAIR = re.compile(r"([^<>]*)<([^<>]*)>")


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

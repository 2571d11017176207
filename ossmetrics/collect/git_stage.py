"""Stage parsed commits into the store: Arrow batches, then identities, then commits.

Why a module of its own: how rows reach DuckDB decides the collector's speed (Arrow batches
insert millions of rows a second, ``executemany`` a few thousand) and its memory (batches of
``FILE_BATCH`` file rows and ``COMMIT_BATCH`` commits, however long the history). The collector
(``collect.git``) decides *what* to read; this module only writes it, inside the collector's
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from ossmetrics.collect.gitparse import Commit

__all__ = ["COMMIT_BATCH", "FILE_BATCH", "Stager", "sequence_past_max", "warm_up_arrow"]

FILE_BATCH = 100_000
COMMIT_BATCH = 50_000


def warm_up_arrow() -> None:
    """Import pyarrow (which imports pandas: ~1.5 s) in the background while git works."""
    import sys
    import threading

    if "pandas" in sys.modules:
        return

    def load() -> None:
        import pyarrow as pa

        pa.array([0])

    threading.Thread(target=load, daemon=True, name="ossmetrics-arrow-import").start()


class Stager:
    """Column lists for the commits and files seen, flushed to DuckDB as Arrow batches.

    Files go straight to ``commit_files``; commits wait in a temporary table until every
    identity they name exists (``finish``). They are inserted newest first whatever order they
    arrived in: ``order`` (the rev-list) gives each its place; without it, arrival order is
    that order.
    """

    def __init__(
        self, con: duckdb.DuckDBPyConnection, repo_id: int, order: Sequence[str] | None = None
    ) -> None:
        self.con = con
        self.repo_id = repo_id
        self.place = {sha: i for i, sha in enumerate(order)} if order is not None else None
        self.commits = 0
        self.files = 0
        con.execute("""CREATE OR REPLACE TEMP TABLE _git_stage (
            sha VARCHAR, parents VARCHAR, an VARCHAR, ae VARCHAR, ats BIGINT, atz SMALLINT,
            cn VARCHAR, ce VARCHAR, cts BIGINT, ctz SMALLINT, files INTEGER, added BIGINT,
            deleted BIGINT, msg_len INTEGER, seq INTEGER)""")
        self._reset_commits()
        self._reset_files()

    def _reset_commits(self) -> None:
        self.c: dict[str, list[Any]] = {
            k: []
            for k in (
                [
                    "sha",
                    "parents",
                    "an",
                    "ae",
                    "ats",
                    "atz",
                    "cn",
                    "ce",
                    "cts",
                    "ctz",
                    "files",
                    "added",
                    "deleted",
                    "msg_len",
                    "seq",
                ]
            )
        }

    def _reset_files(self) -> None:
        self.f: dict[str, list[Any]] = {
            k: [] for k in ("sha", "path", "old_path", "added", "deleted")
        }

    def add(self, c: Commit) -> None:
        cols = self.c
        fl = self.f
        added = deleted = 0
        for fc in c.files:
            fl["sha"].append(c.sha)
            fl["path"].append(fc.path)
            fl["old_path"].append(fc.old_path)
            fl["added"].append(fc.added)
            fl["deleted"].append(fc.deleted)
            added += fc.added or 0
            deleted += fc.deleted or 0
        for k, v in (
            ("sha", c.sha),
            ("parents", c.parents),
            ("an", c.author_name),
            ("ae", c.author_email),
            ("ats", c.author_time),
            ("atz", c.author_tz),
            ("cn", c.committer_name),
            ("ce", c.committer_email),
            ("cts", c.committer_time),
            ("ctz", c.committer_tz),
            ("files", len(c.files)),
            ("added", added),
            ("deleted", deleted),
            ("msg_len", c.message_len),
            ("seq", self.commits if self.place is None else self.place.get(c.sha, -1)),
        ):
            cols[k].append(v)
        self.commits += 1
        self.files += len(c.files)
        if len(fl["sha"]) >= FILE_BATCH:
            self._flush_files()
        if len(cols["sha"]) >= COMMIT_BATCH:
            self._flush_commits()

    def _flush_files(self) -> None:
        import pyarrow as pa

        if not self.f["sha"]:
            return
        f = self.f
        tbl = pa.table(
            {
                "sha": pa.array(f["sha"], pa.string()),
                "path": pa.array(f["path"], pa.string()),
                "old_path": pa.array(f["old_path"], pa.string()),
                "added": pa.array(f["added"], pa.int32()),
                "deleted": pa.array(f["deleted"], pa.int32()),
            }
        )
        self._reset_files()
        self.con.register("_git_files_batch", tbl)
        try:
            self.con.execute(
                """INSERT INTO commit_files (repo_id, sha, path, old_path, added, deleted)
                   SELECT ?, sha, path, old_path, added, deleted FROM _git_files_batch""",
                [self.repo_id],
            )
        finally:
            self.con.unregister("_git_files_batch")

    def _flush_commits(self) -> None:
        import pyarrow as pa

        c = self.c
        if not c["sha"]:
            return
        types = {
            "ats": pa.int64(),
            "cts": pa.int64(),
            "atz": pa.int16(),
            "ctz": pa.int16(),
            "files": pa.int32(),
            "added": pa.int64(),
            "deleted": pa.int64(),
            "msg_len": pa.int32(),
            "seq": pa.int32(),
        }
        tbl = pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in c.items()})
        self._reset_commits()
        self.con.register("_git_commits_batch", tbl)
        try:
            self.con.execute("INSERT INTO _git_stage SELECT * FROM _git_commits_batch")
        finally:
            self.con.unregister("_git_commits_batch")

    def finish(self) -> int:
        """Create the identities the new commits name, insert the commits; → new identities."""
        self._flush_files()
        self._flush_commits()
        con = self.con
        sequence_past_max(con)
        # `people forget`: an author whose identity key (or address) hash is in
        # forgotten_identities gets no new identity; their commits join the anonymous identity
        # kept for them instead (collect/forget.py).
        f = "(SELECT key_hash FROM forgotten_identities)"
        forgotten = f"(sha256(u.key) IN {f} OR sha256('email:' || lower(u.email)) IN {f})"
        fjoin = (
            "LEFT JOIN forgotten_identities f{0} ON f{0}.key_hash = sha256({1}) "
            "LEFT JOIN forgotten_identities g{0} ON g{0}.key_hash = sha256('email:' || lower({2}))"
        )
        ka = "'git:' || lower(s.ae) || chr(31) || s.an"
        kc = "'git:' || lower(s.ce) || chr(31) || s.cn"
        inserted = con.execute(f"""
            INSERT INTO identities (identity_id, identity_key, source, name, email, first_seen_at)
            SELECT nextval('identity_id_seq'), key, 'git', name, email, first_seen FROM (
                SELECT key, min(name) AS name, min(email) AS email,
                       to_timestamp(min(ts)) AS first_seen
                FROM (SELECT 'git:' || lower(ae) || chr(31) || an AS key, an AS name, ae AS email,
                             ats AS ts FROM _git_stage
                      UNION ALL
                      SELECT 'git:' || lower(ce) || chr(31) || cn, cn, ce, cts FROM _git_stage) u
                WHERE NOT EXISTS (SELECT 1 FROM identities i WHERE i.identity_key = u.key)
                  AND NOT {forgotten}
                GROUP BY key
                ORDER BY first_seen NULLS LAST, key)""").fetchone()
        con.execute(
            f"""
            INSERT INTO commits (repo_id, sha, author_identity, committer_identity, authored_at,
                                 author_tz_offset_min, committed_at, committer_tz_offset_min,
                                 parents, n_parents, files_changed, lines_added, lines_deleted,
                                 message_len)
            SELECT ?, s.sha, coalesce(a.identity_id, fa.identity_id, ga.identity_id),
                   coalesce(m.identity_id, fm.identity_id, gm.identity_id), to_timestamp(s.ats), s.atz,
                   to_timestamp(s.cts), s.ctz, s.plist, len(s.plist), s.files, s.added,
                   s.deleted, s.msg_len
            FROM (SELECT *, CASE WHEN parents = '' THEN []::VARCHAR[]
                                 ELSE string_split(parents, ' ') END AS plist FROM _git_stage) s
            LEFT JOIN identities a ON a.identity_key = 'git:' || lower(s.ae) || chr(31) || s.an
            LEFT JOIN identities m ON m.identity_key = 'git:' || lower(s.ce) || chr(31) || s.cn
            {fjoin.format("a", ka, "s.ae")} {fjoin.format("m", kc, "s.ce")}
            ORDER BY s.seq""",
            [self.repo_id],
        )
        con.execute("DROP TABLE _git_stage")
        return int(inserted[0]) if inserted else 0


def sequence_past_max(con: duckdb.DuckDBPyConnection) -> None:
    """Move ``identity_id_seq`` past the largest identity_id, should rows have been inserted
    with explicit ids (test fixtures, imports); otherwise ``nextval`` would hit the key."""
    row = con.execute(
        """SELECT coalesce(last_value + 1, start_value),
                  (SELECT coalesce(max(identity_id), 0) FROM identities)
           FROM duckdb_sequences()
           WHERE sequence_name = 'identity_id_seq' AND database_name = current_database()"""
    ).fetchone()
    if row and row[1] >= row[0]:
        con.execute("SELECT max(nextval('identity_id_seq')) FROM range(?)", [row[1] - row[0] + 1])

"""Crafted histories written straight into the store, for tests with hand-derived answers.

Why not real git repositories: the graph stage reads only the store, and writing rows directly
lets a test state exactly which numstat rows (renames, deletions, binary files) exist.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa

from ossmetrics.store import ensure_repo

__all__ = ["History"]

T0 = datetime(2020, 1, 1, 12, tzinfo=UTC)

FileRow = tuple  # (path, added, deleted) or (path, added, deleted, old_path)


class History:
    """Builder for people, identities, commits and commit_files of one repository."""

    def __init__(self, con: duckdb.DuckDBPyConnection, repo: str = "acme/widget") -> None:
        self.con = con
        self.repo = repo
        self.repo_id = ensure_repo(con, repo)
        self.day = 0
        self.commits: list[dict] = []
        self.files: list[dict] = []

    def person(self, name: str, *, bot: bool = False, emails: int = 1) -> tuple[int, list[int]]:
        """A person with ``emails`` identities; returns (person_id, identity_ids)."""
        row = self.con.execute("SELECT coalesce(max(person_id), 0) + 1 FROM people").fetchall()
        pid = int(row[0][0])
        self.con.execute(
            "INSERT INTO people (person_id, display_name, is_bot) VALUES (?, ?, ?)",
            [pid, name, bot],
        )
        ids = []
        for k in range(emails):
            row = self.con.execute(
                "INSERT INTO identities (identity_key, person_id, source, name, email, is_bot) "
                "VALUES (?, ?, 'git', ?, ?, ?) RETURNING identity_id",
                [f"git:{name}{k}@x.org\x1f{name}", pid, name, f"{name}{k}@x.org", bot],
            ).fetchall()
            ids.append(int(row[0][0]))
        return pid, ids

    def commit(
        self,
        identity: int,
        files: list[FileRow],
        *,
        day: int | None = None,
        merge: bool = False,
    ) -> str:
        """One commit by ``identity`` on ``day`` (default: the next day) touching ``files``."""
        self.day = self.day + 1 if day is None else day
        n = len(self.commits)
        sha = hashlib.sha1(f"{self.repo}-{n}".encode()).hexdigest()
        ts = T0 + timedelta(days=self.day)
        rows = [] if merge else files
        self.commits.append(
            {
                "repo_id": self.repo_id,
                "sha": sha,
                "author_identity": identity,
                "committer_identity": identity,
                "authored_at": ts,
                "committed_at": ts,
                "n_parents": 2 if merge else (0 if n == 0 else 1),
                "files_changed": len(rows),
                "lines_added": sum(r[1] or 0 for r in rows),
                "lines_deleted": sum(r[2] or 0 for r in rows),
            }
        )
        for r in rows:
            self.files.append(
                {
                    "repo_id": self.repo_id,
                    "sha": sha,
                    "path": r[0],
                    "old_path": r[3] if len(r) > 3 else None,
                    "added": r[1],
                    "deleted": r[2],
                }
            )
        return sha

    def date(self, day: int) -> datetime:
        return T0 + timedelta(days=day)

    def save(self) -> int:
        """Write the commits and file rows (Arrow inserts); returns the repo_id."""
        if self.commits:
            c = pa.Table.from_pylist(
                self.commits,
                schema=pa.schema(
                    [
                        ("repo_id", pa.int32()),
                        ("sha", pa.string()),
                        ("author_identity", pa.int32()),
                        ("committer_identity", pa.int32()),
                        ("authored_at", pa.timestamp("us", tz="UTC")),
                        ("committed_at", pa.timestamp("us", tz="UTC")),
                        ("n_parents", pa.int8()),
                        ("files_changed", pa.int32()),
                        ("lines_added", pa.int64()),
                        ("lines_deleted", pa.int64()),
                    ]
                ),
            )
            self.con.register("_h_commits", c)
            self.con.execute(
                "INSERT INTO commits (repo_id, sha, author_identity, committer_identity, authored_at, "
                "committed_at, n_parents, files_changed, lines_added, lines_deleted) "
                "SELECT * FROM _h_commits"
            )
            self.con.unregister("_h_commits")
        if self.files:
            f = pa.Table.from_pylist(
                self.files,
                schema=pa.schema(
                    [
                        ("repo_id", pa.int32()),
                        ("sha", pa.string()),
                        ("path", pa.string()),
                        ("old_path", pa.string()),
                        ("added", pa.int32()),
                        ("deleted", pa.int32()),
                    ]
                ),
            )
            self.con.register("_h_files", f)
            self.con.execute("INSERT INTO commit_files SELECT * FROM _h_files")
            self.con.unregister("_h_files")
        self.commits, self.files = [], []
        return self.repo_id

"""Tiny hand-built stores for the risk tests: people, commits and files written as rows.

Dates are fixed, so every count a test asserts can be worked out by hand from the calls here.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

from ossmetrics.store import ensure_repo

__all__ = ["TinyStore", "monthly", "standard_store", "store_truck_factors"]


class TinyStore:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.people: dict[str, int] = {}
        self.ident: dict[str, int] = {}
        self.n = 0

    def person(self, name: str, *, bot: bool = False) -> int:
        pid = len(self.people) + 1
        self.con.execute(
            "INSERT INTO people (person_id, display_name, is_bot) VALUES (?, ?, ?)",
            [pid, name, bot],
        )
        row = self.con.execute(
            "INSERT INTO identities (identity_key, person_id, source, name, email, is_bot) "
            "VALUES (?, ?, 'git', ?, ?, ?) RETURNING identity_id",
            [f"git:{name}@x.org\x1f{name}", pid, name, f"{name}@x.org", bot],
        ).fetchall()
        self.people[name] = pid
        self.ident[name] = int(row[0][0])
        return pid

    def commits(self, repo: str, who: str, days: list[date], path: str = "src/a.py") -> None:
        """One commit by ``who`` at noon UTC on each day, touching ``path`` (+3 -1 lines)."""
        rid = ensure_repo(self.con, repo)
        rows, files = [], []
        for d in days:
            self.n += 1
            sha = hashlib.sha1(f"{repo}-{self.n}".encode()).hexdigest()
            ts = datetime(d.year, d.month, d.day, 12, tzinfo=UTC)
            rows.append((rid, sha, self.ident[who], ts))
            files.append((rid, sha, path))
        tbl = pa.table(
            {
                "repo_id": pa.array([r[0] for r in rows], pa.int32()),
                "sha": [r[1] for r in rows],
                "author_identity": pa.array([r[2] for r in rows], pa.int32()),
                "committed_at": pa.array([r[3] for r in rows], pa.timestamp("us", tz="UTC")),
            }
        )
        self.con.execute("SELECT 1").fetchall()
        self.con.register("_tiny_c", tbl)
        self.con.execute(
            """INSERT INTO commits (repo_id, sha, author_identity, committer_identity, authored_at,
                   committed_at, n_parents, files_changed, lines_added, lines_deleted)
               SELECT repo_id, sha, author_identity, author_identity, committed_at, committed_at,
                      1, 1, 3, 1 FROM _tiny_c"""
        )
        ftbl = pa.table(
            {
                "repo_id": pa.array([f[0] for f in files], pa.int32()),
                "sha": [f[1] for f in files],
                "path": [f[2] for f in files],
            }
        )
        self.con.register("_tiny_f", ftbl)
        self.con.execute(
            "INSERT INTO commit_files (repo_id, sha, path, added, deleted) SELECT repo_id, sha, path, 3, 1 FROM _tiny_f"
        )
        self.con.unregister("_tiny_c")
        self.con.unregister("_tiny_f")


def monthly(start: date, months: int, per_month: int = 1, day: int = 10) -> list[date]:
    """``per_month`` commit days in each of ``months`` months from ``start``'s month."""
    out = []
    y, m = start.year, start.month
    for _ in range(months):
        for k in range(per_month):
            out.append(date(y, m, min(day + k, 28)))
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def standard_store(con: duckdb.DuckDBPyConnection) -> TinyStore:
    """Three projects, 2019-01 .. 2022-12 (data end 2022-12-10):

    * ``acme/fading``: alice 2 commits a month 2019-01..2020-12 then nothing; bob 1 a month
      2019-01..2020-06 (a different file). Dormant after 2020-12.
    * ``acme/steady``: carol 2 a month 2019-01..2022-12, dave 1 a month, same file as carol.
    * ``acme/side``: alice 1 a month 2019-01..2022-12 — alice carries a second project.
    * a bot commits to acme/steady every month (never counted).
    """
    t = TinyStore(con)
    for name in ("alice", "bob", "carol", "dave"):
        t.person(name)
    t.person("ci-bot", bot=True)
    t.commits("acme/fading", "alice", monthly(date(2019, 1, 1), 24, 2), "src/core.py")
    t.commits("acme/fading", "bob", monthly(date(2019, 1, 1), 18, 1, day=20), "src/util.py")
    t.commits("acme/steady", "carol", monthly(date(2019, 1, 1), 48, 2), "lib/main.c")
    t.commits("acme/steady", "dave", monthly(date(2019, 1, 1), 48, 1, day=15), "lib/main.c")
    t.commits("acme/steady", "ci-bot", monthly(date(2019, 1, 1), 48, 1, day=5), "lib/main.c")
    t.commits("acme/side", "alice", monthly(date(2019, 1, 1), 48, 1, day=12), "side.py")
    return t


def store_truck_factors(con: duckdb.DuckDBPyConnection, dates: list[date] | None = None) -> None:
    """What the pipeline's graph step leaves for the risk model: the graph stage's truck factor
    at each snapshot date (``dates``, else the training grid), as ``graph --risk-snapshots``."""
    from ossmetrics.graph.series import store_truck_factors as store
    from ossmetrics.risk.dataset import snapshot_dates

    store(con, snapshot_dates(con, dates))

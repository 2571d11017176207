"""Moving a collection's rows between stores for ``spark collect``: the work folder's layout.

A task keeps its repositories' rows in ``DIR/_collect/task-<id>/`` -- one Parquet file per
table (``ROW_TABLES``) holding every repository the task collected -- written under a hidden
name and renamed into place, so nothing half-written ever has a name a reader would open. The
lake's manifest (section ``collect``, key ``rows``) says which task folder holds each
repository's latest rows; a folder no entry names is a crashed or superseded run's and is
deleted (``sweep``). Earlier versions kept one folder (``<owner>__<name>/``) or one store file
(``<owner>__<name>.duckdb``) per repository; both are still read as a repository's last run.

``absorb`` is the one way rows move: from a task folder into a task's store (a rerun reads
only new commits) and from a task folder into the lake (the driver's merge). It maps
repository ids by name and identity ids by their natural key (``identity_key``), replacing the
target's rows of those repositories whole, so repeating it changes nothing.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "ROW_TABLES",
    "absorb",
    "folder_rel",
    "legacy_source",
    "save_rows",
    "sequences_past_max",
    "sweep",
    "worker_ddl",
]

#: What a task writes and the merge reads (people are recomputed by the merge).
ROW_TABLES = ("repos", "identities", "git_mailmap", "sync_state", "commits", "commit_files")
#: What ``collect_git`` reads or writes: the whole schema a task's store needs.
_TASK_SCHEMA = (*ROW_TABLES, "people", "forgotten_identities")
_REPO_TABLES = ("commits", "commit_files", "git_mailmap", "sync_state")
TASK_PREFIX = "task-"
#: a task folder, or a killed task's hidden one (no repository's folder looks like this:
#: theirs always hold the "__" between owner and name)
_TASK_FOLDER = re.compile(r"\.?task-[0-9a-f]{32}")

Rel = Callable[[str], str]


def quote(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


@functools.cache
def worker_ddl() -> tuple[str, ...]:
    """The statements that create a task's store: the store's sequences and the tables
    ``collect_git`` touches, taken from a freshly migrated store (one definition of the schema).

    Computed once on the driver and shipped with the tasks: a Python worker then builds its
    store in milliseconds instead of running every migration of the full store (37 tables,
    0.1-0.25 s per worker). Cached: the schema cannot change within a process."""
    from ossmetrics.store import connect

    con = connect(":memory:")
    try:
        seqs = [
            r[0] for r in con.execute("SELECT sql FROM duckdb_sequences() ORDER BY 1").fetchall()
        ]
        tables = [
            con.execute(
                "SELECT sql FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'",
                [t],
            ).fetchone()
            for t in _TASK_SCHEMA
        ]
        idx = con.execute(
            "SELECT sql FROM duckdb_indexes() WHERE sql IS NOT NULL AND list_contains(?, table_name)",
            [list(_TASK_SCHEMA)],
        ).fetchall()
    finally:
        con.close()
    return (*seqs, *(str(t[0]) for t in tables if t), *(str(i[0]) for i in idx))


def folder_rel(folder: Path) -> Rel:
    return lambda t: f"read_parquet({quote(folder / f'{t}.parquet')})"


def legacy_source(con: Any, work: Path, repo: str) -> Rel | None:
    """An earlier version's rows of ``repo``: its Parquet folder, or its store file (attached
    as ``prev``; the caller detaches it)."""
    stem = repo.replace("/", "__")
    folder, store = work / stem, work / f"{stem}.duckdb"
    if (folder / "commits.parquet").is_file():
        return folder_rel(folder)
    if store.is_file():
        con.execute(f"ATTACH {quote(store)} AS prev (READ_ONLY)")
        return lambda t: f'prev."{t}"'
    return None


def absorb(con: Any, rel: Rel, names: list[str]) -> None:
    """Replace the rows of repositories ``names`` in ``con`` by theirs in the source ``rel``
    (``rel(table)`` is a relation). New repositories and identities get ids after the largest;
    known ones keep theirs (repositories by name, identities by ``identity_key``); only the
    identities the repositories' commits name are taken. One call: each statement round trip
    costs ~1 ms, several on a loaded core."""
    lowered = "[" + ", ".join(quote(n.lower()) for n in sorted(set(names))) + "]::VARCHAR[]"
    stmts = [
        f"""CREATE OR REPLACE TEMP TABLE _rmap AS
            SELECT s.repo_id AS old, r.repo_id IS NULL AS fresh,
                   coalesce(r.repo_id, (SELECT coalesce(max(repo_id), 0) FROM repos)
                       + row_number() OVER (PARTITION BY r.repo_id IS NULL
                                            ORDER BY s.full_name)) AS new
            FROM {rel("repos")} s LEFT JOIN repos r ON lower(r.full_name) = lower(s.full_name)
            WHERE list_contains({lowered}, lower(s.full_name))""",
        f"""INSERT INTO repos BY NAME SELECT s.* REPLACE (m.new AS repo_id)
            FROM {rel("repos")} s JOIN _rmap m ON m.old = s.repo_id WHERE m.fresh""",
        f"""CREATE OR REPLACE TEMP TABLE _ids AS
            SELECT DISTINCT id FROM (
                SELECT author_identity AS id, repo_id FROM {rel("commits")}
                UNION ALL SELECT committer_identity, repo_id FROM {rel("commits")})
            WHERE id IS NOT NULL AND repo_id IN (SELECT old FROM _rmap)""",
        f"""INSERT INTO identities BY NAME
            SELECT s.* REPLACE ((SELECT coalesce(max(identity_id), 0) FROM identities)
                                + row_number() OVER (ORDER BY s.identity_id) AS identity_id,
                                NULL::INTEGER AS person_id)
            FROM {rel("identities")} s
            WHERE s.identity_id IN (SELECT id FROM _ids)
              AND s.identity_key NOT IN (SELECT identity_key FROM identities)""",
        f"""CREATE OR REPLACE TEMP TABLE _imap AS
            SELECT s.identity_id AS old, i.identity_id AS new
            FROM {rel("identities")} s JOIN identities i USING (identity_key)
            WHERE s.identity_id IN (SELECT id FROM _ids)""",
        *(f"DELETE FROM {t} WHERE repo_id IN (SELECT new FROM _rmap)" for t in _REPO_TABLES),
        f"""INSERT INTO commits BY NAME
            SELECT c.* REPLACE (m.new AS repo_id, a.new AS author_identity,
                                k.new AS committer_identity)
            FROM {rel("commits")} c JOIN _rmap m ON m.old = c.repo_id
            LEFT JOIN _imap a ON a.old = c.author_identity
            LEFT JOIN _imap k ON k.old = c.committer_identity""",
        *(
            f"""INSERT INTO {t} BY NAME SELECT s.* REPLACE (m.new AS repo_id)
                FROM {rel(t)} s JOIN _rmap m ON m.old = s.repo_id"""
            for t in ("commit_files", "git_mailmap", "sync_state")
        ),
        "DROP TABLE _rmap; DROP TABLE _ids; DROP TABLE _imap",
    ]
    con.execute("; ".join(stmts))


def sequences_past_max(con: Any) -> None:
    """Move ``repo_id_seq`` and ``identity_id_seq`` past the ids ``absorb`` inserted, so the
    collector's ``nextval`` defaults never hit a key."""
    for seq, table, col in (
        ("repo_id_seq", "repos", "repo_id"),
        ("identity_id_seq", "identities", "identity_id"),
    ):
        row = con.execute(
            f"""SELECT coalesce(last_value + 1, start_value),
                       (SELECT coalesce(max({col}), 0) FROM {table})
                FROM duckdb_sequences()
                WHERE sequence_name = ? AND database_name = current_database()""",
            [seq],
        ).fetchone()
        if row and row[1] >= row[0]:
            con.execute(f"SELECT max(nextval('{seq}')) FROM range(?)", [row[1] - row[0] + 1])


def save_rows(con: Any, work: Path) -> str:
    """Write every row of the task's store as one Parquet file per table into a new task
    folder; return its name. Written under a hidden name, then renamed: a killed task leaves
    only a hidden folder, which ``sweep`` deletes."""
    name = f"{TASK_PREFIX}{uuid.uuid4().hex}"
    tmp = work / f".{name}"
    tmp.mkdir()
    con.execute(
        "; ".join(
            f'COPY "{t}" TO {quote(tmp / f"{t}.parquet")} (FORMAT parquet)' for t in ROW_TABLES
        )
    )
    os.replace(tmp, work / name)
    return name


def sweep(work: Path, section: dict[str, Any]) -> list[str]:
    """Delete what no manifest entry needs any more: task folders no repository's ``rows``
    names (superseded, or written by a run that stopped before its manifest), hidden
    leftovers of killed tasks, and an earlier version's folder or store of a repository whose
    rows now live in a task folder. Call it only after the manifest is saved."""
    named = {str(e["rows"]) for e in section.values() if e.get("rows")}
    moved = {n.replace("/", "__") for n, e in section.items() if e.get("rows")}
    gone: list[str] = []
    for p in sorted(work.iterdir()) if work.is_dir() else []:
        stale = (
            (_TASK_FOLDER.fullmatch(p.name) is not None and p.name not in named)
            or p.name in moved
            or (p.name.endswith(".duckdb") and p.name[: -len(".duckdb")] in moved)
        )
        if stale:
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            gone.append(p.name)
    return gone

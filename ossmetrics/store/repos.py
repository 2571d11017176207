"""Repository rows: the one place a full name becomes a ``repo_id``."""

from __future__ import annotations

import re

import duckdb

from ossmetrics.errors import InvalidRepoName, UsageError

__all__ = ["REPO_NAME", "ensure_repo", "get_repo_id", "repo_names", "validate_repo_name"]

REPO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.][A-Za-z0-9_.-]*$")


def validate_repo_name(name: str) -> str:
    name = name.strip()
    if name.endswith(".git"):
        name = name[:-4]
    if not REPO_NAME.match(name) or ".." in name:
        raise InvalidRepoName(name)
    return name


def ensure_repo(
    con: duckdb.DuckDBPyConnection,
    full_name: str,
    *,
    platform: str = "github",
    git_path: str | None = None,
) -> int:
    """Return the repo_id of ``full_name``, creating the row on first sight."""
    full_name = validate_repo_name(full_name)
    row = con.execute(
        "SELECT repo_id FROM repos WHERE lower(full_name) = lower(?)", [full_name]
    ).fetchone()
    if row:
        if git_path is not None:
            con.execute("UPDATE repos SET git_path = ? WHERE repo_id = ?", [git_path, row[0]])
        return int(row[0])
    owner, name = full_name.split("/", 1)
    row = con.execute(
        "INSERT INTO repos (full_name, platform, owner, name, git_path) VALUES (?, ?, ?, ?, ?) RETURNING repo_id",
        [full_name, platform, owner, name, git_path],
    ).fetchone()
    assert row is not None
    return int(row[0])


def get_repo_id(con: duckdb.DuckDBPyConnection, full_name: str) -> int:
    """The repo_id of a known repository, also found under a name it had before a rename."""
    row = con.execute(
        "SELECT repo_id FROM repos WHERE lower(full_name) = lower(?) OR list_contains(list_transform(coalesce(renamed_from, []), lambda x: lower(x)), lower(?))",
        [full_name, full_name],
    ).fetchone()
    if not row:
        raise UsageError(
            f"repository '{full_name}' is not in the store",
            'collect it first (`ossmetrics collect git PATH --repo OWNER/REPO`) or check `ossmetrics query "FROM repos"`',
        )
    return int(row[0])


def repo_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT full_name FROM repos ORDER BY full_name").fetchall()]

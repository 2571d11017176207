"""One collected repository full of personal data, built once per session (see history.py)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.privacy.history import make_history

SALT = "test-salt-4f1c9a7e2b"
OTHER_SALT = "another-salt-0d3e5b"


@dataclass(frozen=True)
class Collected:
    repo: Path  # the git working tree
    db: Path  # the store: git collected, graphs computed, metric macros installed

    def copy_store(self, dest: Path) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        out = dest / "store.duckdb"
        shutil.copyfile(self.db, out)
        return out


@pytest.fixture(scope="session")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Collected:
    from ossmetrics.collect.git import collect_git
    from ossmetrics.graph import compute_graphs
    from ossmetrics.metrics import install
    from ossmetrics.store import connect, get_repo_id

    root = tmp_path_factory.mktemp("privacy")
    repo = make_history(root / "widget")
    db = root / "store.duckdb"
    con = connect(db)
    try:
        collect_git(con, str(repo.path), repo="acme/widget", jobs=1)
        install(con)
        compute_graphs(con, [get_repo_id(con, "acme/widget")])
    finally:
        con.close()
    return Collected(repo.path, db)

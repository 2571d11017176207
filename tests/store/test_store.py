"""The store opens, migrates once, refuses newer files, and reports bad files in one line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ossmetrics.errors import StoreCorrupt, StoreLocked, StoreTooNew
from ossmetrics.store import (
    CODE_VERSION,
    connect,
    ensure_repo,
    get_repo_id,
    schema_version,
    transaction,
)


def test_migrations_recorded_once(db_path: Path) -> None:
    con = connect(db_path)
    assert schema_version(con) == CODE_VERSION
    n = con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    con.close()
    con = connect(db_path)
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == n
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    for t in (
        "repos",
        "people",
        "identities",
        "commits",
        "commit_files",
        "sync_state",
        "issues",
        "comments",
        "releases",
        "runs",
        "risk_scores",
    ):
        assert t in tables
    assert con.execute("SELECT current_setting('TimeZone')").fetchone()[0] == "UTC"
    con.close()


def test_refuses_newer_database(db_path: Path) -> None:
    con = connect(db_path)
    con.execute(
        "INSERT INTO schema_migrations (version, name) VALUES (?, 'future.sql')",
        [CODE_VERSION + 100],
    )
    con.close()
    with pytest.raises(StoreTooNew) as exc:
        connect(db_path)
    assert str(CODE_VERSION + 100) in exc.value.one_line()
    assert exc.value.db_version == CODE_VERSION + 100


def test_corrupt_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a database" * 500)
    with pytest.raises(StoreCorrupt):
        connect(bad)


def test_locked_by_another_process(db_path: Path) -> None:
    connect(db_path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            c = duckdb.connect({str(db_path)!r})
            print('ready', flush=True)
            time.sleep(30)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLocked) as exc:
            connect(db_path)
        assert exc.value.pid == holder.pid
    finally:
        holder.kill()
        holder.wait()


def test_transaction_rolls_back(con) -> None:
    rid = ensure_repo(con, "octo/demo")
    with pytest.raises(RuntimeError), transaction(con):
        con.execute("UPDATE repos SET stars = 5 WHERE repo_id = ?", [rid])
        raise RuntimeError("boom")
    assert con.execute("SELECT stars FROM repos WHERE repo_id = ?", [rid]).fetchone()[0] is None
    assert ensure_repo(con, "Octo/Demo") == rid
    assert get_repo_id(con, "octo/demo") == rid


def test_cli_reports_corrupt_db_in_one_line(tmp_path: Path, cli) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"garbage" * 1000)
    r = cli("--db", str(bad), "query", "SELECT 1")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr

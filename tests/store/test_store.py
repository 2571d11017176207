"""The store opens, migrates once (old stores too), refuses newer files, reports bad files in one
line, and holds the human_commits view the metrics read."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ossmetrics.errors import StoreCorrupt, StoreError, StoreLocked, StoreTooNew
from ossmetrics.store import (
    CODE_VERSION,
    connect,
    ensure_repo,
    get_repo_id,
    schema_version,
    transaction,
)
from tests.holder import store_held_open
from tests.metrics.history import History


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


def test_human_commits_view_is_the_humans_commits(con) -> None:
    """Migration 0210's view, the one definition of "a human's commit" the metrics read."""
    h = History(con)
    alice = h.person("alice", org="acme.com")
    h.person("dependabot", bot=True, login="dependabot[bot]")
    carol = h.person("carol")
    alias = h.identity("alice", alice, "git:alice@old-mail.example")  # merged into alice
    carol_ci = h.identity("carol", carol, "git:ci@example.org", bot=True)  # a bot identity
    row = con.execute(
        "INSERT INTO identities (identity_key, source, email) "
        "VALUES ('git:nobody@example.org', 'git', 'nobody@example.org') RETURNING identity_id"
    ).fetchone()
    unmerged = row[0]  # an identity no person was found for
    w = "acme/widget"
    h.commit(w, "alice", "2024-01-01T00:00:00Z", added=5, deleted=1)
    h.commit(w, "alice", "2024-01-02T00:00:00Z", identity=alias)
    h.commit(w, "alice", "2024-01-03T00:00:00Z", merge=True)
    h.commit(w, "dependabot", "2024-01-04T00:00:00Z")  # a bot person: left out
    h.commit(w, "carol", "2024-01-05T00:00:00Z")
    h.commit(w, "carol", "2024-01-06T00:00:00Z", identity=carol_ci)  # bot identity: left out
    h.commit(w, "carol", "2024-01-07T00:00:00Z", identity=unmerged)  # no person: left out
    h.commit(w, "carol", "2024-01-08T00:00:00Z")
    con.execute(  # no author identity at all: left out
        "UPDATE commits SET author_identity = NULL WHERE committed_at = '2024-01-08T00:00:00Z'"
    )
    con.execute(  # an unknown parent count counts as one parent: not a merge
        "UPDATE commits SET n_parents = NULL WHERE committed_at = '2024-01-05T00:00:00Z'"
    )
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'human_commits'"
    ).fetchone()
    assert kind == ("VIEW",)
    rows = con.execute(
        """SELECT strftime(hc.committed_at, '%d'), hc.person_id, hc.identity_id, hc.is_merge,
                  hc.organization, hc.lines_added, hc.lines_deleted, hc.sha = c.sha,
                  hc.authored_at = c.authored_at
           FROM human_commits hc JOIN commits c USING (repo_id, sha)
           ORDER BY hc.committed_at"""
    ).fetchall()
    git = h.git
    assert rows == [
        ("01", alice, git["alice"], False, "acme.com", 5, 1, True, True),
        ("02", alice, alias, False, "acme.com", 10, 2, True, True),
        ("03", alice, git["alice"], True, "acme.com", 10, 2, True, True),
        ("05", carol, git["carol"], False, None, 10, 2, True, True),
    ]
    cols = [r[0] for r in con.execute("DESCRIBE human_commits").fetchall()]
    assert cols == [
        "repo_id",
        "sha",
        "person_id",
        "identity_id",
        "authored_at",
        "committed_at",
        "is_merge",
        "lines_added",
        "lines_deleted",
        "organization",
    ]


def _store_without_0210(db_path: Path) -> None:
    """A store at the latest version but without 0210 (made before that migration existed)."""
    con = connect(db_path)
    ensure_repo(con, "octo/demo")
    con.execute("DROP VIEW human_commits")
    con.execute("DELETE FROM schema_migrations WHERE version = 210")
    assert schema_version(con) == CODE_VERSION
    con.close()


def test_read_only_open_upgrades_a_store_from_before_human_commits(db_path: Path, cli) -> None:
    """Upgrading the code must not make read-only commands refuse every existing store: a
    read-only command adds the missing view first (through a short writable connection)."""
    _store_without_0210(db_path)
    r = cli("--db", str(db_path), "query", "bus_factor")  # read-only unless --write
    assert r.returncode == 0, r.stderr
    assert "octo/demo" in r.stdout
    con = connect(db_path, read_only=True)
    assert schema_version(con) == CODE_VERSION
    recorded = con.execute("SELECT count(*) FROM schema_migrations WHERE version = 210").fetchone()
    assert recorded == (1,)
    assert con.execute("SELECT count(*) FROM human_commits").fetchone() == (0,)
    con.close()


def test_store_from_before_human_commits_held_open_elsewhere(db_path: Path) -> None:
    """When the upgrade cannot be done now (another process has the store open), a read-only
    open refuses it in one line naming the missing migration; nothing is read or written."""
    _store_without_0210(db_path)
    with store_held_open(db_path, read_only=True):
        with pytest.raises(StoreError) as exc:
            connect(db_path, read_only=True)
        line = exc.value.one_line()
        assert "lacks 0210_human_commits.sql" in line and "cannot be upgraded now" in line
        assert "locked" in line and "\n" not in line
    con = connect(db_path, read_only=True)  # the other process gone: upgraded on open
    assert con.execute("SELECT count(*) FROM schema_migrations WHERE version = 210").fetchone()
    con.close()


def test_human_issues_view_leaves_out_items_opened_by_bots(con) -> None:
    """Migration 0220's view: issues and pull requests not opened by a bot, with the author's
    merged person; an item known only by a human-looking login is kept."""
    h = History(con)
    alice = h.person("alice")
    h.person("dependabot", bot=True, login="dependabot[bot]")
    carol = h.person("carol")
    carol_ci = h.identity("carol", carol, "github:carol-ci", bot=True, login="carol-ci")
    w = "acme/widget"
    h.issue(w, 1, "alice", "2024-01-01T00:00:00Z")
    h.issue(w, 2, "dependabot", "2024-01-02T00:00:00Z", pull=True)  # a bot person: left out
    h.issue(w, 3, "x", "2024-01-03T00:00:00Z", login="renovate[bot]")  # a [bot] login: left out
    h.issue(w, 4, "x", "2024-01-04T00:00:00Z", login="Stranger")  # no identity: kept
    h.issue(w, 5, "carol", "2024-01-05T00:00:00Z", pull=True, merged="2024-01-06T00:00:00Z")
    h.issue(w, 6, "carol", "2024-01-06T00:00:00Z")
    con.execute(
        "UPDATE issues SET author_identity = ? WHERE number = 6", [carol_ci]
    )  # bot identity
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'human_issues'"
    ).fetchone()
    assert kind == ("VIEW",)
    rows = con.execute(
        "SELECT number, is_pull, author_person, author_login_lc, merged_at IS NOT NULL"
        " FROM human_issues ORDER BY number"
    ).fetchall()
    assert rows == [
        (1, False, alice, "alice", False),
        (4, False, None, "stranger", False),
        (5, True, carol, "carol", True),
    ]


def test_migration_renames_the_all_history_bus_factor(tmp_path: Path) -> None:
    """A store written before 0320 keeps its graph rows under the name with the window."""
    from ossmetrics.store.migrations import available

    path = tmp_path / "old.duckdb"
    con = connect(path)
    con.execute("DELETE FROM schema_migrations WHERE version = 320")
    con.execute(
        "INSERT INTO graph_repo_measures (repo_id, as_of, measure, value, detail) VALUES "
        "(1, '2024-01-01', 'bus_factor_chaoss', 2, NULL), "
        """(1, '2024-01-01', 'truck_factor', 1, '{"key_people": [3], "bus_factor_chaoss": 2}')"""
    )
    con.close()
    assert 320 in {n for n, _, _ in available()}
    con = connect(path)  # applies the missing migration
    rows = con.execute(
        "SELECT measure, value, detail FROM graph_repo_measures ORDER BY measure"
    ).fetchall()
    con.close()
    assert rows == [
        ("bus_factor_all_history", 2.0, None),
        ("truck_factor", 1.0, '{"key_people": [3], "bus_factor_all_history": 2}'),
    ]

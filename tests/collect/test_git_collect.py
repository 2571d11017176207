"""collect_git on real repositories built in tmp dirs: exact stored values for every scenario."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ossmetrics.collect import git_stage
from ossmetrics.collect.git import collect_git, repo_name_for
from ossmetrics.collect.gitlog import open_repository
from ossmetrics.errors import GitError, NotAGitRepository
from ossmetrics.store import connect
from tests.collect.git_scenarios import (
    build_history,
    files_of,
    interrupt_at_commit,
    stored_tables,
    utc,
)
from tests.gitfactory import GitFactory, Person


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return build_history(tmp_path_factory.mktemp("hist"))


@pytest.fixture(scope="module")
def collected(history: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("db") / "store.duckdb"
    con = connect(db)
    result = collect_git(con, history["path"])
    yield con, result
    con.close()


def test_result_and_repo_row(collected, history) -> None:
    con, r = collected
    assert (r.repo, r.commits_added, r.commits_removed, r.files_added, r.full) == (
        "local/proj",
        11,
        0,
        12,
        True,
    )
    row = con.execute(
        "SELECT full_name, platform, git_path, default_branch FROM repos WHERE repo_id = ?",
        [r.repo_id],
    ).fetchone()
    assert row == ("local/proj", "local", history["path"], "main")


def test_file_rows_exact(collected, history) -> None:
    con, _ = collected
    s = history
    assert files_of(con, s["c1"]) == [("README.md", None, 3, 0), ("logo.png", None, None, None)]
    assert files_of(con, s["c2"]) == [("docs/README.md", "README.md", 1, 0)]
    assert files_of(con, s["c3"]) == sorted(
        [
            ("tab\there.txt", None, 1, 0),
            ('quote"s, comma.txt', None, 2, 0),
            ("caf\ufffd.txt", None, 1, 0),
            ("ünïcode/файл.txt", None, 1, 0),
        ]
    )
    for empty in ("c4", "m", "raw"):
        assert files_of(con, s[empty]) == [], empty
    assert files_of(con, s["c7"]) == [(".mailmap", None, 1, 0)]
    assert con.execute("SELECT count(*) FROM commit_files").fetchone()[0] == 12


def test_commit_rows_exact(collected, history) -> None:
    con, _ = collected
    s = history

    def row(sha: str) -> tuple:
        return con.execute(
            """SELECT authored_at, author_tz_offset_min, committed_at, committer_tz_offset_min,
                      parents, n_parents, files_changed, lines_added, lines_deleted, message_len
               FROM commits WHERE sha = ?""",
            [sha],
        ).fetchone()

    assert row(s["c1"]) == (utc(2024, 1, 2, 8), 120, utc(2024, 1, 2, 8), 120, [], 0, 2, 3, 0, 5)
    assert row(s["c2"]) == (
        utc(2024, 1, 3, 16, 30),
        -420,
        utc(2024, 1, 3, 20, 30),
        330,
        [s["c1"]],
        1,
        1,
        1,
        0,
        6,
    )
    assert row(s["m"])[4:7] == ([s["c4"], s["c3"]], 2, 0)
    assert row(s["c4"])[5:9] == (1, 0, 0, 0)
    raw = row(s["raw"])
    assert raw[0] == datetime.fromtimestamp(1705000000, UTC) and raw[1] == 18 * 60
    assert con.execute("SELECT count(*), count(DISTINCT sha) FROM commits").fetchone() == (11, 11)


def test_identities_and_people(collected, history) -> None:
    con, _ = collected

    def person(sha: str) -> tuple:
        return con.execute(
            """SELECT p.display_name, p.primary_email, p.github_login, p.organization, p.is_bot
               FROM commits c JOIN identities i ON i.identity_id = c.author_identity
               JOIN people p ON p.person_id = i.person_id WHERE c.sha = ?""",
            [sha],
        ).fetchone()

    def pid(sha: str, col: str = "author_identity") -> int:
        return con.execute(
            f"SELECT i.person_id FROM commits c JOIN identities i ON i.identity_id = c.{col} WHERE c.sha = ?",
            [sha],
        ).fetchone()[0]

    s = history
    assert person(s["c1"]) == ("Alice Example", "alice@acme.org", None, "acme.org", False)
    assert pid(s["c6"]) == pid(s["c1"]) == pid(s["c2"], "committer_identity")  # name rule
    assert person(s["c7"]) == ("Bob Builder", "bob@builder.org", None, "builder.org", False)
    assert pid(s["c7"]) == pid(s["c2"])  # .mailmap
    assert pid(s["c8"]) == pid(s["c9"])  # noreply → login
    assert person(s["c8"])[2] == "dana-x" and person(s["c8"])[4] is False
    assert person(s["c5"])[2:] == ("dependabot[bot]", None, True)
    assert person(s["c3"])[0] == "Carlos Muñoz"
    n_ids, n_people, n_null = con.execute(
        "SELECT count(*), count(DISTINCT person_id), count(*) FILTER (WHERE person_id IS NULL) FROM identities"
    ).fetchone()
    assert (n_ids, n_people, n_null) == (9, 6, 0)
    assert con.execute("SELECT count(*) FROM people").fetchone()[0] == 6
    # person_id is the smallest identity_id of the cluster
    bad = con.execute(
        "SELECT count(*) FROM (SELECT person_id, min(identity_id) m FROM identities GROUP BY 1) WHERE person_id <> m"
    ).fetchone()[0]
    assert bad == 0
    key = con.execute(
        "SELECT identity_key FROM identities WHERE email = 'bob@builder.org'"
    ).fetchone()
    assert key == ("git:bob@builder.org\x1fBob Builder",)


def test_collecting_twice_is_identical(history, tmp_path: Path) -> None:
    con = connect(tmp_path / "a.duckdb")
    collect_git(con, history["path"])
    first = stored_tables(con)
    again = collect_git(con, history["path"])
    assert again.unchanged and again.commits_added == 0  # its speed: bench_git's rerun_seconds
    assert stored_tables(con) == first
    con.execute("DELETE FROM sync_state")  # forget the cursor: a full re-collection
    full = collect_git(con, history["path"])
    assert (full.full, full.commits_added, full.commits_removed) == (True, 11, 11)
    assert stored_tables(con) == first
    con.close()
    other = connect(tmp_path / "b.duckdb")  # a second store gets the very same rows and ids
    collect_git(other, history["path"])
    assert stored_tables(other) == first
    other.close()


def test_incremental_and_force_push(tmp_path: Path, con) -> None:
    r = GitFactory(tmp_path / "inc")
    a = r.commit({"f.txt": "1\n"})
    b = r.commit({"f.txt": "1\n2\n"})
    c = r.commit({"g.txt": "x\n"})
    assert collect_git(con, r.path).commits_added == 3
    d = r.commit({"f.txt": "1\n2\n3\n"})
    e = r.commit({"h.txt": "y\ny\n"})
    inc = collect_git(con, r.path)
    assert (inc.full, inc.commits_added, inc.commits_removed, inc.files_added) == (
        False,
        2,
        0,
        2,
    )
    # force-push: back to a, two new commits; b..e are unreachable and must go with their files
    r.reset_hard(a)
    f = r.commit({"f.txt": "one\n"})
    g = r.commit({"z.txt": "z\n"})
    fp = collect_git(con, r.path)
    assert (fp.full, fp.commits_added, fp.commits_removed, fp.commits_total) == (False, 2, 4, 3)
    assert {x[0] for x in con.execute("SELECT sha FROM commits").fetchall()} == {a, f, g}
    assert {x[0] for x in con.execute("SELECT DISTINCT sha FROM commit_files").fetchall()} == {
        a,
        f,
        g,
    }
    assert files_of(con, f) == [("f.txt", None, 1, 1)]
    assert not {b, c, d, e} & {x[0] for x in con.execute("SELECT sha FROM commits").fetchall()}


def test_bare_clone_all_refs_and_origin_name(tmp_path: Path, con) -> None:
    r = GitFactory(tmp_path / "work")
    r.commit({"a.txt": "a\n"})
    r.tag("v1", annotated=True)
    r.branch("side")
    r.checkout("side")
    side = r.commit({"side.txt": "s\n"})
    r.checkout("main")
    r.commit({"b.txt": "b\n"})
    bare = r.clone_bare(tmp_path / "work.git")
    bare.git("remote", "set-url", "origin", "git@github.com:acme/widget.git")
    assert repo_name_for(open_repository(bare.path)) == "acme/widget"
    head = collect_git(con, bare.path)
    assert (head.repo, head.commits_total) == ("acme/widget", 2)
    every = collect_git(con, bare.path, all_refs=True)
    assert (every.commits_added, every.commits_removed, every.commits_total) == (1, 0, 3)
    assert con.execute("SELECT count(*) FROM commits WHERE sha = ?", [side]).fetchone() == (1,)
    back = collect_git(con, bare.path)  # HEAD only again: the side commit goes
    assert (back.commits_added, back.commits_removed, back.commits_total) == (0, 1, 2)
    named = collect_git(con, r.path, "Acme/Widget-Work")
    assert named.repo == "Acme/Widget-Work" and named.commits_total == 2


def test_missing_blob_in_partial_clone(tmp_path: Path, con) -> None:
    r = GitFactory(tmp_path / "partial")
    r.commit({"keep.txt": "k\n"})
    big = r.commit({"big.bin": "x\n" * 50, "small.txt": "s\ns\n"})
    r.commit({"keep.txt": "k\nk\n"})
    r.drop_blob("big.bin", big)
    res = collect_git(con, r.path)
    assert res.commits_added == 3
    assert files_of(con, big) == [("big.bin", None, None, None), ("small.txt", None, 2, 0)]
    assert con.execute(
        "SELECT files_changed, lines_added FROM commits WHERE sha = ?", [big]
    ).fetchone() == (2, 2)


def test_bad_paths(tmp_path: Path, con) -> None:
    with pytest.raises(NotAGitRepository):
        collect_git(con, tmp_path / "nope")
    (tmp_path / "plain").mkdir()
    with pytest.raises(NotAGitRepository):
        collect_git(con, tmp_path / "plain")
    GitFactory(tmp_path / "empty")
    with pytest.raises(GitError, match="no commits"):
        collect_git(con, tmp_path / "empty")


def test_interrupt_rolls_back_and_next_run_completes(tmp_path: Path, con, monkeypatch) -> None:
    r = GitFactory(tmp_path / "ctrlc")
    for i in range(5):
        r.commit({f"f{i}.txt": "x\n"})
    real = interrupt_at_commit(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        collect_git(con, r.path)
    assert con.execute("SELECT count(*) FROM commits").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM sync_state").fetchone() == (0,)
    monkeypatch.setattr(git_stage.Stager, "add", real)
    assert collect_git(con, r.path).commits_total == 5


CHILD = textwrap.dedent("""
    import sys, time
    from ossmetrics.collect import git as g, git_stage as st
    from ossmetrics.store import connect
    st.FILE_BATCH = st.COMMIT_BATCH = 300
    real = st.Stager._flush_files
    def flush(self):
        real(self)
        print("flushed", flush=True)
        time.sleep(0.05)
    st.Stager._flush_files = flush
    con = connect(sys.argv[1])
    g.collect_git(con, sys.argv[2])
    print("done", flush=True)
""")


def test_kill_9_mid_collection_loses_nothing(tmp_path: Path) -> None:
    small = GitFactory(tmp_path / "small")
    small.commit({"a.txt": "a\n"})
    db = tmp_path / "k.duckdb"
    con = connect(db)
    collect_git(con, small.path)
    before = stored_tables(con)
    con.close()
    big = GitFactory.bulk(tmp_path / "big.git", 3000)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(big.path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    seen = [child.stdout.readline() for _ in range(3)]
    assert seen == ["flushed\n"] * 3  # mid-transaction, rows already handed to DuckDB
    child.kill()
    child.wait()
    con = connect(db)
    assert stored_tables(con) == before  # the killed run left nothing behind
    res = collect_git(con, big.path)
    assert (res.full, res.commits_added, res.commits_total) == (True, 3000, 3000)
    assert con.execute(
        "SELECT count(*), count(DISTINCT sha) FROM commit_files WHERE repo_id = ?", [res.repo_id]
    ).fetchone() == (3000, 3000)
    assert collect_git(con, big.path).unchanged
    con.close()


def test_lost_old_tip_or_foreign_rows_trigger_full_recollection(tmp_path: Path, con) -> None:
    r = GitFactory(tmp_path / "gc")
    r.commit({"a.txt": "a\n"})
    r.commit({"b.txt": "b\n"})
    first = collect_git(con, r.path)
    # the stored tip was rewritten away and garbage-collected: git no longer knows it
    con.execute("UPDATE sync_state SET cursor = replace(cursor, ?, ?)", [r.head(), "f" * 40])
    again = collect_git(con, r.path)
    assert (again.full, again.commits_added, again.commits_removed) == (True, 2, 2)
    # rows written by someone else (count no longer matches the cursor): replaced, not doubled
    con.execute("DELETE FROM commits WHERE sha = ?", [r.head()])
    fixed = collect_git(con, r.path)
    assert (fixed.full, fixed.commits_total) == (True, 2)
    assert con.execute(
        "SELECT count(*) FROM commit_files WHERE repo_id = ?", [first.repo_id]
    ).fetchone() == (2,)


def test_identities_inserted_with_explicit_ids_do_not_collide(tmp_path: Path, con) -> None:
    con.execute(
        "INSERT INTO identities (identity_id, identity_key, person_id, source, name, email) VALUES (1, 'git:x@y.org\x1fX', 1, 'git', 'X', 'x@y.org'), (2, 'github:x', 2, 'github', NULL, NULL)"
    )
    r = GitFactory(tmp_path / "ids")
    r.commit({"a.txt": "a\n"}, author=Person("New Person", "new@person.org"))
    collect_git(con, r.path)
    ids = con.execute("SELECT identity_id FROM identities ORDER BY 1").fetchall()
    assert [i[0] for i in ids][:2] == [1, 2] and len(ids) == 3 and ids[2][0] > 2

"""collect_git on real repositories built in tmp dirs: exact stored values for every scenario."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ossmetrics.collect import git as gitmod
from ossmetrics.collect import git_stage, gitlog, gitslices
from ossmetrics.collect.git import collect_git, repo_name_for
from ossmetrics.collect.gitlog import open_repository
from ossmetrics.errors import GitError, NotAGitRepository, UsageError
from ossmetrics.store import connect
from tests.gitfactory import GitFactory, Person

ALICE = Person("Alice Example", "alice@acme.org")
ALICE_WORK = Person("Alice  Example", "alice@initech.com")
BOB = Person("Bob Builder", "bob@builder.org")
BOB_OLD = Person("bobby", "bob.old@builder.net")
CARLOS = Person("Carlos Muñoz", "carlos@acme.org")
DEPENDABOT = Person("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
DANA1 = Person("Dana", "12345+dana-x@users.noreply.github.com")
DANA2 = Person("dana", "Dana-X@users.noreply.github.com")

UTC = UTC


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One repository with every scenario; returns name -> sha (and 'path')."""
    root = tmp_path_factory.mktemp("hist")
    r = GitFactory(root / "proj")
    s: dict[str, str] = {"path": str(r.path)}
    s["c1"] = r.commit(
        {"README.md": "a\nb\nc\n", "logo.png": b"\x89PNG\r\n\x1a\n\0\0binary"},
        message="first",
        author=ALICE,
        date="2024-01-02T10:00:00+02:00",
    )
    s["c2"] = r.commit(
        {"docs/README.md": "a\nb\nc\nd\n"},
        renames={"README.md": "docs/README.md"},
        message="rename",
        author=BOB,
        committer=ALICE,
        date="2024-01-03T09:30:00-07:00",
        committer_date="2024-01-04T02:00:00+05:30",
    )
    r.branch("feature")
    r.checkout("feature")
    s["c3"] = r.commit(
        {
            "tab\there.txt": "x\n",
            'quote"s, comma.txt': "q\nq\n",
            b"caf\xe9.txt": b"latin1\n",
            "ünïcode/файл.txt": "u\n",
        },
        author=CARLOS,
        message="odd paths",
        date="2024-01-05T12:00:00+00:00",
    )
    r.checkout("main")
    s["c4"] = r.commit(message="empty", author=ALICE, date="2024-01-06T12:00:00+00:00")
    s["m"] = r.merge("feature", author=ALICE, date="2024-01-07T12:00:00+00:00")
    s["c5"] = r.commit(
        {"requirements.txt": "x==1\n"}, author=DEPENDABOT, date="2024-01-08T12:00:00Z"
    )
    s["c6"] = r.commit(
        {"docs/README.md": "a\nb\nc\nd\ne\n"}, author=ALICE_WORK, date="2024-01-09T12:00:00Z"
    )
    s["c7"] = r.commit(
        {".mailmap": "Bob Builder <bob@builder.org> <bob.old@builder.net>\n"},
        author=BOB_OLD,
        date="2024-01-10T12:00:00Z",
    )
    s["c8"] = r.commit({"d.txt": "1\n"}, author=DANA1, date="2024-01-11T12:00:00Z")
    s["c9"] = r.commit({"d.txt": "1\n2\n"}, author=DANA2, date="2024-01-12T12:00:00Z")
    s["raw"] = r.raw_commit(
        author_line="Zed Zero <zed@zero.io>", author_time=1705000000, author_zone="+51800"
    )
    return s


@pytest.fixture(scope="module")
def collected(history: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("db") / "store.duckdb"
    con = connect(db)
    result = collect_git(con, history["path"])
    yield con, result
    con.close()


def files_of(con, sha: str) -> list[tuple]:
    return con.execute(
        "SELECT path, old_path, added, deleted FROM commit_files WHERE sha = ? ORDER BY path",
        [sha],
    ).fetchall()


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


def _tables(con) -> dict[str, list[tuple]]:
    return {
        "commits": con.execute("SELECT * FROM commits ORDER BY repo_id, sha").fetchall(),
        "commit_files": con.execute(
            "SELECT * FROM commit_files ORDER BY repo_id, sha, path"
        ).fetchall(),
        "identities": con.execute(
            "SELECT * EXCLUDE (first_seen_at) FROM identities ORDER BY identity_id"
        ).fetchall(),
        "people": con.execute("SELECT * FROM people ORDER BY person_id").fetchall(),
    }


def test_collecting_twice_is_identical(history, tmp_path: Path) -> None:
    con = connect(tmp_path / "a.duckdb")
    collect_git(con, history["path"])
    first = _tables(con)
    again = collect_git(con, history["path"])
    assert again.unchanged and again.commits_added == 0  # its speed: bench_git's rerun_seconds
    assert _tables(con) == first
    con.execute("DELETE FROM sync_state")  # forget the cursor: a full re-collection
    full = collect_git(con, history["path"])
    assert (full.full, full.commits_added, full.commits_removed) == (True, 11, 11)
    assert _tables(con) == first
    con.close()
    other = connect(tmp_path / "b.duckdb")  # a second store gets the very same rows and ids
    collect_git(other, history["path"])
    assert _tables(other) == first
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


def _interrupt_at_commit(monkeypatch, n: int):
    """Ctrl-C as the collector stages its ``n``-th commit; returns the real method."""
    calls = {"n": 0}
    real = git_stage.Stager.add

    def add(self, c):
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt
        real(self, c)

    monkeypatch.setattr(git_stage.Stager, "add", add)
    return real


def test_interrupt_rolls_back_and_next_run_completes(tmp_path: Path, con, monkeypatch) -> None:
    r = GitFactory(tmp_path / "ctrlc")
    for i in range(5):
        r.commit({f"f{i}.txt": "x\n"})
    real = _interrupt_at_commit(monkeypatch, 3)
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
    before = _tables(con)
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
    assert _tables(con) == before  # the killed run left nothing behind
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


# -- several git log processes ------------------------------------------------------------------


def test_parallel_git_log_stores_the_same_rows(history, tmp_path: Path, monkeypatch) -> None:
    """Split over 3 processes (one commit per process allowed), every table equals one process's."""
    monkeypatch.setattr(gitslices, "MIN_PER_JOB", 1)
    one = connect(tmp_path / "one.duckdb")
    collect_git(one, history["path"], jobs=1)
    three = connect(tmp_path / "three.duckdb")
    res = collect_git(three, history["path"], jobs=3)
    assert (res.commits_added, res.files_added) == (11, 2 + 1 + 4 + 1 + 1 + 1 + 1 + 1)
    assert _tables(three) == _tables(one)
    # commits are inserted newest first whatever order the processes delivered them in
    order = open_repository(history["path"]).rev_list(["HEAD"])
    assert [r[0] for r in three.execute("SELECT sha FROM commits").fetchall()] == order


def test_parallel_git_log_on_a_long_history_and_a_partial_clone(
    tmp_path: Path, monkeypatch
) -> None:
    big = GitFactory.bulk(tmp_path / "big.git", 2400, n_files=30)
    tables = []
    for jobs in (1, 4):
        con = connect(tmp_path / f"big{jobs}.duckdb")
        res = collect_git(con, big.path, jobs=jobs)
        assert (res.commits_added, res.files_added) == (2400, 2400)
        tables.append(_tables(con))
        con.close()
    assert tables[0] == tables[1]
    # a missing blob inside one slice: that slice steps over it, the others are untouched
    monkeypatch.setattr(gitslices, "MIN_PER_JOB", 1)
    r = GitFactory(tmp_path / "partial")
    for i in range(6):
        r.commit({f"k{i}.txt": "k\n" * (i + 1)})
    big_sha = r.commit({"big.bin": "x\n" * 50, "small.txt": "s\ns\n"})
    for i in range(6):
        r.commit({f"k{i}.txt": "k\n" * (i + 3)})
    r.drop_blob("big.bin", big_sha)
    con = connect(tmp_path / "partial.duckdb")
    res = collect_git(con, r.path, jobs=3)
    assert res.commits_added == 13
    assert files_of(con, big_sha) == [("big.bin", None, None, None), ("small.txt", None, 2, 0)]
    # 6 files of 1..6 lines, small.txt's 2, then 2 lines more in each of the 6 files
    assert con.execute(
        "SELECT count(*), sum(added), sum(deleted) FROM commit_files"
    ).fetchone() == (
        14,
        21 + 2 + 6 * 2,
        0,
    )


def test_closing_parallel_log_early_stops_every_git(tmp_path: Path) -> None:
    psutil = pytest.importorskip(
        "psutil", reason="psutil comes with the dev extra (pip install '.[dev]')"
    )

    big = GitFactory.bulk(tmp_path / "big.git", 3000)
    repo = open_repository(big.path)
    shas = repo.rev_list(["HEAD"])
    gen = gitlog.log_commits(repo, shas, jobs=3)
    first = [next(gen) for _ in range(10)]
    assert len({c.sha for c in first}) == 10

    def gits() -> list[Any]:
        # only git: other tests of the session may leave helpers (a forkserver) running
        kids = psutil.Process().children(recursive=True)
        return [p for p in kids if p.is_running() and p.name() == "git"]

    assert gits()
    gen.close()
    assert not [p for p in gits() if p.status() != psutil.STATUS_ZOMBIE]
    # and a run to the end yields each commit exactly once
    assert sorted(c.sha for c in gitlog.log_commits(repo, shas, jobs=3)) == sorted(shas)


def test_interrupt_during_parallel_log_rolls_back(tmp_path: Path, con, monkeypatch) -> None:
    big = GitFactory.bulk(tmp_path / "big.git", 1200)
    real = _interrupt_at_commit(monkeypatch, 700)
    with pytest.raises(KeyboardInterrupt):
        collect_git(con, big.path, jobs=2)
    assert con.execute("SELECT count(*) FROM commits").fetchone() == (0,)
    monkeypatch.setattr(git_stage.Stager, "add", real)
    assert collect_git(con, big.path, jobs=2).commits_total == 1200


@pytest.mark.parametrize(
    ("value", "expected"), [("1", 1), ("3", 3), (2, 2), ("auto", None), ("AUTO", None)]
)
def test_git_jobs_setting(value, expected) -> None:
    n = gitmod.git_jobs(value)
    if expected is None:
        assert 1 <= n <= min(4, os.cpu_count() or 1)
    else:
        assert n == expected


@pytest.mark.parametrize("value", ["0", "-2", "many", "1.5"])
def test_git_jobs_rejects_nonsense(value) -> None:
    with pytest.raises(UsageError, match="positive number or auto"):
        gitmod.git_jobs(value)


def test_a_finished_worker_steals_half_of_the_busiest_slice() -> None:
    """The scheduler alone, driven step by step (no threads, no clock): 3,000 commits over 2
    workers; worker 1 finishes while worker 0 has delivered 100, so it takes the second half of
    worker 0's remaining 1,400 (commits 800-1499), and worker 0 stops at 800."""
    from ossmetrics.collect.gitslices import SliceScheduler

    plan = SliceScheduler(3000, 2, min_steal=100)
    s0, s1 = plan.first()
    assert (plan.span(s0), plan.span(s1)) == ((0, 1500), (1500, 3000))
    assert all(plan.advance(s0) for _ in range(100))
    assert all(plan.advance(s1) for _ in range(1500))
    assert not plan.advance(s1)  # its own end reached
    stolen = plan.steal(s1)
    assert stolen is not None and plan.span(stolen) == (800, 1500) and plan.span(s0) == (100, 800)
    delivered0 = 100 + sum(plan.advance(s0) for _ in range(1000))
    assert delivered0 == 800  # it stopped where the stolen part begins
    # nothing is split below 2 * min_steal commits left: the thief finishes alone
    assert all(plan.advance(stolen) for _ in range(600))
    assert plan.steal(s0) is None  # 100 left in the stolen slice: not worth another git
    assert sum(plan.advance(stolen) for _ in range(200)) == 100
    assert plan.steal(stolen) is None


def test_scheduler_delivers_every_commit_exactly_once_in_any_interleaving() -> None:
    """Random interleavings of 4 workers (seeded): whatever order they advance and steal in,
    the positions delivered are 0..n-1, each once."""
    import random

    from ossmetrics.collect.gitslices import SliceScheduler

    for seed in range(20):
        rng = random.Random(seed)
        n = rng.randrange(800, 5000)
        plan = SliceScheduler(n, 4, min_steal=rng.choice([1, 10, 100]))
        current = dict(enumerate(plan.first()))
        delivered: list[int] = []
        while current:
            w = rng.choice(sorted(current))
            sl = current[w]
            for _ in range(rng.randrange(1, 200)):
                pos = sl.pos
                if not plan.advance(sl):
                    nxt = plan.steal(sl)
                    if nxt is None:
                        del current[w]
                    else:
                        current[w] = nxt
                    break
                delivered.append(pos)
        assert sorted(delivered) == list(range(n)), seed


def test_stealing_on_real_git_gives_each_commit_once(tmp_path: Path, monkeypatch) -> None:
    """End to end with git: a scheduler that lets slices split at 1 commit left; whatever the
    processes' speeds, each commit arrives once and equal to the one-process parse."""
    big = GitFactory.bulk(tmp_path / "big.git", 1500)
    repo = open_repository(big.path)
    shas = repo.rev_list(["HEAD"])
    monkeypatch.setattr(gitslices, "MIN_STEAL", 1)
    got = list(gitlog.log_commits(repo, shas, jobs=3))
    assert sorted(c.sha for c in got) == sorted(shas) and len(got) == 1500
    serial = {c.sha: c for c in gitlog.log_commits(repo, shas, jobs=1)}
    assert {c.sha: c for c in got} == serial

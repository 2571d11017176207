"""Spark collect with several repositories per task: one failing repository does not touch
the others' rows, the rerun collects it and adds nothing twice, and a crash between the task
folders and the manifest leaves readers on the old lake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ossmetrics.collect.git import collect_git
from ossmetrics.lake import MANIFEST, open_lake
from ossmetrics.spark import collect as job
from ossmetrics.store import connect
from tests.gitfactory import GitFactory, Person
from tests.spark.test_collect import _snapshot

ANN = Person("Ann", "ann@example.org")
BEN = Person("Ben", "ben@example.org")
CID = Person("Cid", "cid@example.org")


def _repo(path: Path, n: int, who: list[Person]) -> GitFactory:
    g = GitFactory(path)
    for k in range(n):
        g.commit({f"f{k}.py": f"{k}\n" * (k + 1)}, author=who[k % len(who)],
                 date=f"2024-0{1 + k % 9}-0{1 + k % 9}T00:00:00Z")  # fmt: skip
    return g


def _local(clones: dict[str, GitFactory], tmp_path: Path) -> list[tuple[Any, ...]]:
    con = connect(tmp_path / f"local{len(clones)}.duckdb")
    for n, g in sorted(clones.items()):
        collect_git(con, g.path, n)
    try:
        return _snapshot(con)
    finally:
        con.close()


def _lake_rows(lake: Path) -> tuple[list[tuple[Any, ...]], int, int]:
    lk = open_lake(str(lake))
    try:
        n = lk.con.execute(
            "SELECT count(*), count(DISTINCT (repo_id, sha)) FROM commits"
        ).fetchone()
        assert n is not None
        return _snapshot(lk.con), int(n[0]), int(n[1])
    finally:
        lk.close()


def _folders(lake: Path) -> tuple[set[str], set[str]]:
    """(task folders on disk, task folders the manifest names)"""
    m = json.loads((lake / MANIFEST).read_text())
    named = {e["rows"] for e in m["collect"].values() if e["rows"]}
    return {p.name for p in (lake / "_collect").iterdir()}, named


def test_a_failing_repository_in_a_shared_task_leaves_the_others_and_is_collected_later(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job, "TASKS_PER_CORE", 1)  # local[2]: 2 tasks for 5 repositories
    clones = {
        "acme/a": _repo(tmp_path / "a", 3, [ANN, BEN]),
        "acme/b": _repo(tmp_path / "b", 2, [BEN]),
        "acme/c": _repo(tmp_path / "c", 4, [CID, ANN]),
        "acme/d": _repo(tmp_path / "d", 1, [ANN]),
    }
    items = sorted(
        [(n, str(g.path)) for n, g in clones.items()] + [("acme/e", str(tmp_path / "e"))]
    )
    lake = tmp_path / "lake"
    r = job.collect_repos(spark, lake, items)
    assert r.tasks == 2 + 1  # two tasks, then the retry of acme/e alone
    assert sorted(r.ok) == ["acme/a", "acme/b", "acme/c", "acme/d"] and r.commits_added == 10
    assert list(r.failed) == ["acme/e"]
    m = json.loads((lake / MANIFEST).read_text())["collect"]
    assert (m["acme/e"]["status"], m["acme/e"]["attempts"], m["acme/e"]["rows"]) == (
        "failed", 2, None,
    )  # fmt: skip
    # dealt round-robin: a, c, e in one task; b, d in the other
    assert m["acme/a"]["rows"] == m["acme/c"]["rows"] != m["acme/b"]["rows"] == m["acme/d"]["rows"]
    on_disk, named = _folders(lake)
    assert on_disk == named and len(named) == 2
    rows, n, distinct = _lake_rows(lake)
    assert rows == _local(clones, tmp_path) and n == distinct == 10

    # the clone appears: the rerun collects it, the others are unchanged, nothing is doubled
    clones["acme/e"] = _repo(tmp_path / "e", 2, [CID])
    again = job.collect_repos(spark, lake, items)
    assert again.ok == ["acme/e"] and again.commits_added == 2 and not again.failed
    assert sorted(again.unchanged) == ["acme/a", "acme/b", "acme/c", "acme/d"]
    rows, n, distinct = _lake_rows(lake)
    assert rows == _local(clones, tmp_path) and n == distinct == 12
    # e's task folder also holds a and c (loaded from their last run): both now point at it,
    # and the folder they left is deleted
    m = json.loads((lake / MANIFEST).read_text())["collect"]
    assert m["acme/e"]["rows"] == m["acme/a"]["rows"] == m["acme/c"]["rows"]
    on_disk, named = _folders(lake)
    assert on_disk == named and len(named) == 2

    # a new commit in c only: c's rows are replaced whole, the lake gains exactly one commit
    clones["acme/c"].commit({"z.py": "z\n"}, author=BEN, date="2024-10-01T00:00:00Z")
    third = job.collect_repos(spark, lake, items)
    assert third.ok == ["acme/c"] and third.commits_added == 1
    rows, n, distinct = _lake_rows(lake)
    assert rows == _local(clones, tmp_path) and n == distinct == 13


def test_a_crash_before_the_manifest_leaves_readers_on_the_old_lake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clones = {"acme/a": _repo(tmp_path / "a", 2, [ANN]), "acme/b": _repo(tmp_path / "b", 1, [BEN])}
    items = sorted((n, str(g.path)) for n, g in clones.items())
    lake = tmp_path / "lake"
    job.collect_repos(None, lake, items)
    before = (lake / MANIFEST).read_bytes()
    old_rows = _lake_rows(lake)
    assert old_rows[1] == 3

    def crash(root: Path, rows: dict[str, str]) -> None:
        raise RuntimeError("killed")

    # 1. killed after the tasks wrote their folders, before the merge and the manifest
    clones["acme/a"].commit({"n.py": "n\n"}, author=BEN, date="2024-11-01T00:00:00Z")
    monkeypatch.setattr(job, "merge_repo_rows", crash)
    with pytest.raises(RuntimeError):
        job.collect_repos(None, lake, items)
    assert (lake / MANIFEST).read_bytes() == before
    assert _lake_rows(lake) == old_rows  # readers see the old lake whole
    on_disk, named = _folders(lake)
    assert len(on_disk - named) == 1  # the new task folder, named by nothing
    killed = lake / "_collect" / f".task-{'0' * 32}"  # a task killed while writing
    killed.mkdir()
    (killed / "commits.parquet").write_bytes(b"PAR1 half")

    # 2. killed after the lake export, before the manifest names the new task folder
    monkeypatch.undo()

    def merge_then_crash(root: Path, rows: dict[str, str]) -> None:
        merge(root, rows)
        raise RuntimeError("killed")

    merge = job.merge_repo_rows
    monkeypatch.setattr(job, "merge_repo_rows", merge_then_crash)
    with pytest.raises(RuntimeError):
        job.collect_repos(None, lake, items)
    rows, n, distinct = _lake_rows(lake)
    assert n == distinct == 4 and rows == _local(clones, tmp_path)
    monkeypatch.undo()

    # the rerun collects the same increment again from the last named rows: nothing doubled
    r = job.collect_repos(None, lake, items)
    assert r.ok == ["acme/a"] and r.commits_added == 1 and r.unchanged == ["acme/b"]
    rows, n, distinct = _lake_rows(lake)
    assert n == distinct == 4 and rows == _local(clones, tmp_path)
    on_disk, named = _folders(lake)
    assert on_disk == named  # the orphans and the killed task's leftovers are gone


def test_unreadable_last_rows_mean_a_full_collection_not_a_stuck_repository(
    tmp_path: Path,
) -> None:
    """A task folder damaged on disk (here: its commits file overwritten) cannot be the last
    run: its repositories are collected from scratch, and the merge replaces their rows in
    the lake whole, so the lake ends up as if nothing had happened."""
    clones = {"acme/a": _repo(tmp_path / "a", 2, [ANN]), "acme/b": _repo(tmp_path / "b", 1, [BEN])}
    items = sorted((n, str(g.path)) for n, g in clones.items())
    lake = tmp_path / "lake"
    job.collect_repos(None, lake, items)
    folder = json.loads((lake / MANIFEST).read_text())["collect"]["acme/a"]["rows"]
    (lake / "_collect" / folder / "commits.parquet").write_bytes(b"not parquet")
    clones["acme/a"].commit({"n.py": "n\n"}, author=BEN, date="2024-11-01T00:00:00Z")
    r = job.collect_repos(None, lake, items)
    assert r.ok == ["acme/a", "acme/b"] and r.commits_added == 3 + 1  # both in full
    rows, n, distinct = _lake_rows(lake)
    assert n == distinct == 4 and rows == _local(clones, tmp_path)
    on_disk, named = _folders(lake)
    assert on_disk == named and folder not in named


def test_rows_collected_without_a_merge_are_merged_by_the_next_run(tmp_path: Path) -> None:
    clones = {"acme/a": _repo(tmp_path / "a", 2, [ANN]), "acme/b": _repo(tmp_path / "b", 1, [BEN])}
    items = sorted((n, str(g.path)) for n, g in clones.items())
    lake = tmp_path / "lake"
    r = job.collect_repos(None, lake, items, merge=False)
    assert r.ok == ["acme/a", "acme/b"]
    m = json.loads((lake / MANIFEST).read_text())
    assert m["tables"] == {} and [e["merged"] for e in m["collect"].values()] == [False, False]
    r = job.collect_repos(None, lake, items)
    assert r.unchanged == ["acme/a", "acme/b"] and r.commits_added == 0
    rows, n, distinct = _lake_rows(lake)
    assert n == distinct == 3 and rows == _local(clones, tmp_path)
    m = json.loads((lake / MANIFEST).read_text())
    assert [e["merged"] for e in m["collect"].values()] == [True, True]


def test_a_person_forgotten_in_a_store_does_not_come_back_through_the_tasks(
    tmp_path: Path,
) -> None:
    """`people forget` on a store imported from the lake, exported back; the next spark collect
    starts each task from its own last run (which still names the person) and sees a new commit
    of theirs: the lake keeps them anonymous -- their old and new commits on the anonymous
    identity, no identity or .mailmap row with their name or address."""
    g, items, lake, anon = _collected_then_forgotten(tmp_path)
    g.commit({"late.py": "x\n"}, author=BEN, date="2024-10-10T00:00:00Z")
    r = job.collect_repos(None, lake, items)
    assert r.ok == ["acme/a"] and r.commits_added == 1
    assert _collect_rows_naming(lake, "ben@") == 0  # the task's own files forgot him too
    lk = open_lake(str(lake))
    try:
        c = lk.con
        named = c.execute(
            "SELECT count(*) FROM identities WHERE lower(email) LIKE '%ben%' OR name = 'Ben'"
        ).fetchone()
        assert named == (0,)
        mailmap = c.execute(
            "SELECT count(*) FROM git_mailmap WHERE proper_email LIKE '%ben%' "
            "OR commit_email LIKE '%ben%'"
        ).fetchone()
        assert mailmap == (0,)
        # Ben made commits 1 and 3 of the first four, and the late one: all on the anonymous id
        on_anon = c.execute(
            "SELECT count(*) FROM commits WHERE author_identity = ?", [anon]
        ).fetchone()
        assert on_anon == (3,)
        total = c.execute("SELECT count(*), count(DISTINCT sha) FROM commits").fetchone()
        assert total == (6, 6)
    finally:
        lk.close()


def _collect_rows_naming(lake: Path, needle: str) -> int:
    """Rows of the task folders' identities and .mailmap files that hold ``needle`` (any
    identifying column), read from every Parquet file under ``_collect``."""
    import duckdb

    con = duckdb.connect()
    n = 0
    try:
        for f in sorted((lake / "_collect").rglob("*.parquet")):
            if f.name == "identities.parquet":
                cols = "identity_key, login, name, email"
            elif f.name == "git_mailmap.parquet":
                cols = "proper_name, proper_email, commit_name, commit_email"
            else:
                continue
            hit = con.execute(
                f"SELECT count(*) FROM read_parquet(?) "
                f"WHERE len(list_filter([{cols}]::VARCHAR[], lambda x: contains(lower(x), ?))) > 0",
                [str(f), needle],
            ).fetchone()
            n += int(hit[0]) if hit else 0
    finally:
        con.close()
    return n


def test_an_unchanged_task_folder_forgets_a_person_at_the_next_run(tmp_path: Path) -> None:
    """The last run's task folder names a person forgotten since; the next spark collect finds
    nothing new, yet writes the folder again without them (identities become placeholders,
    their .mailmap rows go) and the old folder is swept: no file under _collect holds their
    name or address, the lake keeps every commit once and on the anonymous identity."""
    _, items, lake, _ = _collected_then_forgotten(tmp_path)
    r = job.collect_repos(None, lake, items)
    assert r.unchanged == ["acme/a"] and not r.ok
    assert _collect_rows_naming(lake, "ben") == 0
    assert len([p for p in (lake / "_collect").iterdir()]) == 1
    lk = open_lake(str(lake))
    try:
        total = lk.con.execute("SELECT count(*), count(DISTINCT sha) FROM commits").fetchone()
        assert total == (5, 5)
        named = lk.con.execute(
            "SELECT count(*) FROM identities WHERE lower(email) LIKE '%ben%' OR name = 'Ben'"
        ).fetchone()
        assert named == (0,)
    finally:
        lk.close()
    # without the list the tasks would bring him back: an unreadable file stops the job
    from ossmetrics.errors import LakeError

    (f,) = (lake / "forgotten_identities").rglob("*.parquet")
    f.write_bytes(b"not parquet")
    with pytest.raises(LakeError, match="forgotten_identities"):
        job.collect_repos(None, lake, items)


def _collected_then_forgotten(
    tmp_path: Path,
) -> tuple[GitFactory, list[tuple[str, str]], Path, int]:
    """acme/a (Ann and Ben, a .mailmap naming Ben's two addresses) collected by spark collect
    into a lake, whose task folder then names Ben (checked); `people forget` Ben on a store
    imported from the lake, exported back. Returns the repository, the items, the lake and the
    anonymous identity's id."""
    from ossmetrics.collect.forget import forget_person
    from ossmetrics.lake import export_lake, import_lake

    g = _repo(tmp_path / "a", 4, [ANN, BEN])
    g.commit({".mailmap": "Ben <ben@example.org> <ben@old.example.org>\n"}, author=ANN,
             date="2024-09-09T00:00:00Z")  # fmt: skip
    items = [("acme/a", str(g.path))]
    lake = tmp_path / "lake"
    job.collect_repos(None, lake, items)
    assert _collect_rows_naming(lake, "ben") > 0  # the check can fail
    con = connect(tmp_path / "s.duckdb")
    try:
        import_lake(con, str(lake))
        forget_person(con, "ben@example.org")
        anon = con.execute("SELECT DISTINCT identity_id FROM forgotten_identities").fetchall()
        assert len(anon) == 1
        export_lake(con, lake)
    finally:
        con.close()
    return g, items, lake, int(anon[0][0])

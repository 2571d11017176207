"""Spark collect: one task per repository into its own store, failures recorded and retried,
reruns incremental, and the merge into the lake equal to collecting locally."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ossmetrics.collect.git import collect_git
from ossmetrics.lake import MANIFEST, open_lake
from ossmetrics.spark.collect import collect_repos
from ossmetrics.store import connect
from tests.gitfactory import GitFactory, Person

ANN = Person("Ann", "ann@example.org")
BEN = Person("Ben", "ben@example.org")


@pytest.fixture
def clones(tmp_path: Path) -> dict[str, GitFactory]:
    a = GitFactory(tmp_path / "a")
    a.commit({"x.py": "1\n2\n"}, author=ANN, date="2024-01-01T00:00:00Z")
    a.commit({"y.py": "3\n"}, author=BEN, date="2024-01-02T00:00:00Z")
    b = GitFactory(tmp_path / "b")
    b.commit({"z.py": "1\n"}, author=ANN, date="2024-02-01T00:00:00Z")  # Ann in both
    return {"acme/a": a, "acme/b": b}


def _snapshot(con: Any) -> list[tuple[Any, ...]]:
    return con.execute(
        "SELECT r.full_name, c.sha, p.display_name, c.lines_added, "
        "(SELECT count(*) FROM commit_files f WHERE f.repo_id = c.repo_id AND f.sha = c.sha) "
        "FROM commits c JOIN repos r USING (repo_id) JOIN identities i "
        "ON i.identity_id = c.author_identity JOIN people p ON p.person_id = i.person_id "
        "ORDER BY 1, 2"
    ).fetchall()


def test_collect_fans_out_merges_and_reruns_incrementally(
    spark: Any, clones: dict[str, GitFactory], tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    items = [(n, str(g.path)) for n, g in clones.items()] + [("acme/gone", str(tmp_path / "nope"))]
    r = collect_repos(spark, lake, items)
    assert sorted(r.ok) == ["acme/a", "acme/b"] and r.commits_added == 3
    assert list(r.failed) == ["acme/gone"] and "nope" in r.failed["acme/gone"]
    m = json.loads((lake / MANIFEST).read_text())
    assert m["collect"]["acme/gone"]["status"] == "failed"
    assert m["collect"]["acme/gone"]["attempts"] == 2  # retried once within the job
    # the same as collecting both locally into one store
    local = connect(tmp_path / "local.duckdb")
    for n, g in clones.items():
        collect_git(local, g.path, n)
    expected = _snapshot(local)
    local.close()
    lk = open_lake(str(lake))
    try:
        assert _snapshot(lk.con) == expected
        # one person for Ann across both repositories
        row = lk.con.execute(
            "SELECT count(DISTINCT i.person_id) FROM identities i WHERE i.name = 'Ann'"
        ).fetchone()
        assert row == (1,)
    finally:
        lk.close()
    # rerun: nothing new -> unchanged; one new commit in a -> only that one is added
    again = collect_repos(spark, lake, items[:2])
    assert sorted(again.unchanged) == ["acme/a", "acme/b"] and again.commits_added == 0
    clones["acme/a"].commit({"w.py": "9\n"}, author=ANN, date="2024-03-01T00:00:00Z")
    third = collect_repos(None, lake, items[:2])
    assert third.ok == ["acme/a"] and third.commits_added == 1
    lk = open_lake(str(lake))
    try:
        assert lk.con.execute("SELECT count(*) FROM commits").fetchone() == (4,)
    finally:
        lk.close()


def test_a_task_writes_one_parquet_file_per_table_and_old_layouts_are_read(
    clones: dict[str, GitFactory], tmp_path: Path
) -> None:
    """A task writes all of its repositories' rows as one Parquet file per table in one task
    folder, which the manifest names for each of them; a store file or a per-repository folder
    kept by an earlier version is read as the last run (so the rerun is incremental) and then
    deleted once the repository's rows live in a task folder."""
    lake = tmp_path / "lake"
    work = lake / "_collect"
    work.mkdir(parents=True)
    old = connect(work / "acme__b.duckdb")  # what the version before last left for acme/b
    collect_git(old, clones["acme/b"].path, "acme/b")
    old.close()
    items = [(n, str(g.path)) for n, g in clones.items()]
    r = collect_repos(None, lake, items)
    assert r.ok == ["acme/a"] and r.unchanged == ["acme/b"] and r.commits_added == 2
    clones["acme/b"].commit({"q.py": "2\n"}, author=BEN, date="2024-02-02T00:00:00Z")
    r = collect_repos(None, lake, items)
    assert r.ok == ["acme/b"] and r.commits_added == 1  # only the new commit
    m = json.loads((lake / MANIFEST).read_text())
    folder = m["collect"]["acme/b"]["rows"]
    assert m["collect"]["acme/a"]["rows"] == folder  # one task (inline): one folder for both
    assert sorted(p.name for p in work.iterdir()) == [folder]  # the old store and folder gone
    assert sorted(p.name for p in (work / folder).iterdir()) == sorted(
        f"{t}.parquet"
        for t in ("repos", "identities", "git_mailmap", "sync_state", "commits", "commit_files")
    )
    got = (
        duckdb.connect()
        .execute(
            f"SELECT r.full_name, count(*) FROM read_parquet('{work / folder}/commits.parquet') c "
            f"JOIN read_parquet('{work / folder}/repos.parquet') r USING (repo_id) "
            "GROUP BY 1 ORDER BY 1"
        )
        .fetchall()
    )
    assert got == [("acme/a", 2), ("acme/b", 2)]
    lk = open_lake(str(lake))
    try:
        assert lk.con.execute("SELECT count(*) FROM commits").fetchone() == (4,)
    finally:
        lk.close()


def test_a_per_repository_folder_of_the_last_version_is_read_as_the_last_run(
    clones: dict[str, GitFactory], tmp_path: Path
) -> None:
    work = tmp_path / "lake" / "_collect"
    (work / "acme__a").mkdir(parents=True)
    old = connect(":memory:")  # what the last version's task wrote for acme/a
    collect_git(old, clones["acme/a"].path, "acme/a")
    for t in (
        "repos",
        "identities",
        "people",
        "git_mailmap",
        "sync_state",
        "commits",
        "commit_files",
    ):
        old.execute(f"COPY {t} TO '{work / 'acme__a' / t}.parquet' (FORMAT parquet)")
    old.close()
    r = collect_repos(None, tmp_path / "lake", [("acme/a", str(clones["acme/a"].path))])
    assert r.unchanged == ["acme/a"] and r.commits_added == 0
    clones["acme/a"].commit({"w.py": "9\n"}, author=ANN, date="2024-03-01T00:00:00Z")
    r = collect_repos(None, tmp_path / "lake", [("acme/a", str(clones["acme/a"].path))])
    assert r.ok == ["acme/a"] and r.commits_added == 1
    assert not (work / "acme__a").exists()
    lk = open_lake(str(tmp_path / "lake"))
    try:
        assert lk.con.execute("SELECT count(*) FROM commits").fetchone() == (3,)
    finally:
        lk.close()

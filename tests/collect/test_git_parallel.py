"""collect_git with several git log processes (slices, work stealing) on real repositories:
the same rows as one process, stopping cleanly, rolling back on interruption."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ossmetrics.collect import git as gitmod
from ossmetrics.collect import git_stage, gitlog, gitslices
from ossmetrics.collect.git import collect_git
from ossmetrics.collect.gitlog import open_repository
from ossmetrics.errors import UsageError
from ossmetrics.store import connect
from tests.collect.git_scenarios import build_history, files_of, interrupt_at_commit, stored_tables
from tests.gitfactory import GitFactory


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return build_history(tmp_path_factory.mktemp("hist"))


def test_parallel_git_log_stores_the_same_rows(history, tmp_path: Path, monkeypatch) -> None:
    """Split over 3 processes (one commit per process allowed), every table equals one process's."""
    monkeypatch.setattr(gitslices, "MIN_PER_JOB", 1)
    one = connect(tmp_path / "one.duckdb")
    collect_git(one, history["path"], jobs=1)
    three = connect(tmp_path / "three.duckdb")
    res = collect_git(three, history["path"], jobs=3)
    assert (res.commits_added, res.files_added) == (11, 2 + 1 + 4 + 1 + 1 + 1 + 1 + 1)
    assert stored_tables(three) == stored_tables(one)
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
        tables.append(stored_tables(con))
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
    real = interrupt_at_commit(monkeypatch, 700)
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

"""kill -9 at random points of a nightly run, then a clean run: same tables as no kill at all.

Two scenarios, alternating: a first run into an empty store (git, a file:// URL clone, and the
local GitHub API server), and an incremental run (new commits in both repositories, fetched
into the clone) on a store a full run left.
For each, an uninterrupted run gives the reference; each trial restores the starting state,
starts a run in its own process, kills it with SIGKILL after a seeded random delay within the
reference's duration, runs once more to completion, and compares every table (natural keys
instead of surrogate ids, run bookkeeping left out; see storedump.py).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import time
from pathlib import Path

import pytest

from ossmetrics.errors import OssmetricsError
from ossmetrics.store import connect
from tests.github_server import FakeGitHub
from tests.nightly.conftest import ALICE, BOB, CAROL, DAN, commit, make_repo
from tests.nightly.killrun import child, preload
from tests.nightly.storedump import differences, dump

TRIALS = 20
SEED = 20261201
# report writes files only (nothing of the store to compare); risk is left out for time: scoring
# costs more than the rest of a run together, and it is one transaction of its own stage
SKIP = ["report", "risk"]
TOKEN = "test-token-kill"


@pytest.fixture(scope="module")
def ctx() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(preload())
    return ctx


def _run(ctx, db: Path, cfg: Path, kill_after: float | None = None) -> tuple[int | None, float]:
    """Run the pipeline in a child; SIGKILL it after ``kill_after`` s. (exitcode, seconds)."""
    p = ctx.Process(target=child, args=(str(db), str(cfg), SKIP, TOKEN))
    t0 = time.perf_counter()
    p.start()
    if kill_after is not None:
        p.join(kill_after)
        if p.is_alive():
            os.kill(p.pid, signal.SIGKILL)
    p.join(120)
    return p.exitcode, time.perf_counter() - t0


def _state(db: Path) -> dict:
    con = connect(db, read_only=True)
    try:
        running = con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchall()
        last = con.execute(
            "SELECT status FROM runs WHERE stage = 'run' ORDER BY run_id DESC LIMIT 1"
        ).fetchall()
        return {"dump": dump(con), "running": running[0][0], "last": last[0][0]}
    finally:
        con.close()


def _running_rows(db: Path) -> int:
    """Steps a killed run left ``running`` (0 when it died before writing any)."""
    if not db.exists():
        return 0
    try:
        con = connect(db, read_only=True)
    except OssmetricsError:  # killed while migrating a new store: the clean run finishes that
        return 0
    try:
        return con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchall()[0][0]
    finally:
        con.close()


def _restore(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, symlinks=True)


@pytest.mark.slow
def test_kill_9_at_random_points_then_a_clean_run_matches(tmp_path: Path, ctx) -> None:
    src = tmp_path / "src"
    one = make_repo(src / "one", [ALICE, BOB], 4)
    three = make_repo(src / "three", [CAROL, ALICE], 2)
    small = {"issues": 2, "review_comments_per_pr": 0, "releases": 1, "commits": 1}
    with FakeGitHub("acme/one", **small) as gh:
        work = tmp_path / "work"  # the store, the clone cache and the configs of one run
        work.mkdir()
        settings = (
            f'[settings]\ncache_dir = "{work / "cache"}"\napi_url = "{gh.url}"\nmax_wait = 0\n\n'
        )
        url_repo = f'[[repos]]\nname = "acme/three"\ngit = "file://{three}"\ngithub = false\n'
        cfg = work / "ossmetrics.toml"
        cfg.write_text(settings + f'[[repos]]\nname = "acme/one"\ngit = "{one}"\n\n' + url_repo)
        # incremental nights leave GitHub out: its client waits 0.25 s between requests (the
        # throttle GitHub asks for), which would be most of the time of these trials
        cfg_git = work / "git-only.toml"
        cfg_git.write_text(
            settings + f'[[repos]]\nname = "acme/one"\ngit = "{one}"\ngithub = false\n\n' + url_repo
        )
        empty = tmp_path / "empty"
        shutil.copytree(work, empty)

        # scenario B's start: a store after one full run, then new commits upstream
        code, _ = _run(ctx, work / "db.duckdb", cfg)
        assert code == 0
        after_first = tmp_path / "after-first"
        shutil.copytree(work, after_first)
        commit(
            one,
            {"src/new.py": "n\n"},
            author=DAN[0],
            email=DAN[1],
            date="2024-03-01T00:00:00+00:00",
        )
        commit(
            three, {"x.txt": "x\n"}, author=BOB[0], email=BOB[1], date="2024-03-02T00:00:00+00:00"
        )

        refs = {}
        configs = {"first": cfg, "incremental": cfg_git}
        for name, start in (("first", empty), ("incremental", after_first)):
            _restore(start, work)
            code, seconds = _run(ctx, work / "db.duckdb", configs[name])
            assert code == 0, name
            st = _state(work / "db.duckdb")
            assert st["running"] == 0 and st["last"] == "ok"
            assert st["dump"]["commits"], "the reference collected nothing"
            assert st["dump"]["issues"]  # GitHub data: collected (first) or kept (incremental)
            refs[name] = (start, seconds, st["dump"])
            print(f"reference {name}: {seconds:.2f} s")

        rng = random.Random(SEED)
        killed = mid_run = 0
        for trial in range(TRIALS):
            name = "first" if trial % 2 == 0 else "incremental"
            start, seconds, want = refs[name]
            _restore(start, work)
            delay = rng.uniform(0.0, 0.8 * seconds)
            code, _ = _run(ctx, work / "db.duckdb", configs[name], kill_after=delay)
            killed += code == -signal.SIGKILL
            mid_run += code == -signal.SIGKILL and _running_rows(work / "db.duckdb") > 0
            code, _ = _run(ctx, work / "db.duckdb", configs[name])
            assert code == 0, (
                f"trial {trial} ({name}, killed after {delay:.2f} s): clean run failed"
            )
            st = _state(work / "db.duckdb")
            assert st["running"] == 0 and st["last"] == "ok"
            diff = differences(want, st["dump"])
            assert not diff, f"trial {trial} ({name}, killed after {delay:.2f} s): {diff}"
        # most kills landed inside a run, and many of those after it had started writing
        assert killed >= TRIALS * 3 // 4 and mid_run >= TRIALS // 2, (killed, mid_run)

"""The GitHub stage of the nightly run against the local GitHub API server."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from ossmetrics.nightly import EX_TEMPFAIL, run_nightly
from ossmetrics.store import connect
from tests.github_server import FakeGitHub
from tests.nightly.conftest import ALICE, make_repo

DAY = date(2026, 12, 1)
SKIP = ["graphs", "snapshots", "risk", "report"]
SMALL = {"issues": 2, "review_comments_per_pr": 0, "releases": 1, "commits": 1}


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_nightlytesttoken")
    monkeypatch.delenv("OSSMETRICS_TOKEN_ENV", raising=False)


def _config(tmp_path: Path, gh: FakeGitHub, body: str) -> Path:
    cfg = tmp_path / "ossmetrics.toml"
    cfg.write_text(f'[settings]\napi_url = "{gh.url}"\nmax_wait = 0\n\n{body}')
    return cfg


def _issues(db: Path) -> int:
    con = connect(db, read_only=True)
    try:
        return con.execute("SELECT count(*) FROM issues").fetchall()[0][0]
    finally:
        con.close()


def test_unknown_repository_fails_alone(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "one", [ALICE], 2)
    with FakeGitHub("acme/one", **SMALL) as gh:
        cfg = _config(
            tmp_path,
            gh,
            f'[[repos]]\nname = "acme/ghost"\n\n[[repos]]\nname = "acme/one"\ngit = "{repo}"\n',
        )
        result = run_nightly(tmp_path / "db.duckdb", cfg, skip=SKIP, today=DAY)
        ghost, one = result.repos
        assert (ghost.repo, ghost.status, ghost.items, ghost.requests) == (
            "acme/ghost",
            "failed",
            0,
            0,
        )
        assert ghost.notes[0].startswith("github: ") and "acme/ghost" in ghost.notes[0]
        assert one.status == "ok"
        assert one.requests == gh.count() - gh.count(r"acme/ghost") > 0
        con = connect(tmp_path / "db.duckdb", read_only=True)
        items = con.execute(
            "SELECT (SELECT count(*) FROM issues) + (SELECT count(*) FROM comments)"
            " + (SELECT count(*) FROM releases)"
        ).fetchall()[0][0]
        names = con.execute("SELECT full_name FROM repos ORDER BY 1").fetchall()
        con.close()
        assert one.items >= 2 + items  # two commits from git, then what GitHub added
        assert names == [("acme/one",)]  # the unknown repository left nothing behind
        assert result.exit_code == 1
        assert "ghp_nightlytesttoken" not in " ".join(ghost.notes)


def test_rate_limit_stops_cleanly_and_the_next_run_resumes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "one", [ALICE], 2)
    with FakeGitHub("acme/one", rate_limit=3, **SMALL) as gh:
        cfg = _config(
            tmp_path,
            gh,
            f'[[repos]]\nname = "acme/one"\ngit = "{repo}"\n\n[[repos]]\nname = "acme/two"\n',
        )
        db = tmp_path / "db.duckdb"
        first = run_nightly(db, cfg, skip=SKIP, today=DAY)
        one, two = first.repos
        assert one.status == "rate_limited" and one.notes[0].startswith("github: ")
        assert (two.status, two.requests) == ("rate_limited", 0)
        assert two.notes == [
            "github: not started: the GitHub rate limit is spent; the next run resumes"
        ]
        assert first.exit_code == EX_TEMPFAIL
        asked = gh.count(r"acme/two")
        assert asked == 0  # no request wasted on a budget known to be spent

        gh.rate_reset = time.time() - 1  # the hour is over
        gh.rate_limit = 5000
        second = run_nightly(db, cfg, skip=SKIP, today=DAY)
        assert second.repos[0].status == "ok"
        assert second.repos[1].status == "failed"  # now it is asked, and GitHub does not know it
        assert _issues(db) == 2  # everything the server has, once


def test_a_held_token_lock_skips_github_and_git_still_runs(tmp_path: Path) -> None:
    """One process per token: while `collect github --tracked` holds the token's lock, the night
    collects git only, says why, and the next night (lock free) collects GitHub."""
    from ossmetrics.collect.github_schedule import TokenLock

    repo = make_repo(tmp_path / "one", [ALICE], 2)
    with FakeGitHub("acme/one", **SMALL) as gh:
        cfg = _config(tmp_path, gh, f'[[repos]]\nname = "acme/one"\ngit = "{repo}"\n')
        db = tmp_path / "db.duckdb"
        with TokenLock("ghp_nightlytesttoken", gh.url):
            held = run_nightly(db, cfg, skip=SKIP, today=DAY)
        assert gh.count() == 0  # not one GitHub request while another process holds the token
        assert held.exit_code == 0 and held.repos[0].items == 2  # the two git commits
        assert any("another ossmetrics process is collecting" in w for w in held.warnings)
        assert "ghp_" not in " ".join(held.warnings)
        assert _issues(db) == 0
        free = run_nightly(db, cfg, skip=SKIP, today=DAY)
        assert free.exit_code == 0 and gh.count() > 0 and _issues(db) > 0

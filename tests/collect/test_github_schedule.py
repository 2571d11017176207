"""One token's budgets over many repositories: the plan (hand-computed) and
``ossmetrics collect github --tracked`` against the local REST + GraphQL server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ossmetrics.collect.github_schedule import Job, TokenLock, first_sync_cost, plan
from ossmetrics.errors import GitHubError
from tests.github_graphql_server import github_schema
from tests.github_server import FakeGitHub, fast_policy

TOKEN = "ghp_Sched0123456789abcdef"


def test_plan_runs_increments_first_and_spreads_large_first_syncs() -> None:
    jobs = [
        Job("big/d", "first", 60, 8000),
        Job("inc/a", "increment", 7, 0),
        Job("mid/c", "first", 100, 3000),
        Job("inc/b", "increment", 3, 0),
    ]
    p = plan(jobs)  # 5,000 requests and 5,000 points per hour, full now
    assert [j.repo for j in p.order] == ["inc/b", "inc/a", "mid/c", "big/d"]
    # c ends in the first hour with 3,000 of 5,000 points spent: 0.6 h
    assert p.done_at["mid/c"] == pytest.approx(0.6)
    # d: 2,000 points in hour 0, 5,000 in hour 1, the last 1,000 in hour 2 -> 2.2 h
    assert p.done_at["big/d"] == pytest.approx(2.2)
    assert p.hours == pytest.approx(2.2)
    # the cost model: 5,000 issues + 5,000 PRs -> 50 x 3 + 50 x 4 points in 50 queries, the
    # inline comments of 5,000 reviews in 50 queries of 1 point, 13 REST requests (what
    # bench_github measures: 400 points, 113 requests)
    est = first_sync_cost(5000, 5000, review_comments=5000)
    assert (est.points, est.requests) == (350 + 50, 50 + 50 + 13)


def test_one_process_per_token(tmp_path: Path) -> None:
    with TokenLock(TOKEN, "https://api.github.com", tmp_path):
        with (
            pytest.raises(GitHubError) as exc,
            TokenLock(TOKEN, "https://api.github.com", tmp_path),
        ):
            pass
        assert "another ossmetrics process" in exc.value.one_line()
        with TokenLock("another-token", "https://api.github.com", tmp_path):
            pass  # a different token has its own budget
    assert TOKEN not in "".join(p.name for p in tmp_path.iterdir())


def test_collect_tracked_cli(cli: Any, tmp_path: Path) -> None:
    github_schema()
    db, conf = str(tmp_path / "s.duckdb"), str(tmp_path / "ossmetrics.toml")
    with FakeGitHub("acme/big", issues=250, pr_every=2, graphql=True, token=TOKEN) as gh:
        gh.add_repo("acme/small", issues=6)
        env = {"GITHUB_TOKEN": TOKEN}
        for name in ("acme/big", "acme/small", "acme/ghost"):
            add = cli("--db", db, "--config", conf, "track", "add", name, env=env)
            assert add.returncode == 0, add.stderr
        args = ["--db", db, "--config", conf, "collect", "github", "--tracked", "--api-url", gh.url]
        first = cli(*args, env=env)
        lines = first.stdout.splitlines()
        # first syncs smallest first (sizes from one probe query: small 3 + 3, big 125 + 125,
        # the ghost unknown, so the mid-sized guess); the ghost fails alone, in one line
        assert [ln.split(":")[0] for ln in lines[:3]] == ["acme/small", "acme/big", "acme/ghost"]
        assert lines[0].startswith("acme/small: ok;") and lines[1].startswith("acme/big: ok;")
        assert lines[2].startswith(
            "acme/ghost: failed; 0 requests, 0 points — repository acme/ghost not found"
        )
        assert lines[3] == "3 repositories: 2 ok, 0 partial or waiting, 1 failed; nothing left"
        assert first.returncode == 1 and "Traceback" not in first.stderr
        gh.clear_log()
        again = cli(*args, env=env)
        lines = again.stdout.splitlines()
        # increments now (cheapest first), only 304s and no GraphQL beyond the size probe
        assert {ln.split(":")[0] for ln in lines[:2]} == {"acme/small", "acme/big"}
        assert all(" 0 points" in ln for ln in lines[:3])
        assert gh.count("/graphql") == 1  # the probe (sizes of never-synced repositories)
    assert TOKEN not in first.stdout + first.stderr + again.stdout + again.stderr


def test_budget_order_puts_increments_before_first_syncs(tmp_path: Path) -> None:
    from ossmetrics.collect.github_schedule import budget_order
    from ossmetrics.collect.sync_state import set_state
    from ossmetrics.store import connect, ensure_repo

    con = connect(tmp_path / "s.duckdb")
    synced = ensure_repo(con, "acme/synced")
    set_state(con, synced, "github", "issues", cursor="2024-01-01T00:00:00Z")
    ensure_repo(con, "acme/listed-never")  # in the store, issues never listed: a first sync
    sizes = {"acme/huge": (40_000, 20_000), "acme/tiny": (10, 5)}
    order = budget_order(con, ["acme/huge", "acme/listed-never", "acme/tiny", "acme/synced"], sizes)
    # the increment, then first syncs by estimated cost: tiny (1 page), the unknown guess
    # (1,000 + 500), huge
    assert order == ["acme/synced", "acme/tiny", "acme/listed-never", "acme/huge"]


def test_large_first_syncs_spread_over_runs(tmp_path: Path) -> None:
    import time

    from ossmetrics.collect.github import collect_github
    from ossmetrics.collect.github_schedule import collect_tracked
    from ossmetrics.store import connect

    github_schema()
    # a budget of 20 points an hour; first-sync pages cost 7 points (100 issues + 100 PRs)
    with FakeGitHub("acme/small", issues=6, graphql=True, graphql_limit=20) as gh:
        gh.add_repo("acme/mid", issues=300)  # 2 pages: 14 points
        gh.add_repo("acme/big", issues=600)  # 3 pages: 21 points, more than an hour's budget
        con = connect(tmp_path / "s.duckdb")
        sizes = {"acme/small": (3, 3), "acme/mid": (150, 150), "acme/big": (300, 300)}
        names = ["acme/big", "acme/mid", "acme/small"]

        def collect(repo: str) -> Any:
            return collect_github(
                con, repo, token="tok", api_url=gh.url, policy=fast_policy(), max_wait=1
            )

        def count(repo: str) -> int:
            row = con.execute(
                "SELECT count(*) FROM issues JOIN repos USING (repo_id) WHERE full_name = ?",
                [repo],
            ).fetchone()
            return int(row[0]) if row else 0

        # run 1: small (7 points), mid's first page (7); its second page (7 > 6 left) must
        # wait an hour: mid stops cleanly, big waits for the next run
        first = collect_tracked(con, names, collect, sizes=sizes)
        assert [(o.repo, o.status) for o in first.outcomes] == [
            ("acme/small", "ok"),
            ("acme/mid", "partial"),
        ]
        assert first.left == ["acme/mid", "acme/big"]
        assert first.hours_left > 0
        assert (count("acme/small"), count("acme/mid"), count("acme/big")) == (6, 200, 0)
        # run 2, a new hour: the increment, mid's last page (7), big's first page (7); big's
        # second page waits again
        gh.graphql_reset = time.time() - 1
        second = collect_tracked(con, names, collect, sizes=sizes)
        assert [(o.repo, o.status) for o in second.outcomes] == [
            ("acme/small", "ok"),
            ("acme/mid", "ok"),
            ("acme/big", "partial"),
        ]
        assert (count("acme/mid"), count("acme/big")) == (300, 200)
        gh.graphql_reset = time.time() - 1
        third = collect_tracked(con, names, collect, sizes=sizes)
        assert all(o.status == "ok" for o in third.outcomes) and third.left == []
        assert count("acme/big") == 600

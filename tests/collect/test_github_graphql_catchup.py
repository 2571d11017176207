"""GraphQL beyond the whole first sync: ``--since`` first syncs, large catch-ups from the REST
cursor (and the cost model that decides them), inline review comments (nested pagination,
faults, a kill in the middle), reviews of changed PRs with a hidden one; each compared table by
table with the REST path on the same fake repository."""

from __future__ import annotations

import copy
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ossmetrics.collect import github_gql_sync as gsync
from ossmetrics.collect.github import collect_github
from ossmetrics.errors import GitHubUnavailable, GraphQLError
from ossmetrics.store import connect
from tests.cli_kill import kill_cli_after
from tests.collect.test_github_graphql import REPO, is_page, run, snapshot
from tests.github_graphql_server import github_schema
from tests.github_server import T0, FakeGitHub, FakeRepo, fast_policy, iso


@pytest.fixture(scope="session", autouse=True)
def schema() -> Any:
    return github_schema()


def is_inline(query: str) -> bool:
    """A query for reviews' inline comments (the first page, or a follow-up)."""
    return "on PullRequestReview" in query


def review_comments_move_their_pr(repo: FakeRepo) -> None:
    """GitHub moves a PR's ``updated_at`` when a review comment is made; the generator does not
    (its review comments come 3 hours after their PR's update), so do it here."""
    for c in repo.review_comments:
        k = int(c["pull_request_url"].rsplit("/", 1)[1])
        repo.issues[k]["updated_at"] = max(repo.issues[k]["updated_at"], c["updated_at"])


def test_since_first_sync_by_graphql_writes_the_rest_rows(tmp_path: Path) -> None:
    shape = dict(issues=60, pr_every=3, comments_per_issue=2, reviews_per_pr=2, commits=3)
    with FakeGitHub(REPO, graphql=True, **shape) as gh:
        review_comments_move_their_pr(gh.main)
        since = T0 + timedelta(hours=30)  # items 30..60 (PRs 30..60 and 27, moved by comments)
        gcon, rcon = connect(tmp_path / "g.duckdb"), connect(tmp_path / "r.duckdb")
        g = run(gcon, gh, since=since)
        gh.clear_log()
        run(rcon, gh, since=since, graphql=False)
        assert snapshot(gcon) == snapshot(rcon)
        # issues updated since: 31 (30..60) + PR 27 (its review comment at 30:00 + 3 h)
        assert gcon.execute("SELECT count(*) FROM issues").fetchone() == (32,)
        assert gcon.execute("SELECT min(number) FROM issues").fetchone() == (27,)
        # one page query (filterBy since; PRs newest first, stopping at since) + the inline
        # comments of the 12 PRs' reviews that have one; no REST review request by GraphQL
        assert g.graphql_requests == 2
        assert g.items["pulls/reviews"] == 2 * 12
        assert gcon.execute(
            "SELECT count(*) FROM comments WHERE kind = 'review_comment'"
        ).fetchone() == (12,)
        assert gh.count(r"/pulls/\d+/reviews$") == 12  # all from the REST run


def test_catch_up_cost_model() -> None:
    # hand-computed: 500 items (250 PRs), 1,000 new comments. REST: 5 issue pages, 10 comment
    # pages, 3 inline pages, reviews 5 queries + 5 points, 4 closing = 32; GraphQL: 3 pages
    # x 8 (PRs newest first: 251 -> 3 pages), 3 inline queries x 2, 7 around them = 37
    # (bench_github measured 32 and 37)
    cost = gsync.CatchupCost(500, 250, 1000)
    assert (cost.rest, cost.graphql) == (32, 37)
    # the same items with 6 new comments each: REST 5 + 30 + 3 + 10 + 4 = 52 (measured 53)
    assert gsync.CatchupCost(500, 250, 3000).rest == 52
    # 1,000 items (500 PRs): REST 10 + 20 + 5 + 20 + 4 = 59 (measured 60); GraphQL 5 pages
    # of both + 1 of PRs alone (the 501st, older: the end) = 45, + 10 + 7 = 62 (measured 62)
    cost = gsync.CatchupCost(1000, 500, 2000)
    assert (cost.rest, cost.graphql) == (59, 62)


def test_large_catch_up_by_graphql_and_unchanged_still_only_304s(tmp_path: Path) -> None:
    with FakeGitHub(REPO, graphql=True, issues=120, pr_every=2) as gh:
        gcon, rcon = connect(tmp_path / "g.duckdb"), connect(tmp_path / "r.duckdb")
        run(gcon, gh, graphql_catchup_above=20)
        run(rcon, gh, graphql=False)
        # a small increment (4 items, 2 PRs) stays on REST listings
        gh.add_activity([1, 2, 3, 4])
        gh.clear_log()
        small = run(gcon, gh, graphql_catchup_above=20)
        assert small.graphql_requests == 0 and gh.count(r"/pulls/\d+/reviews$") == 2
        run(rcon, gh, graphql=False)
        # 60 changed items with a new comment each: above the setting, but the cost model
        # says REST listings (9) are cheaper than a GraphQL catch-up (17); only the reviews
        # of the 30 changed PRs come by GraphQL
        now = datetime.now(UTC)
        gh.add_activity(
            list(range(11, 71)), 1, when=now + timedelta(hours=1), step=timedelta(minutes=2)
        )
        gh.clear_log()
        mild = run(gcon, gh, graphql_catchup_above=20)
        assert mild.graphql_requests == 1 and gh.count(r"/issues/comments$") == 1 + 1
        run(rcon, gh, graphql=False)
        # the same 60 items with 30 new comments each (a busy day): REST would cost 26, the
        # GraphQL catch-up 17 -> GraphQL: 1 page (30 issues since the cursor, PRs newest first
        # until an older one) + the inline comments of the 30 PRs' reviews; no per-PR
        # request, no comment pages
        gh.add_activity(
            list(range(11, 71)), 30, when=now + timedelta(days=1), step=timedelta(minutes=2)
        )
        gh.clear_log()
        big = run(gcon, gh, graphql_catchup_above=20)
        assert (big.graphql_requests, big.graphql_points) == (2, 7 + 1)
        assert gh.count(r"/pulls/\d+/reviews$") == 0
        assert big.items["issues"] >= 60 and big.items["issues/comments"] >= 1800
        # REST: the issues listing's first answer (which showed the changes), then the
        # closing requests from the handed-over cursors (the earlier connection's newest,
        # issue 69): issues 69 and 70, their 60 comments in one page, PR 70's inline comment;
        # each listing one more round, as item 70 is newer than the cursor
        assert gh.count(r"/issues$") == 1 + 2
        assert gh.count(r"/issues/comments$") == 2 and gh.count(r"/pulls/comments$") == 2
        run(rcon, gh, graphql=False)
        assert snapshot(gcon) == snapshot(rcon)
        # and an unchanged repository still costs only 304s, no GraphQL query
        gh.clear_log()
        again = run(gcon, gh, graphql_catchup_above=20)
        assert again.requests == again.not_modified == 7 and gh.count("/graphql") == 0


def test_inline_comments_faults_and_errors(tmp_path: Path) -> None:
    with FakeGitHub(REPO, graphql=True, issues=12, pr_every=2) as gh:
        # malformed JSON on the inline-comments query: retried, then a clean failure with
        # nothing of the page written
        gh.fail("/graphql", "malformed", times=10, when=is_inline)
        con = connect(tmp_path / "a.duckdb")
        with pytest.raises(GitHubUnavailable):
            run(con, gh)
        assert con.execute("SELECT count(*) FROM issues").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM comments").fetchone() == (0,)
        gh.clear_faults()
        # a dropped connection and a truncated answer once each: retried, all rows there
        gh.fail("/graphql", "disconnect", times=1, when=is_inline)
        gh.fail("/graphql", "malformed", times=1, when=is_inline)
        done = run(con, gh)
        assert done.graphql_requests == 1 + 3
        rcon = connect(tmp_path / "r.duckdb")
        run(rcon, gh, graphql=False)
        assert snapshot(con) == snapshot(rcon)
        # a GraphQL error in a catch-up fails the repository in one line; cursors stay
        time.sleep(1.1)
        gh.add_activity(list(range(1, 13)), 100)  # busy: the cost model picks GraphQL (17 < 20)
        gh.fail("/graphql", "graphql_errors", type="INTERNAL", message="Something went wrong")
        before = con.execute("SELECT cursor FROM sync_state WHERE endpoint = 'issues'").fetchone()
        with pytest.raises(GraphQLError) as exc:
            run(con, gh, graphql_catchup_above=5)
        assert "\n" not in exc.value.one_line() and "Something went wrong" in exc.value.one_line()
        after = con.execute("SELECT cursor FROM sync_state WHERE endpoint = 'issues'").fetchone()
        assert after == before
        assert con.execute(
            "SELECT count(*) FROM comments WHERE kind = 'issue' AND body_len = 3"
        ).fetchone() == (0,)
        run(con, gh, graphql_catchup_above=5)  # the next run catches up
        run(rcon, gh, graphql=False)
        assert snapshot(con) == snapshot(rcon)


def test_killed_in_inline_comment_pagination_then_resumed(cli: Any, tmp_path: Path) -> None:
    """SIGKILL while the second page of one review's inline comments is on its way: page 1
    stays, the next CLI run redoes only page 2, and the store is a REST-only sync's."""
    token = "ghp_GqlInline0123456789abcdef"
    db = tmp_path / "s.duckdb"
    with FakeGitHub(REPO, issues=300, pr_every=2, commits=3, graphql=True, token=token) as gh:
        # PR 250 (in the second page: PRs 202..300): 260 inline comments in its first review
        first = next(c for c in gh.review_comments if c["pull_request_url"].endswith("/250"))
        for j in range(259):
            c = copy.deepcopy(first)
            c.update(id=96_000 + j, body="w" * (j % 5))
            gh.review_comments.append(c)
        env = {**os.environ, "MY_TOKEN": token, "GITHUB_TOKEN": ""}
        args = ["--db", str(db), "collect", "github", REPO, "--api-url", gh.url, "--token-env", "MY_TOKEN"]  # fmt: skip
        follow = "comments(first: 100, after: $after)"
        gh.fail("/graphql", "delay", seconds=4, when=lambda q: is_inline(q) and follow in q)
        # page 1, its inline comments, page 2, its inline comments, the follow-up (hangs)
        kill_cli_after(gh, args, env, graphql_requests=5)
        killed = duckdb.connect(str(db))
        assert killed.execute("SELECT count(*) FROM issues").fetchone() == (200,)  # page 1
        killed.close()
        gh.graphql_log.clear()
        resumed = cli(*args, env=env)
        assert resumed.returncode == 0, resumed.stderr
        # page 2 (the last 50 issues + 50 PRs, asked for 100 + 100: 7 points), its 50 reviews'
        # inline comments (1 point), then PR 250's past the first 100 (2 follow-ups, 1 each)
        assert "(4 GraphQL, 10 points)" in resumed.stdout
        assert token not in resumed.stdout + resumed.stderr
        rest = connect(tmp_path / "rest.duckdb")
        collect_github(rest, REPO, token=token, api_url=gh.url, policy=fast_policy(), graphql=False)
    store = connect(db)
    try:
        assert snapshot(store) == snapshot(rest)
        assert store.execute(
            "SELECT count(*) FROM comments WHERE kind = 'review_comment' AND issue_number = 250"
        ).fetchone() == (260,)
    finally:
        store.close()
        rest.close()


def test_a_hidden_pull_request_does_not_stop_the_reviews_query(tmp_path: Path) -> None:
    with FakeGitHub(REPO, graphql=True, issues=20, pr_every=2) as gh:
        con = connect(tmp_path / "g.duckdb")
        run(con, gh)
        for n in (2, 4, 6):
            gh.touch_issue(n)
        # GitHub answers the alias of PR 4 with null and a NOT_FOUND error beside the data
        gh.fail(
            "/graphql",
            "graphql_errors",
            type="NOT_FOUND",
            path=["repository", "p1"],
            message="Could not resolve to a PullRequest with the number of 4.",
            data={"rateLimit": {"cost": 1, "remaining": 4000, "resetAt": "2030-01-01T00:00:00Z"},
                  "repository": {"p0": None, "p1": None, "p2": None}},
        )  # fmt: skip
        result = run(con, gh)
        assert result.graphql_requests == 1 and result.items["graphql/withheld"] == 1


def test_page_predicates_tell_the_queries_apart() -> None:
    from ossmetrics.collect import github_gql_query as gq

    page = gq.page_query([gq.issues_conn(100, 100, since=True), gq.pulls_conn(100, 100, True)])
    inline = gq.review_comments_query(["PRR_1_2"], 100)
    follow = gq.follow_up_query("PullRequestReview", "comments", 100)
    assert is_page(page.text) and not is_inline(page.text)
    assert is_inline(inline.text) and not is_page(inline.text) and is_inline(follow.text)
    assert "$since: DateTime" in page.text and "direction: DESC" in page.text
    assert (inline.points, inline.requests) == (1, 1)
    assert datetime.now(UTC).year >= 2024 and iso(T0) == "2024-01-01T00:00:00Z"

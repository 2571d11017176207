"""The GraphQL path against a local server executing queries on GitHub's published schema:
rows identical to REST, nested pagination, resumption, cost and rate limits, partial errors,
a 502 on a big query, and the bad inputs that must fail one repository cleanly."""

from __future__ import annotations

import copy
import logging
import math
import re
import time
from pathlib import Path
from typing import Any

import pytest

from ossmetrics.collect import github_gql_query as gq
from ossmetrics.collect.github import collect_github
from ossmetrics.errors import GitHubNotFound, GitHubUnavailable, GraphQLError, RateLimited
from ossmetrics.store import connect
from tests.cli_kill import kill_cli_after
from tests.github_graphql_server import github_schema
from tests.github_server import FakeGitHub, fast_policy

REPO = "octo-org/widgets"
GQL_ONLY = ("additions", "deletions", "changed_files")


@pytest.fixture(scope="session", autouse=True)
def schema() -> Any:
    """GitHub's schema from npm (``npm pack @octokit/graphql-schema``); fails loudly offline."""
    return github_schema()


def is_page(query: str) -> bool:
    """A page query (issues/PRs of a repository), not a follow-up or inline-comments query."""
    return "issues(first" in query or "pullRequests(first" in query


def run(con: Any, gh: FakeGitHub, **kw: Any) -> Any:
    kw.setdefault("policy", fast_policy())
    return collect_github(con, kw.pop("repo", REPO), token="t0ken-xyz", api_url=gh.url, **kw)


def snapshot(con: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every table the GitHub collector writes, identities by key (ids depend on insert order)."""
    ident = "(SELECT identity_key FROM identities i WHERE i.identity_id = t.author_identity)"
    queries = {
        "repos": "SELECT * EXCLUDE (repo_id, collected_at) FROM repos",
        "repo_community": "SELECT * EXCLUDE (repo_id, collected_at) FROM repo_community",
        "issues": f"SELECT * EXCLUDE (repo_id, author_identity, {', '.join(GQL_ONLY)}), {ident} FROM issues t",
        "comments": f"SELECT * EXCLUDE (repo_id, author_identity), {ident} FROM comments t",
        "releases": "SELECT * EXCLUDE (repo_id) FROM releases",
        "identities": "SELECT * EXCLUDE (identity_id, person_id) FROM identities",
        "people": "SELECT * EXCLUDE (person_id) FROM people",
        "stargazers": "SELECT * EXCLUDE (repo_id) FROM stargazers",
        "rest_cursors": "SELECT endpoint, etag IS NOT NULL FROM sync_state WHERE endpoint NOT LIKE 'graphql%'",
    }
    out = {}
    for name, sql in queries.items():
        rows = con.execute(sql).fetchall()
        out[name] = sorted(rows, key=repr)
    return out


def both_ways(tmp_path: Path, gh: FakeGitHub) -> tuple[Any, Any, Any, Any]:
    gcon = connect(tmp_path / "graphql.duckdb")
    rcon = connect(tmp_path / "rest.duckdb")
    g = run(gcon, gh)
    r = run(rcon, gh, graphql=False)
    return gcon, rcon, g, r


def test_graphql_first_sync_writes_the_rest_rows(tmp_path: Path) -> None:
    # 60 items: 20 PRs (every 3rd), 40 issues; 2 comments each, 2 reviews + 1 review comment per PR
    shape = dict(issues=60, pr_every=3, comments_per_issue=2, reviews_per_pr=2, commits=3)
    with FakeGitHub(REPO, graphql=True, **shape) as gh:
        gcon, rcon, g, r = both_ways(tmp_path, gh)
        assert snapshot(gcon) == snapshot(rcon)
        # GraphQL: one page query (40 issues + 20 PRs fit one page each); cost as GitHub
        # computes it: 1 + 3 x 100 (issues' comments, labels, assignees) + 1 + 4 x 100 (PRs:
        # + reviews) = 702 requests -> 7 points; then the inline comments of the 20 reviews
        # that have one (1 request each -> 1 point)
        assert (g.graphql_requests, g.graphql_points) == (2, 8)
        assert gh.graphql_log == [(7, 100 + 3 * 100 * 100 + 100 + 4 * 100 * 100), (1, 20 * 100)]
        # REST beside it: repo, community, issues + comments + review comments closing (2
        # rounds each: the cursor starts at the earlier connection's newest item), releases,
        # commits (1 + 1); no per-PR reviews request, no review comments page
        assert gh.count(r"/pulls/\d+/reviews$") == 20  # all from the REST-only run
        assert g.requests - g.graphql_requests == 1 + 1 + 2 + 2 + 2 + 1 + 2
        assert r.requests == 1 + 1 + 2 + 3 + 2 + 20 + 1 + 2  # 120 comments: 2 pages + 1
        # the PR sizes only GraphQL returns, hand-computed from the server's rule
        sizes = gcon.execute(
            "SELECT number, additions, deletions, changed_files FROM issues WHERE is_pull AND number IN (3, 6) ORDER BY 1"
        ).fetchall()
        assert sizes == [(3, 21, 3, 4), (6, 42, 6, 2)]
        assert rcon.execute("SELECT count(additions) FROM issues").fetchone() == (0,)
        commits = gcon.execute("SELECT DISTINCT commit_id FROM comments WHERE kind = 'review'")
        assert [c[0] is not None for c in commits.fetchall()] == [True]
        # draft state, and the bot's login come through GraphQL as REST writes them
        row = gcon.execute("SELECT merged_by_login, draft FROM issues WHERE number = 30").fetchone()
        assert row == (None, True)
        assert gcon.execute(
            "SELECT count(*) FROM issues WHERE author_login = 'dependabot[bot]'"
        ).fetchone() == (4,)
        # an unchanged re-sync: only conditional requests, all 304, no GraphQL query
        gh.clear_log()
        again = run(gcon, gh)
        assert again.requests == again.not_modified == 7
        assert again.graphql_requests == 0 and gh.count("/graphql") == 0
        # a REST increment keeps what only GraphQL knew
        gh.touch_issue(3)
        gh.touch_issue(6)
        run(gcon, gh)
        assert gcon.execute("SELECT additions FROM issues WHERE number = 3").fetchone() == (21,)


def test_nested_connections_over_100_get_follow_up_queries(tmp_path: Path) -> None:
    with FakeGitHub(REPO, graphql=True, issues=4, pr_every=2, reviews_per_pr=1) as gh:
        repo = gh.main
        # issue 1: 230 comments (3 pages); issue 3: 120 labels; PR 2: 205 reviews
        base = repo.comments[0]
        for j in range(229):
            c = copy.deepcopy(base)
            c.update(id=90_000 + j, body="y" * (j % 9))
            repo.comments.append(c)
        repo.issues[3]["labels"] = [{"id": j, "name": f"l{j:03d}"} for j in range(120)]
        first = repo.reviews[2][0]
        for j in range(204):
            r = copy.deepcopy(first)
            r.update(id=800_000 + j, state="COMMENTED")
            repo.reviews[2].append(r)
        repo.issues[1]["comments"] = 230
        # PR 2's first review: 150 inline comments (2 pages)
        inline = repo.review_comments[0]
        assert inline["pull_request_review_id"] == repo.reviews[2][0]["id"]
        for j in range(149):
            c = copy.deepcopy(inline)
            c.update(id=95_000 + j, body="z" * (j % 7))
            repo.review_comments.append(c)
        gcon, rcon, g, r = both_ways(tmp_path, gh)
        assert snapshot(gcon) == snapshot(rcon)
        # 1 page + comments of issue 1 (2 more pages) + labels of 3 (1) + reviews of PR 2 (2)
        # + inline comments of the 2 reviews that have any (1) + the second page of PR 2's (1)
        assert g.graphql_requests == 1 + 2 + 1 + 2 + 1 + 1
        assert gcon.execute(
            "SELECT count(*) FROM comments WHERE kind = 'review_comment' AND issue_number = 2"
        ).fetchone() == (150,)
        merged = gcon.execute(
            "SELECT merged_by_login, merged_at IS NOT NULL FROM issues WHERE number = 2"
        )
        assert merged.fetchone() == ("maint", True)
        assert gcon.execute(
            "SELECT count(*) FROM comments WHERE kind = 'review' AND issue_number = 2"
        ).fetchone() == (205,)
        assert gcon.execute("SELECT len(labels) FROM issues WHERE number = 3").fetchone() == (120,)


def test_interrupted_graphql_sync_resumes_from_its_cursor(tmp_path: Path) -> None:
    # 250 issues + 50 PRs -> 3 pages of issues; PRs done with the first page
    with FakeGitHub(REPO, graphql=True, issues=300, pr_every=6, commits=3) as gh:
        con = connect(tmp_path / "g.duckdb")
        # the second page never arrives (page queries only; page 1's inline comments do)
        gh.fail("/graphql", "disconnect", times=10, after=1, when=is_page)
        with pytest.raises(GitHubUnavailable):
            run(con, gh)
        assert con.execute("SELECT count(*) FROM issues").fetchone() == (150,)  # page 1 only
        state = con.execute(
            "SELECT endpoint, cursor LIKE '%\"done\": true%' FROM sync_state WHERE endpoint LIKE 'graphql/%' ORDER BY 1"
        ).fetchall()
        assert state == [("graphql/issues", False), ("graphql/pulls", True)]
        assert (
            con.execute("SELECT cursor FROM sync_state WHERE endpoint = 'issues'").fetchone()
            is None
        )
        gh.clear_faults()
        gh.graphql_log.clear()
        resumed = run(con, gh)
        assert resumed.graphql_requests == 2  # pages 2 and 3 of issues, nothing repeated
        assert [nodes for _, nodes in gh.graphql_log] == [100 + 3 * 100 * 100] * 2
        rcon = connect(tmp_path / "r.duckdb")
        run(rcon, gh, graphql=False)
        assert snapshot(con) == snapshot(rcon)


def test_cost_is_known_before_sending_and_the_budget_is_waited_for(tmp_path: Path) -> None:
    # the client's computed cost equals the server's, independently computed, for each query
    for query in (
        gq.page_query([gq.issues_conn(100, 100), gq.pulls_conn(100, 100)]),
        gq.page_query([gq.issues_conn(50, 100)]),
        gq.follow_up_query("PullRequest", "reviews", 100),
        gq.reviews_of_prs_query(list(range(1, 51)), 100),
        gq.review_comments_query([f"PRR_1_{i}" for i in range(100)], 100),
        gq.page_query([gq.issues_conn(100, 100, since=True), gq.pulls_conn(100, 100, True)]),
    ):
        import graphql

        from tests.github_graphql_server import query_cost

        assert query_cost(graphql.parse(query.text), {}) == (query.points, query.nodes)
    assert gq.reviews_of_prs_query(list(range(1, 51)), 100).points == 1  # 50/100 -> 1 (minimum)
    with FakeGitHub(REPO, graphql=True, issues=250, pr_every=5, graphql_limit=9) as gh:
        con = connect(tmp_path / "g.duckdb")
        gh.graphql_reset = math.ceil(time.time() + 1.5)  # the window ends in 1-2 s
        # page 1 (100 issues + 50 PRs) costs 7 and its 50 reviews' inline comments 1, leaving
        # 1; page 2 (100 issues) costs 3, so the client waits for the reset before sending it,
        # and is never refused
        result = run(con, gh, max_wait=30)
        assert (result.graphql_requests, result.graphql_points) == (3, 7 + 1 + 3)
        assert result.waited_s > 0.5
        assert con.execute("SELECT count(*) FROM issues").fetchone() == (250,)


def test_rate_limited_error_waits_or_stops_cleanly(tmp_path: Path) -> None:
    with FakeGitHub(REPO, graphql=True, issues=20) as gh:
        con = connect(tmp_path / "g.duckdb")
        gh.fail("/graphql", "rate_limited", reset_in=0.5)
        result = run(con, gh, max_wait=30)
        # the refused page, the page again, its 10 reviews' inline comments
        assert result.graphql_requests == 3 and result.waited_s > 0
        assert con.execute("SELECT count(*) FROM issues").fetchone() == (20,)
    with FakeGitHub(REPO, graphql=True, issues=20) as gh:
        con = connect(tmp_path / "g2.duckdb")
        gh.fail("/graphql", "rate_limited", reset_in=3600)
        with pytest.raises(RateLimited) as exc:
            run(con, gh, max_wait=5)
        assert "resets at" in exc.value.one_line()
        assert con.execute("SELECT count(*) FROM issues").fetchone() == (0,)


def test_partial_answers(tmp_path: Path, caplog: Any) -> None:
    with FakeGitHub(REPO, graphql=True, issues=12, pr_every=3) as gh:
        con = connect(tmp_path / "g.duckdb")
        gh.fail("/graphql", "partial", type="FORBIDDEN")
        with caplog.at_level(logging.WARNING):
            result = run(con, gh)
        assert "withheld 1 item" in caplog.text
        assert result.items["graphql/withheld"] == 1
        # the withheld author is unknown, everything else is there
        assert con.execute("SELECT author_login FROM issues WHERE number = 3").fetchone() == (None,)
        assert con.execute("SELECT count(*) FROM issues").fetchone() == (12,)
    with FakeGitHub(REPO, graphql=True, issues=12, pr_every=3) as gh:
        con = connect(tmp_path / "g2.duckdb")
        gh.fail("/graphql", "partial", type="SERVICE_UNAVAILABLE")
        with pytest.raises(GraphQLError) as exc:
            run(con, gh)
        assert "only in part" in exc.value.one_line()
        assert con.execute("SELECT count(*) FROM issues").fetchone() == (0,)  # nothing half-written


def test_502_on_a_big_query_halves_the_page_then_grows_back(tmp_path: Path) -> None:
    big = re.compile(r"issues\(first: 100")
    with FakeGitHub(REPO, graphql=True, issues=400, pr_every=0) as gh:
        gh.fail("/graphql", "status", status=502, times=1, when=lambda q: bool(big.search(q)))
        gcon = connect(tmp_path / "g.duckdb")
        result = run(gcon, gh)
        # 502 at 100 -> 50 (issues + the empty PR list), 50 (issues), two answered: back to 100
        nodes = [n for _, n in gh.graphql_log]
        assert nodes == [50 * 301 + 50 * 401, 50 * 301, 100 * 301, 100 * 301, 100 * 301]
        assert result.graphql_requests == 6  # the refused one counts too
        rcon = connect(tmp_path / "r.duckdb")
        run(rcon, gh, graphql=False)
        assert snapshot(gcon) == snapshot(rcon)


def test_bad_input_fails_one_repository_cleanly(tmp_path: Path, caplog: Any) -> None:
    # a token (or server) without GraphQL: REST with a warning, same rows
    with FakeGitHub(REPO, issues=10) as gh:  # graphql off: POST /graphql is a 404
        con = connect(tmp_path / "a.duckdb")
        with caplog.at_level(logging.WARNING):
            result = run(con, gh)
        assert result.warnings and "REST API" in result.warnings[0]
        assert con.execute("SELECT count(*) FROM issues").fetchone() == (10,)
    with FakeGitHub(REPO, graphql=True, issues=10) as gh:
        # a field GitHub removed: the query fails validation, the repository fails in one line
        gh.fail(
            "/graphql",
            "graphql_errors",
            type="undefinedField",
            message="Field 'additions' doesn't exist on type 'PullRequest'",
        )
        con = connect(tmp_path / "b.duckdb")
        with pytest.raises(GraphQLError) as exc:
            run(con, gh)
        assert "doesn't exist on type 'PullRequest'" in exc.value.one_line()
        assert "\n" not in exc.value.one_line()
        assert con.execute("SELECT count(*) FROM issues").fetchone() == (0,)
        last = con.execute(
            "SELECT last_error FROM sync_state WHERE endpoint = 'graphql'"
        ).fetchone()
        assert last is not None and "PullRequest" in last[0]
        # a repository deleted (or renamed away) between the REST and the GraphQL request
        gh.fail("/graphql", "graphql_errors", type="NOT_FOUND", path=["repository"],
                message="Could not resolve to a Repository with the name 'octo-org/widgets'.")  # fmt: skip
        with pytest.raises(GitHubNotFound):
            run(connect(tmp_path / "c.duckdb"), gh)
        # malformed / truncated JSON and dropped connections: retried, then a clean failure
        gh.fail("/graphql", "malformed", times=2)
        gh.fail("/graphql", "disconnect", times=1)
        con = connect(tmp_path / "d.duckdb")
        assert run(con, gh).graphql_requests == 3 + 1 + 1  # + the page, its inline comments
        assert con.execute("SELECT count(*) FROM issues").fetchone() == (10,)
        gh.fail("/graphql", "malformed", times=10)
        con = connect(tmp_path / "e.duckdb")
        with pytest.raises(GitHubUnavailable):
            run(con, gh)
        assert con.execute("SELECT count(*) FROM issues").fetchone() == (0,)


def test_reviews_of_many_changed_prs_come_in_one_query(tmp_path: Path) -> None:
    with FakeGitHub(REPO, graphql=True, issues=40, pr_every=2) as gh:
        con = connect(tmp_path / "g.duckdb")
        run(con, gh)
        # 2 PRs changed (not above the threshold of 2): one REST request each
        for n in (2, 4):
            gh.touch_issue(n)
        gh.clear_log()
        small = run(con, gh)
        assert gh.count(r"/pulls/\d+/reviews$") == 2 and small.graphql_requests == 0
        # 6 PRs changed: one GraphQL query for all their reviews, no REST reviews request
        for n in (6, 8, 10, 12, 14, 16):
            gh.touch_issue(n)
        gh.main.reviews[8][0]["state"] = "DISMISSED"
        gh.clear_log()
        many = run(con, gh)
        assert gh.count(r"/pulls/\d+/reviews$") == 0
        assert (many.graphql_requests, many.graphql_points) == (1, 1)
        assert con.execute(
            "SELECT review_state FROM comments WHERE kind = 'review' AND issue_number = 8"
        ).fetchone() == ("DISMISSED",)
        rcon = connect(tmp_path / "r.duckdb")
        run(rcon, gh, graphql=False)
        assert snapshot(con) == snapshot(rcon)


def test_graphql_sync_killed_then_resumed_by_the_cli(cli: Any, tmp_path: Path) -> None:
    """SIGKILL while the second GraphQL page is on its way: the next CLI run sends only the
    pages not committed, and the store ends up as a REST-only sync's."""
    import os

    import duckdb

    token = "ghp_GqlKill0123456789abcdef"
    db = tmp_path / "s.duckdb"
    with FakeGitHub(REPO, issues=300, pr_every=6, commits=3, graphql=True, token=token) as gh:
        env = {**os.environ, "MY_TOKEN": token, "GITHUB_TOKEN": ""}
        args = ["--db", str(db), "collect", "github", REPO, "--api-url", gh.url, "--token-env", "MY_TOKEN"]  # fmt: skip
        gh.fail("/graphql", "delay", after=1, seconds=4, when=is_page)  # page 2 hangs
        # page 1, its inline comments, page 2 (which hangs)
        kill_cli_after(gh, args, env, graphql_requests=3)
        killed = duckdb.connect(str(db))
        assert killed.execute("SELECT count(*) FROM issues").fetchone() == (150,)  # page 1
        killed.close()
        resumed = cli(*args, env=env)
        assert resumed.returncode == 0, resumed.stderr
        assert "(2 GraphQL, 6 points)" in resumed.stdout  # pages 2 and 3 only, 3 points each
        assert token not in resumed.stdout + resumed.stderr
        rest = connect(tmp_path / "rest.duckdb")
        collect_github(rest, REPO, token=token, api_url=gh.url, policy=fast_policy(), graphql=False)
    store = connect(db)
    try:
        assert snapshot(store) == snapshot(rest)
    finally:
        store.close()
        rest.close()


def test_resource_limits_shrink_the_page_and_secondary_limits_wait(tmp_path: Path) -> None:
    big = re.compile(r"issues\(first: 100")
    with FakeGitHub(REPO, graphql=True, issues=150, pr_every=0) as gh:
        gh.fail(
            "/graphql",
            "graphql_errors",
            type="RESOURCE_LIMITS_EXCEEDED",
            message="Resource limits for this query exceeded.",
            when=lambda q: bool(big.search(q)),
        )
        gh.fail("/graphql", "secondary", retry_after=0, after=1)  # the second answered query
        con = connect(tmp_path / "g.duckdb")
        result = run(con, gh)
        # refused at 100 -> 50 (issues + the empty PR list); then 50 issues: refused by the
        # secondary limit, resent after Retry-After; two answered pages: back to 100 (last 50)
        nodes = [n for _, n in gh.graphql_log]
        assert nodes == [50 * 301 + 50 * 401, 50 * 301, 100 * 301]
        assert result.graphql_requests == 5
        assert con.execute("SELECT count(*) FROM issues").fetchone() == (150,)

"""GitHub collector against a real local API server: stored rows, request counts, increments,
renames, and interrupt-then-resume equivalence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ossmetrics.collect.github import ProgressHook, collect_github
from ossmetrics.errors import GitHubUnavailable, RateLimited
from ossmetrics.store import connect
from tests.github_server import FakeGitHub, fast_policy

REPO = "octo-org/widgets"


def ts(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


def run(con: Any, gh: FakeGitHub, **kw: Any) -> Any:
    kw.setdefault("policy", fast_policy())
    kw.setdefault("graphql", False)  # the REST path (GraphQL: test_github_graphql.py)
    return collect_github(con, kw.pop("repo", REPO), token="t0ken-xyz", api_url=gh.url, **kw)


def test_full_sync_stores_exact_rows(con: Any) -> None:
    with FakeGitHub(REPO, issues=6, pr_every=2, releases=2, commits=3) as gh:
        result = run(con, gh)
    issues = con.execute(
        "SELECT number, is_pull, author_login, state, merged_at IS NOT NULL, labels, assignees, draft, merged_by_login FROM issues ORDER BY number"
    ).fetchall()
    assert issues == [
        (1, False, "user1", "closed", False, [], [], None, None),
        (2, True, "user2", "closed", True, [], [], False, "maint"),
        (3, False, "user3", "open", False, [], [], None, None),
        (4, True, "user4", "closed", True, ["bug"], [], False, "maint"),
        (5, False, "user5", "closed", False, [], ["maint"], None, None),
        (6, True, "user6", "open", False, [], [], False, None),
    ]
    row = con.execute(
        "SELECT created_at, updated_at, closed_at, merged_at FROM issues WHERE number = 2"
    ).fetchone()
    assert row == (
        ts("2024-01-01 02:00:00"),
        ts("2024-01-01 02:32:00"),
        ts("2024-01-02 02:00:00"),
        ts("2024-01-02 02:00:00"),
    )
    # every author is linked to an identity of the same login
    bad = con.execute(
        "SELECT count(*) FROM issues JOIN identities i ON i.identity_id = author_identity WHERE i.identity_key <> 'github:' || lower(author_login)"
    ).fetchone()
    assert bad == (0,)
    reviews = con.execute(
        "SELECT issue_number, author_login, review_state, created_at FROM comments WHERE kind = 'review' ORDER BY issue_number"
    ).fetchall()
    assert reviews == [
        (2, "reviewer2", "CHANGES_REQUESTED", ts("2024-01-01 04:00:00")),
        (4, "reviewer4", "COMMENTED", ts("2024-01-01 06:00:00")),
        (6, "reviewer1", "APPROVED", ts("2024-01-01 08:00:00")),
    ]
    kinds = con.execute(
        "SELECT kind, count(*), min(issue_number), max(issue_number) FROM comments GROUP BY kind ORDER BY kind"
    ).fetchall()
    assert kinds == [("issue", 6, 1, 6), ("review", 3, 2, 6), ("review_comment", 3, 2, 6)]
    first = con.execute(
        "SELECT author_login, created_at, body_len FROM comments WHERE kind = 'issue' AND issue_number = 1"
    ).fetchone()
    assert first == ("user2", ts("2024-01-01 01:40:00"), 2)
    assert con.execute("SELECT tag, name, prerelease FROM releases ORDER BY tag").fetchall() == [
        ("v1.0.0", "1.0", False),
        ("v1.1.0", "1.1", False),
    ]
    repo = con.execute(
        "SELECT full_name, github_id, topics, is_fork, renamed_from FROM repos"
    ).fetchone()
    assert repo == (REPO, 4242, ["health", "metrics"], False, None)
    community = con.execute(
        "SELECT health_percentage, has_readme, has_contributing, has_code_of_conduct, has_license FROM repo_community"
    ).fetchone()
    assert community == (100, True, True, True, True)
    logins = [r[0] for r in con.execute("SELECT login FROM identities ORDER BY login").fetchall()]
    assert logins == [
        "maint", "reviewer1", "reviewer2", "reviewer4",
        "user1", "user2", "user3", "user4", "user5", "user6", "user7",
    ]  # fmt: skip
    assert con.execute("SELECT count(*) FROM identities WHERE person_id IS NULL").fetchone() == (0,)
    missing = con.execute(
        "SELECT count(*) FROM identities i ANTI JOIN people p ON p.person_id = i.person_id"
    ).fetchone()
    assert missing == (0,)
    assert result.items["issues"] == 6 and result.not_modified == 0


def test_request_counts_minimal_and_second_sync_all_304(con: Any) -> None:
    # 205 issues+PRs (41 PRs), 205 issue comments, 41 review comments, 41 reviews
    with FakeGitHub(REPO, issues=205, pr_every=5, releases=2, commits=3) as gh:
        first = run(con, gh)
        assert gh.count(r"/issues$") == 3 + 1  # ceil(205/100) pages + the closing request
        assert gh.count(r"/issues/comments$") == 3 + 1
        assert gh.count(r"/pulls/comments$") == 1 + 1
        assert gh.count(r"/pulls/\d+/reviews$") == 41  # one per PR: no repo-wide endpoint
        assert gh.count(r"/releases$") == 1
        assert gh.count(r"/commits$") == 1 + 1
        assert gh.count() == first.requests == 2 + 4 + 4 + 2 + 41 + 1 + 2
        assert con.execute("SELECT count(*) FROM issues").fetchone() == (205,)
        assert con.execute("SELECT count(*) FROM comments").fetchone() == (205 + 41 + 41,)
        bot = con.execute(
            "SELECT i.is_bot, p.is_bot FROM identities i JOIN people p USING (person_id) WHERE identity_key = 'github:dependabot[bot]'"
        ).fetchone()
        assert bot == (True, True)
        # the closing request advanced nothing, so its ETag is kept for the next run
        gh.clear_log()
        second = run(con, gh)
        assert second.requests == 7 and second.not_modified == 7
        assert all(r.headers.get("if-none-match") for r in gh.requests)
        assert second.items == {}
        # one PR changes: one issues page, its reviews, and nothing else re-read in full
        gh.touch_issue(10, ts("2024-06-01 00:00:00"))
        gh.clear_log()
        third = run(con, gh)
        assert gh.count(r"/issues$") == 2  # changed page + closing request
        assert gh.count(r"/pulls/\d+/reviews$") == 1
        assert [r.path for r in gh.requests if "reviews" in r.path] == [
            f"/repos/{REPO}/pulls/10/reviews"
        ]
        assert (third.requests, third.not_modified) == (9, 6)  # 6 endpoints unchanged: 304
    updated = con.execute("SELECT updated_at FROM issues WHERE number = 10").fetchone()
    assert updated == (ts("2024-06-01 00:00:00"),)


def test_since_only_bounds_the_first_collection(con: Any) -> None:
    with FakeGitHub(REPO, issues=6) as gh:
        run(con, gh, since=datetime(2024, 1, 1, 4, 0, tzinfo=UTC), commits=False)
        sent = [r.query.get("since") for r in gh.requests if r.path.endswith("/issues")]
    assert sent[0] == "2024-01-01T04:00:00Z"
    numbers = [r[0] for r in con.execute("SELECT number FROM issues ORDER BY 1").fetchall()]
    assert numbers == [4, 5, 6]


def test_rename_is_followed_and_recorded(con: Any) -> None:
    with FakeGitHub(REPO, issues=3) as gh:
        run(con, gh)
        gh.rename_to("octo-org/gadgets")
        gh.clear_log()
        result = run(con, gh)
        assert gh.requests[0].path == f"/repos/{REPO}"
        assert gh.requests[1].path == "/repositories/4242"  # the 301 was followed
        assert all("/repos/octo-org/gadgets" in r.path for r in gh.requests[2:])
    assert result.renamed_from == REPO and result.repo == "octo-org/gadgets"
    assert con.execute("SELECT repo_id, full_name, renamed_from FROM repos").fetchall() == [
        (1, "octo-org/gadgets", [REPO])
    ]


def test_old_name_of_a_known_repository_finds_it(con: Any) -> None:
    from ossmetrics.store import ensure_repo

    ensure_repo(con, "octo-org/gadgets")  # e.g. made by `collect git --repo octo-org/gadgets`
    with FakeGitHub("octo-org/gadgets", issues=1, commits=0) as gh:
        gh.rename("octo-org/widgets")
        result = run(con, gh, repo="octo-org/widgets")
    assert (result.repo, result.repo_id, result.renamed_from) == ("octo-org/gadgets", 1, REPO)
    assert con.execute("SELECT full_name, renamed_from FROM repos").fetchall() == [
        ("octo-org/gadgets", [REPO])
    ]


def test_stargazers_incremental(con: Any) -> None:
    with FakeGitHub(REPO, issues=1, stars=120) as gh:
        run(con, gh, stars=True, commits=False)
        assert gh.count(r"/stargazers$") == 2
        assert all(
            r.headers.get("accept") == "application/vnd.github.star+json"
            for r in gh.requests
            if r.path.endswith("stargazers")
        )
        gh.clear_log()
        second = run(con, gh, stars=True, commits=False)
        star_reqs = [r for r in gh.requests if r.path.endswith("stargazers")]
        assert [r.query["page"] for r in star_reqs] == ["2"]  # straight to the last page: 304
        assert second.not_modified == second.requests
    assert con.execute(
        "SELECT count(*), min(starred_at), max(login) FROM stargazers"
    ).fetchone() == (
        120,
        ts("2024-01-01 00:00:00"),
        "fan99",
    )


# -- interrupt and resume -------------------------------------------------------------------


def snapshot(con: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every table the collector writes, with identity ids replaced by identity keys (sequence
    numbers burnt by rolled-back transactions are not part of the data) and run times dropped."""
    key = "(SELECT identity_key FROM identities WHERE identity_id = {})"
    q = {
        "repos": "SELECT * EXCLUDE (collected_at) FROM repos",
        "repo_community": "SELECT * EXCLUDE (collected_at) FROM repo_community",
        "issues": f"SELECT * REPLACE ({key.format('issues.author_identity')} AS author_identity) FROM issues",
        "comments": f"SELECT * REPLACE ({key.format('comments.author_identity')} AS author_identity) FROM comments",
        "releases": "SELECT * FROM releases",
        "stargazers": "SELECT * FROM stargazers",
        "identities": "SELECT identity_key, source, login, name, email, is_bot, first_seen_at FROM identities",
        "people": "SELECT display_name, primary_email, github_login, is_bot FROM people",
        "sync_state": "SELECT repo_id, source, endpoint, cursor, etag, last_error FROM sync_state",
    }
    return {t: sorted(con.execute(sql).fetchall(), key=repr) for t, sql in q.items()}


class _StopAfter(ProgressHook):
    """Raises KeyboardInterrupt (as Ctrl-C would) after ``n`` committed pages of ``name``."""

    def __init__(self, name: str, n: int) -> None:
        self.name, self.n = name, n

    def items(self, name: str, n: int) -> None:
        if name == self.name:
            self.n -= 1
            if self.n == 0:
                raise KeyboardInterrupt


def test_interrupted_then_resumed_equals_uninterrupted(tmp_path: Path) -> None:
    clean = connect(tmp_path / "clean.duckdb")
    broken = connect(tmp_path / "broken.duckdb")
    try:
        with FakeGitHub(REPO, issues=210, pr_every=6, stars=30, commits=5) as gh:
            run(clean, gh, stars=True)
            # 1. Ctrl-C after the second issues page
            with pytest.raises(KeyboardInterrupt):
                run(broken, gh, stars=True, progress=_StopAfter("issues", 2))
            assert broken.execute("SELECT count(*) FROM issues").fetchone() == (200,)
            # 2. the connection breaks for good in the middle of the comments
            gh.fail(r"/repositories/\d+/issues/comments$", "disconnect", times=10)
            with pytest.raises(GitHubUnavailable) as err:
                run(broken, gh, stars=True)
            assert REPO in str(err.value)
            orphans = broken.execute("SELECT count(*) FROM identities WHERE person_id IS NULL")
            assert orphans.fetchone() == (0,)  # people exist for what was kept
            gh.clear_faults()
            # 3. the budget runs out in the middle of the reviews (reset an hour away)
            gh.fail(r"/pulls/\d+/reviews$", "primary", after=30, reset_in=3600)
            with pytest.raises(RateLimited) as limited:
                run(broken, gh, stars=True, max_wait=5)
            assert limited.value.reset_at is not None
            error = broken.execute(
                "SELECT last_error FROM sync_state WHERE endpoint = 'pulls/reviews'"
            ).fetchone()
            assert error is not None and "rate limit" in error[0]
            done = broken.execute("SELECT count(*) FROM comments WHERE kind = 'review'").fetchone()
            assert done == (25,)  # one committed batch of 25 PRs; the rest waits for the reset
            gh.rate_remaining = gh.rate_limit
            gh.clear_log()
            run(broken, gh, stars=True)
            assert gh.count(r"/pulls/\d+/reviews$") == 35 - 25  # resumed after the batch
        assert snapshot(broken) == snapshot(clean)
    finally:
        clean.close()
        broken.close()


def test_enterprise_api_url_with_path_prefix(con: Any) -> None:
    with FakeGitHub(REPO, issues=120, commits=0, prefix="/api/v3") as gh:
        assert gh.url.endswith("/api/v3")
        first = run(con, gh)
        second = run(con, gh)
        paths = [r.path for r in gh.requests]
    assert all(p.startswith("/api/v3/") for p in paths)
    assert "/api/v3/repositories/4242/issues" in paths  # Link URLs keep the prefix
    assert second.requests == second.not_modified == 7
    assert first.items["issues"] == 120


def test_two_repositories_from_one_server(con: Any) -> None:
    with FakeGitHub(REPO, issues=3, commits=0) as gh:
        other = gh.add_repo("octo-org/gears", issues=5, pr_every=0, releases=0, commits=0)
        run(con, gh)
        run(con, gh, repo="octo-org/gears")
        assert any(r.path == "/repos/octo-org/gears/issues" for r in gh.requests)
    rows = con.execute(
        "SELECT r.full_name, r.github_id, count(i.number), count(*) FILTER (WHERE i.is_pull) FROM repos r JOIN issues i USING (repo_id) GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert rows == [("octo-org/gears", other.repo_id, 5, 0), (REPO, 4242, 3, 1)]

"""Rate limits, server faults and bad input against the local API server; token secrecy."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ossmetrics.collect.github import ProgressHook, collect_github
from ossmetrics.collect.github_client import GitHubClient
from ossmetrics.errors import (
    GitHubAuthError,
    GitHubError,
    GitHubNotFound,
    GitHubUnavailable,
    InvalidRepoName,
    RateLimited,
)
from tests.github_server import FakeGitHub, fast_policy

REPO = "octo-org/widgets"
TOKEN = "ghp_S3cretTokenValue0123456789"


def small() -> FakeGitHub:
    return FakeGitHub(REPO, issues=2, releases=1, commits=0)


def run(con: Any, gh: FakeGitHub, **kw: Any) -> Any:
    kw.setdefault("policy", fast_policy())
    kw.setdefault("graphql", False)  # the REST path (GraphQL: test_github_graphql.py)
    kw.setdefault("commits", False)
    return collect_github(
        con, kw.pop("repo", REPO), token=kw.pop("token", TOKEN), api_url=gh.url, **kw
    )


class Waits(ProgressHook):
    def __init__(self) -> None:
        self.seen: list[tuple[float, str]] = []

    def wait(self, seconds_left: float, reason: str) -> None:
        self.seen.append((seconds_left, reason))


def test_secondary_limit_with_retry_after_backs_off(con: Any) -> None:
    hook = Waits()
    with small() as gh:
        gh.fail(r"/issues$", "secondary", retry_after=1)
        gh.fail(r"/releases$", "secondary", status=429, retry_after=None)  # message only
        result = run(con, gh, progress=hook)
        assert gh.count(r"/issues$") == 2 + 1  # refused, retried, closing request
        assert gh.count(r"/releases$") == 2
    # Retry-After: 1 was honoured: the wait counted down from 1 s to 0
    assert hook.seen[0] == (1.0, "secondary rate limit: backing off")
    assert hook.seen[-1][0] == 0.0
    assert result.items["issues"] == 2


def test_primary_limit_waits_for_reset_with_countdown(con: Any) -> None:
    hook = Waits()
    with small() as gh:
        gh.fail(r"/issues/comments$", "primary", reset_in=1.0)
        result = run(con, gh, progress=hook)
        assert gh.count(r"/issues/comments$") == 2 + 1
    reasons = {r for _, r in hook.seen}
    assert reasons == {"rate limit: waiting for reset"}
    lefts = [s for s, _ in hook.seen]
    assert lefts == sorted(lefts, reverse=True) and lefts[-1] == 0.0 and lefts[0] >= 1.0
    assert result.waited_s >= 1.0
    assert con.execute("SELECT count(*) FROM comments WHERE kind = 'issue'").fetchone() == (2,)


def test_primary_limit_beyond_max_wait_stops_cleanly(con: Any) -> None:
    with small() as gh:
        gh.rate_remaining = 3  # the third answer spends the budget; the reset is an hour away
        with pytest.raises(RateLimited) as err:
            run(con, gh, max_wait=60)
        assert gh.count() == 3  # no request is wasted on a certain 403
    assert err.value.reset_at is not None and err.value.repo == REPO
    assert "--max-wait" in err.value.one_line()
    saved = con.execute("SELECT count(*) FROM issues").fetchone()
    assert saved == (2,)  # the page before the stop is kept
    state = con.execute(
        "SELECT endpoint, last_error IS NOT NULL FROM sync_state ORDER BY endpoint"
    ).fetchall()
    assert ("issues", True) in state


def test_transient_5xx_malformed_json_and_disconnect_are_retried(con: Any) -> None:
    with small() as gh:
        gh.fail(r"/releases$", "status", status=502, times=2)
        gh.fail(r"/issues$", "malformed")
        gh.fail(r"/pulls/comments$", "disconnect")
        run(con, gh)
        assert gh.count(r"/releases$") == 3
        assert gh.count(r"/issues$") == 1 + 2
        assert gh.count(r"/pulls/comments$") == 1 + 2
    assert con.execute("SELECT count(*) FROM releases").fetchone() == (1,)
    assert con.execute(
        "SELECT count(*) FROM comments WHERE kind = 'review_comment'"
    ).fetchone() == (1,)


def test_persistent_5xx_fails_with_the_repository_named(con: Any) -> None:
    with small() as gh:
        gh.fail(r"/issues$", "status", status=500, times=99)
        with pytest.raises(GitHubUnavailable) as err:
            run(con, gh)
        assert gh.count(r"/issues$") == 4  # 1 + max_retries (3)
    assert REPO in err.value.one_line() and "HTTP 500" in err.value.one_line()


def test_202_is_retried_a_bounded_number_of_times() -> None:
    with small() as gh:
        gh.fail(r"/stats/contributors$", "accepted", times=2)
        client = GitHubClient(TOKEN, gh.url, policy=fast_policy(max_accepted=3), repo=REPO)
        # the third answer is the 404 of an endpoint this server does not compute
        resp = client.get(f"/repos/{REPO}/stats/contributors", allow_404=True)
        assert (resp.status, client.requests) == (404, 3)
        gh.fail(r"/community/profile$", "accepted", times=10)
        with pytest.raises(GitHubUnavailable) as err:
            client.get(f"/repos/{REPO}/community/profile")
        assert err.value.status == 202
        assert gh.count(r"/community/profile$") == 4  # 1 + max_accepted
        client.close()


def test_unknown_repository_writes_nothing(con: Any) -> None:
    with small() as gh, pytest.raises(GitHubNotFound) as err:
        run(con, gh, repo="octo-org/nothing-here")
    assert "octo-org/nothing-here" in err.value.one_line()
    assert con.execute("SELECT count(*) FROM repos").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM sync_state").fetchone() == (0,)


def test_bad_token_and_forbidden(con: Any) -> None:
    gh = FakeGitHub(REPO, issues=1, token="the-right-one")
    with gh:
        with pytest.raises(GitHubAuthError) as err:
            run(con, gh)
        assert err.value.status == 401 and TOKEN not in err.value.one_line()
        assert con.execute("SELECT count(*) FROM repos").fetchone() == (0,)
        gh.fail(r"/issues$", "status", status=403, message="Resource not accessible by integration")
        with pytest.raises(GitHubAuthError) as err2:
            run(con, gh, token="the-right-one")
        assert err2.value.status == 403 and "not accessible" in err2.value.one_line()


def test_malformed_name_and_unreachable_api(con: Any) -> None:
    with pytest.raises(InvalidRepoName):
        collect_github(con, "not a repo", token=None, api_url="http://127.0.0.1:9")
    # how fast it gives up: unreachable_seconds in benchmarks/bench_github.py
    with pytest.raises(GitHubUnavailable) as err:
        collect_github(con, REPO, token=None, api_url="http://127.0.0.1:9", policy=fast_policy())
    assert "http://127.0.0.1:9" in err.value.one_line() and "--api-url" in err.value.one_line()
    with pytest.raises(GitHubError):
        collect_github(con, REPO, token=None, api_url="ftp://example.org")
    assert con.execute("SELECT count(*) FROM repos").fetchone() == (0,)


def test_token_never_stored_logged_or_shown(con: Any, caplog: Any, capsys: Any) -> None:
    caplog.set_level(logging.DEBUG)  # PyGithub logs every request at DEBUG
    with FakeGitHub(REPO, issues=3, commits=2, stars=2) as gh:
        run(con, gh, stars=True, commits=True, progress=True)
        assert gh.requests[0].headers["authorization"] == f"token {TOKEN}"  # it was used
        gh.fail(r"/releases$", "status", status=500, times=99)
        errors = []
        for call in (lambda: run(con, gh), lambda: run(con, gh, repo="octo-org/missing")):
            with pytest.raises(GitHubError) as err:
                call()
            errors.append(err.value.one_line() + repr(err.value.args))
    assert any("GET" in r.getMessage() for r in caplog.records)  # the debug log was on
    out = capsys.readouterr()
    texts = [caplog.text, out.out, out.err, *errors]
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE data_type LIKE 'VARCHAR%'"
    ).fetchall():
        texts += [str(v[0]) for v in con.execute(f'SELECT "{column}" FROM "{table}"').fetchall()]
    assert len(texts) > 100
    assert not [t for t in texts if TOKEN in t]

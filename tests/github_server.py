"""A local GitHub REST API on 127.0.0.1 for tests and benchmarks (no mock of PyGithub).

``FakeGitHub`` generates a repository of issues, pull requests, comments, reviews, review
comments, releases, commits and stargazers from example payloads in the documented shapes,
written for this repository in ``tests/fixtures/github-api`` (each item is a copy of the
example with its ids, numbers, dates and users varied), and serves them the way api.github.com does:

* ``Link`` pagination (``per_page`` ≤ 100, ``page``) pointing at ``/repositories/{id}/…``,
  which it also answers; ``since``/``sort``/``direction``/``state`` filters;
* ``ETag`` on every 200 and ``304`` (no body, no rate cost) when ``If-None-Match`` matches;
* ``X-RateLimit-*`` headers on every answer, a primary limit that really runs out;
* every ``https://api.github.com`` in a body or header rewritten to its own URL.

Usage::

    with FakeGitHub("octo/proj", issues=250, comments_per_issue=1) as gh:
        collect_github(con, "octo/proj", token=None, api_url=gh.url, ...)
        assert gh.count(r"/issues$") == 3           # requests whose path matches
        gh.fail(r"/issues/comments", "status", status=500, times=2)   # next 2 answers: 500
        gh.touch_issue(7)                            # issue 7 updated now (moves, bumps PR)

``gh.add_repo("octo/other", issues=5)`` serves a second repository from the same URL (each
repository has its own ``FakeRepo`` data; the constructor's shape arguments are the first's).

Fault kinds for ``fail(pattern, kind, times=1, **kw)``: ``status`` (``status=``, ``message=``),
``secondary`` (403 with ``Retry-After: retry_after``, or the message only if ``retry_after``
is None; ``status=429`` works too), ``primary`` (the budget runs out until ``reset_in`` seconds
from now: 403 with remaining 0), ``accepted`` (202), ``malformed`` (200 with broken JSON),
``disconnect`` (half a body, then the connection closes), ``delay`` (answer normally after
``seconds=``; the server keeps serving other requests meanwhile). ``rename("old/name")`` makes
``/repos/old/name`` answer 301 to ``/repositories/{id}``; ``token="…"`` makes any other
``Authorization`` a 401; ``prefix="/api/v3"`` serves under a path, as GitHub Enterprise does
(``url`` then ends with it). ``requests`` records every request (method, path, query, headers).

``graphql=True`` also serves ``POST /graphql`` from the same data (``github_graphql_server``):
GitHub's published schema, its cost rule, a points budget (``graphql_limit``); GraphQL fault
kinds ``rate_limited`` (``reset_in=``), ``partial`` (``type=``, ``connection=``) and
``graphql_errors`` (``type=``, ``message=``, ``path=``, ``data=``); any fault can be limited
to some queries with ``when=lambda query_text: ...``.
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import ThreadingHTTPServer
from typing import Any

from tests.github_fake_repo import FIXTURES, T0, FakeRepo, iso

__all__ = ["FIXTURES", "T0", "FakeGitHub", "FakeRepo", "Recorded", "fast_policy", "iso"]


def fast_policy(**overrides: Any) -> Any:
    """A ``RetryPolicy`` whose waits take milliseconds, for tests against this server."""
    from ossmetrics.collect.github_client import RetryPolicy

    settings: dict[str, Any] = dict(
        max_retries=3,
        backoff_base=0.01,
        backoff_max=0.05,
        secondary_wait=0.01,
        accepted_wait=0.01,
        reset_margin=0.05,
        timeout=5,
        seconds_between_requests=0,
    )
    settings.update(overrides)
    return RetryPolicy(**settings)


@dataclass
class Recorded:
    """One request as the server saw it (header names lower-case)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class _Fault:
    pattern: re.Pattern[str]
    kind: str
    times: int
    kw: dict[str, Any] = field(default_factory=dict)
    after: int = 0


class FakeGitHub:
    """The server; see the module docstring. ``issues`` counts issues + pull requests.

    The first repository is made from the constructor's arguments; ``add_repo`` serves more
    from the same URL (as api.github.com does). Attributes such as ``issues``, ``reviews``,
    ``full_name`` and ``repo_id`` are those of the first repository.
    """

    def __init__(
        self,
        full_name: str = "octo-org/widgets",
        *,
        token: str | None = None,
        rate_limit: int = 5000,
        repo_id: int = 4242,
        prefix: str = "",
        graphql: bool = False,
        graphql_limit: int = 5000,
        **shape: Any,
    ) -> None:
        self.token = token
        # GraphQL (tests/github_graphql_server.py): off by default, as on a GitHub Enterprise
        # without it (POST /graphql answers 404); its own budget of points.
        self.graphql = graphql
        self.graphql_limit = graphql_limit
        self.graphql_remaining = graphql_limit
        self.graphql_reset = math.ceil(time.time() + 3600)
        self.graphql_points = 0
        self.graphql_log: list[tuple[int, int]] = []  # (points, nodes) of each executed query
        self.rate_limit = rate_limit
        self.rate_remaining = rate_limit
        self.rate_reset = math.ceil(time.time() + 3600)
        self.requests: list[Recorded] = []
        self.faults: list[_Fault] = []
        self.old_names: dict[str, FakeRepo] = {}
        self.repos: list[FakeRepo] = []
        self._lock = threading.RLock()
        from tests.github_http import Handler

        self._srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._srv.daemon_threads = True
        self._srv.fake = self  # type: ignore[attr-defined]
        self.prefix = prefix.rstrip("/")  # e.g. "/api/v3", as GitHub Enterprise serves it
        self.url = f"http://127.0.0.1:{self._srv.server_address[1]}{self.prefix}"
        self._thread: threading.Thread | None = None
        self.main = self.add_repo(full_name, repo_id=repo_id, **shape)

    def add_repo(self, full_name: str, *, repo_id: int | None = None, **shape: Any) -> FakeRepo:
        """Serve another repository (same keyword arguments as the constructor's shape)."""
        with self._lock:
            rid = repo_id if repo_id is not None else 4242 + 1000 * len(self.repos)
            repo = FakeRepo(full_name, rid, **shape)
            self.repos.append(repo)
            return repo

    # the first repository's data, for short tests
    full_name = property(lambda self: self.main.full_name)
    repo_id = property(lambda self: self.main.repo_id)
    repo = property(lambda self: self.main.repo)
    issues = property(lambda self: self.main.issues)
    comments = property(lambda self: self.main.comments)
    review_comments = property(lambda self: self.main.review_comments)
    reviews = property(lambda self: self.main.reviews)
    releases = property(lambda self: self.main.releases)
    commits = property(lambda self: self.main.commits)
    stars = property(lambda self: self.main.stars)

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        self._thread = threading.Thread(
            target=self._srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._srv.shutdown()
        self._srv.server_close()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- inspection and scenarios -----------------------------------------------------------

    def count(self, pattern: str | None = None) -> int:
        """Requests whose path matches ``pattern`` (``re.search``); all when None."""
        rx = re.compile(pattern) if pattern else None
        return sum(1 for r in self.requests if rx is None or rx.search(r.path))

    def clear_log(self) -> None:
        self.requests.clear()

    def fail(self, pattern: str, kind: str, times: int = 1, *, after: int = 0, **kw: Any) -> None:
        """Answer ``times`` requests matching ``pattern`` with fault ``kind``, after letting
        the first ``after`` matching requests through."""
        with self._lock:
            self.faults.append(_Fault(re.compile(pattern), kind, times, kw, after))

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def rename(self, old_full_name: str, repo: FakeRepo | None = None) -> None:
        """``old_full_name`` now redirects (301) to ``repo`` (default: the first one)."""
        with self._lock:
            self.old_names[old_full_name.lower()] = repo or self.main

    def rename_to(self, new_full_name: str, repo: FakeRepo | None = None) -> None:
        """Rename a repository: its current name answers 301 from now on."""
        with self._lock:
            r = repo or self.main
            self.rename(r.full_name, r)
            r.full_name = new_full_name
            r.repo.update(full_name=new_full_name, name=new_full_name.split("/")[1])

    def touch_issue(self, number: int, when: datetime | None = None) -> None:
        """Mark issue/PR ``number`` of the first repository updated at ``when`` (default now)."""
        with self._lock:
            self.main.touch_issue(number, when)

    def add_activity(self, numbers: list[int], comments: int = 2, **when: Any) -> None:
        """New comments (and inline review comments on reviewed PRs) on items of the first
        repository, which move to now or ``when=``/``step=`` (``FakeRepo.add_activity``)."""
        with self._lock:
            self.main.add_activity(numbers, comments, **when)

    def find(self, path: str) -> tuple[FakeRepo, str] | None:
        """(repository, path below it) for ``/repos/{o}/{r}/…`` or ``/repositories/{id}/…``."""
        for r in self.repos:
            for prefix in (f"/repos/{r.full_name}", f"/repositories/{r.repo_id}"):
                low, pre = path.lower(), prefix.lower()
                if low == pre or low.startswith(pre + "/"):
                    return r, path[len(prefix) :]
        return None

    def rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(0, self.rate_remaining)),
            "X-RateLimit-Used": str(self.rate_limit - max(0, self.rate_remaining)),
            "X-RateLimit-Reset": str(int(self.rate_reset)),
            "X-RateLimit-Resource": "core",
        }

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

import copy
import hashlib
import json
import math
import re
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["FakeGitHub", "FakeRepo", "Recorded", "fast_policy"]

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "github-api"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _template(name: str) -> Any:
    data = json.loads((FIXTURES / name).read_text())
    return data[0] if isinstance(data, list) else data


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


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


class FakeRepo:
    """One generated repository: its payloads, and how its endpoints answer."""

    def __init__(
        self,
        full_name: str,
        repo_id: int,
        *,
        issues: int = 10,
        pr_every: int = 2,
        comments_per_issue: int = 1,
        reviews_per_pr: int = 1,
        review_comments_per_pr: int = 1,
        releases: int = 2,
        commits: int = 3,
        stars: int = 0,
        is_fork: bool = False,
    ) -> None:
        self.full_name = full_name
        self.repo_id = repo_id
        self._generate(
            issues,
            pr_every,
            comments_per_issue,
            reviews_per_pr,
            review_comments_per_pr,
            releases,
            commits,
            stars,
            is_fork,
        )

    def touch_issue(self, number: int, when: datetime | None = None) -> None:
        """Mark issue/PR ``number`` updated at ``when`` (default: now)."""
        self.issues[number]["updated_at"] = iso(when or datetime.now(UTC))

    def add_activity(
        self,
        numbers: list[int],
        comments: int = 2,
        when: datetime | None = None,
        step: timedelta = timedelta(0),
    ) -> None:
        """New conversation on ``numbers``: ``comments`` new comments each, and on a pull
        request with a review one more inline comment in that review; the i-th item moves to
        ``when + i * step`` (default: now, all at once)."""
        start = when or datetime.now(UTC)
        for i, k in enumerate(numbers):
            ts = iso(start + i * step)
            it = self.issues[k]
            it["updated_at"] = ts
            for _ in range(comments):
                self._next_id += 1
                c = copy.deepcopy(self.comments[0]) if self.comments else {}
                c.update(id=self._next_id, created_at=ts, updated_at=ts, body="new",
                         issue_url=it["url"], user=self._user(f"user{k % 17}"))  # fmt: skip
                self.comments.append(c)
                it["comments"] = int(it.get("comments") or 0) + 1
            reviews = self.reviews.get(k) or []
            if reviews and self.review_comments:
                self._next_id += 1
                c = copy.deepcopy(self.review_comments[0])
                c.update(id=self._next_id, created_at=ts, updated_at=ts, body="nit",
                         pull_request_url=it["pull_request"]["url"],
                         pull_request_review_id=reviews[0]["id"], user=self._user("maint"))  # fmt: skip
                self.review_comments.append(c)

    def _user(self, login: str) -> dict[str, Any]:
        u = copy.deepcopy(self._tpl_user)
        u.update(
            login=login,
            id=zlib.crc32(login.encode()) % 10**7,
            url=f"https://api.github.com/users/{login}",
        )
        u["type"] = "Bot" if login.endswith("[bot]") else "User"
        return u

    def _generate(
        self,
        n: int,
        pr_every: int,
        cpi: int,
        rpp: int,
        rcpp: int,
        n_rel: int,
        n_commits: int,
        n_stars: int,
        is_fork: bool,
    ) -> None:
        fn = self.full_name
        t_issue, t_com = (
            _template("issues-list-for-repo.json"),
            _template("issues-list-comments-for-repo.json"),
        )
        t_rev, t_rc = (
            _template("pulls-list-reviews.json"),
            _template("pulls-list-review-comments-for-repo.json"),
        )
        t_rel, t_commit = (
            _template("repos-list-releases.json"),
            _template("repos-list-commits.json"),
        )
        t_star = _template("activity-list-stargazers-for-repo.star+json.json")
        self._tpl_user = copy.deepcopy(t_issue["user"])
        repo = _template("repos-get.json")
        repo.update(
            id=self.repo_id,
            full_name=fn,
            name=fn.split("/")[1],
            fork=is_fork,
            topics=["health", "metrics"],
        )
        repo.update(html_url=f"https://github.com/{fn}", url=f"https://api.github.com/repos/{fn}")
        self.repo = repo
        self.community = _template("repos-get-community-profile-metrics.json")
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: list[dict[str, Any]] = []
        self.review_comments: list[dict[str, Any]] = []
        self.reviews: dict[int, list[dict[str, Any]]] = {}
        api = f"https://api.github.com/repos/{fn}"
        cid = 1000
        for k in range(1, n + 1):
            created = T0 + timedelta(hours=k)
            login = "dependabot[bot]" if k % 13 == 0 else f"user{k % 17}"
            it = copy.deepcopy(t_issue)
            it.pop("pull_request", None)
            it.update(
                id=10_000 + k,
                number=k,
                title=f"Item {k}",
                user=self._user(login),
                state="closed" if k % 3 else "open",
                state_reason="completed" if k % 3 else None,
                locked=False,
                comments=cpi,
                created_at=iso(created),
                updated_at=iso(created + timedelta(minutes=30 + k % 7)),
                closed_at=iso(created + timedelta(days=1)) if k % 3 else None,
                labels=[{"id": 1, "name": "bug"}] if k % 4 == 0 else [],
                assignees=[self._user("maint")] if k % 5 == 0 else [],
                url=f"{api}/issues/{k}",
                html_url=f"https://github.com/{fn}/issues/{k}",
            )
            it.pop("closed_by", None)
            if pr_every and k % pr_every == 0:
                merged = iso(created + timedelta(days=1)) if k % 3 else None
                it["pull_request"] = {"url": f"{api}/pulls/{k}", "merged_at": merged}
                it["state_reason"] = None  # GitHub gives pull requests no closing reason
                it["draft"] = k % 10 == 0
                if merged:
                    it["closed_by"] = self._user("maint")
                self.reviews[k] = []
                for j in range(rpp):
                    r = copy.deepcopy(t_rev)
                    r.update(
                        id=500_000 + k * 10 + j,
                        user=self._user(f"reviewer{(k + j) % 5}"),
                        state=("APPROVED", "COMMENTED", "CHANGES_REQUESTED")[(k + j) % 3],
                        submitted_at=iso(created + timedelta(hours=2, minutes=j)),
                        pull_request_url=f"{api}/pulls/{k}",
                        body="r" * (j + 1),
                    )
                    self.reviews[k].append(r)
                for j in range(rcpp):
                    c = copy.deepcopy(t_rc)
                    cid += 1
                    ts = iso(created + timedelta(hours=3, minutes=j))
                    c.update(
                        id=cid,
                        user=self._user(f"reviewer{(k + j) % 5}"),
                        created_at=ts,
                        updated_at=ts,
                        pull_request_url=f"{api}/pulls/{k}",
                        url=f"{api}/pulls/comments/{cid}",
                        body="x" * (j + 3),
                        # every review comment belongs to a review, as on GitHub
                        pull_request_review_id=500_000 + k * 10 + j % rpp if rpp else None,
                    )
                    self.review_comments.append(c)
            self.issues[k] = it
            for j in range(cpi):
                c = copy.deepcopy(t_com)
                cid += 1
                ts = iso(created + timedelta(minutes=40 + j))
                c.update(
                    id=cid,
                    user=self._user(f"user{(k + j + 1) % 17}"),
                    created_at=ts,
                    updated_at=ts,
                    issue_url=f"{api}/issues/{k}",
                    url=f"{api}/issues/comments/{cid}",
                    body="c" * (j + 2),
                )
                self.comments.append(c)
        self._next_id = cid + 10_000_000
        self.releases = []
        for j in range(n_rel):
            r = copy.deepcopy(t_rel)
            ts = iso(T0 + timedelta(days=30 * j))
            r.update(
                id=700 + j,
                tag_name=f"v1.{j}.0",
                name=f"1.{j}",
                created_at=ts,
                published_at=ts,
                prerelease=j % 4 == 3,
                draft=False,
                author=self._user("maint"),
            )
            self.releases.append(r)
        self.commits = []
        for j in range(n_commits):
            c = copy.deepcopy(t_commit)
            ts = iso(T0 + timedelta(hours=j, minutes=5))
            login = f"user{j % 17}"
            sha = hashlib.sha1(f"{fn}{j}".encode()).hexdigest()
            c.update(sha=sha, author=self._user(login) if j % 4 else None)
            c["commit"] = {
                **c["commit"],
                "author": {"name": f"User {j % 17}", "email": f"{login}@example.org", "date": ts},
                "committer": {
                    "name": f"User {j % 17}",
                    "email": f"{login}@example.org",
                    "date": ts,
                },
            }
            self.commits.append(c)
        self.stars = []
        for j in range(n_stars):
            s = copy.deepcopy(t_star)
            s.update(starred_at=iso(T0 + timedelta(hours=j)), user=self._user(f"fan{j}"))
            self.stars.append(s)

    # -- answering --------------------------------------------------------------------------

    def route(self, sub: str, q: dict[str, str]) -> tuple[int, Any]:
        """(status, payload) for a path below the repository."""
        since = q.get("since")
        if sub == "":
            return 200, self.repo
        if sub == "/community/profile":
            return (
                (404, {"message": "Not Found"}) if self.repo.get("fork") else (200, self.community)
            )
        if sub == "/issues":
            items = list(self.issues.values())
            state = q.get("state", "open")
            if state != "all":
                items = [i for i in items if i["state"] == state]
            return 200, self._order(items, q, since, "created")
        if sub == "/issues/comments":
            return 200, self._order(self.comments, q, since, "created", default_dir="asc")
        if sub == "/pulls/comments":
            return 200, self._order(self.review_comments, q, since, "created", default_dir="asc")
        m = re.fullmatch(r"/pulls/(\d+)/reviews", sub)
        if m:
            n = int(m.group(1))
            return (200, self.reviews[n]) if n in self.reviews else (404, {"message": "Not Found"})
        if sub == "/releases":
            return 200, sorted(self.releases, key=lambda r: r["created_at"], reverse=True)
        if sub == "/commits":
            items = [
                c for c in self.commits if not since or c["commit"]["committer"]["date"] >= since
            ]
            return 200, sorted(items, key=lambda c: c["commit"]["committer"]["date"], reverse=True)
        if sub == "/stargazers":
            return 200, self.stars
        return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}

    @staticmethod
    def _order(
        items: list[dict[str, Any]],
        q: dict[str, str],
        since: str | None,
        default_sort: str,
        default_dir: str = "desc",
    ) -> list[dict[str, Any]]:
        if since:
            items = [i for i in items if i["updated_at"] >= since]
        key = "updated_at" if q.get("sort", default_sort) == "updated" else "created_at"
        desc = q.get("direction", default_dir) == "desc"
        return sorted(items, key=lambda i: (i[key], i.get("number", i.get("id"))), reverse=desc)


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
        self._srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body leave in one segment (no delayed-ACK stalls)
    server_version = "FakeGitHub/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # silence the default stderr log
        pass

    @property
    def fake(self) -> FakeGitHub:
        return self.server.fake  # type: ignore[attr-defined,no-any-return]

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if status != 304:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        text = json.dumps(payload).replace("https://api.github.com", self.fake.url)
        self._send(status, text.encode(), {**self.fake.rate_headers(), **(headers or {})})

    def do_POST(self) -> None:
        """``POST /graphql`` (``/api/graphql`` under a GitHub Enterprise prefix)."""
        from tests.github_graphql_server import execute

        fake = self.fake
        path = urllib.parse.urlparse(self.path).path
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        endpoint = (fake.prefix.removesuffix("/v3") or "") + "/graphql"
        with fake._lock:
            fake.requests.append(Recorded("POST", path, {}, headers))
            if path != endpoint or not fake.graphql:
                return self._json(404, {"message": "Not Found"})
            if fake.token is not None and headers.get("authorization") != f"bearer {fake.token}":
                return self._json(401, {"message": "Bad credentials"})
            text = body.decode("utf-8", "replace")
            fault = next(
                (
                    f
                    for f in fake.faults
                    if f.times > 0
                    and f.pattern.search(path)
                    and f.kw.get("when", lambda q: True)(text)
                ),
                None,
            )
            if fault and fault.after > 0:
                fault.after -= 1
                fault = None
            if fault:
                fault.times -= 1
                if fault.kind in ("rate_limited", "graphql_errors", "partial"):
                    return self._graphql_fault(fault, body)
                if fault.kind != "delay":
                    return self._fault(fault)
        if fault:
            time.sleep(fault.kw.get("seconds", 1.0))
        with fake._lock:
            status, answer, extra = execute(fake, body)
            return self._graphql_answer(status, answer, extra)

    def _graphql_answer(self, status: int, answer: Any, extra: dict[str, str]) -> None:
        fake = self.fake
        rate = {
            "X-RateLimit-Limit": str(fake.graphql_limit),
            "X-RateLimit-Remaining": str(max(0, fake.graphql_remaining)),
            "X-RateLimit-Reset": str(int(fake.graphql_reset)),
            "X-RateLimit-Resource": "graphql",
        }
        text = json.dumps(answer).replace("https://api.github.com", fake.url)
        self._send(status, text.encode(), {**rate, **extra})

    def _graphql_fault(self, f: _Fault, body: bytes) -> None:
        from tests.github_graphql_server import execute

        fake = self.fake
        if f.kind == "rate_limited":
            fake.graphql_remaining = 0
            fake.graphql_reset = math.ceil(time.time() + f.kw.get("reset_in", 1.0))
            msg = "API rate limit exceeded for user ID 1."
            return self._graphql_answer(
                200, {"errors": [{"type": "RATE_LIMITED", "message": msg}]}, {}
            )
        if f.kind == "graphql_errors":
            err = {"type": f.kw.get("type", "NOT_FOUND"), "message": f.kw.get("message", "error")}
            if "path" in f.kw:
                err["path"] = f.kw["path"]
            return self._graphql_answer(200, {"data": f.kw.get("data"), "errors": [err]}, {})
        # "partial": the real answer with one item's author withheld, as GitHub does for
        # resources a token may not see (e.g. an organization with SAML enforcement)
        status, answer, extra = execute(fake, body)
        repo = (answer.get("data") or {}).get("repository") or {}
        conn = f.kw.get("connection", "pullRequests")
        nodes = (repo.get(conn) or {}).get("nodes") or []
        if nodes:
            nodes[0]["author"] = None
            answer["errors"] = [
                {
                    "type": f.kw.get("type", "FORBIDDEN"),
                    "path": ["repository", conn, "nodes", 0, "author"],
                    "message": "Resource protected by organization SAML enforcement.",
                }
            ]
        return self._graphql_answer(status, answer, extra)

    def do_GET(self) -> None:
        fake = self.fake
        parsed = urllib.parse.urlparse(self.path)
        if fake.prefix:
            if not parsed.path.startswith(fake.prefix + "/"):
                return self._send(404, b'{"message": "Not Found"}')
            parsed = parsed._replace(path=parsed.path[len(fake.prefix) :])
        query = dict(urllib.parse.parse_qsl(parsed.query))
        headers = {k.lower(): v for k, v in self.headers.items()}
        with fake._lock:
            fake.requests.append(Recorded("GET", self.path.split("?")[0], query, headers))
            if fake.token is not None and headers.get("authorization") != f"token {fake.token}":
                return self._json(
                    401,
                    {
                        "message": "Bad credentials",
                        "documentation_url": "https://docs.github.com/rest",
                    },
                )
            fault = next(
                (f for f in fake.faults if f.times > 0 and f.pattern.search(parsed.path)), None
            )
            if fault and fault.after > 0:
                fault.after -= 1
                fault = None
            if fault:
                fault.times -= 1
                if fault.kind != "delay":
                    return self._fault(fault)
        if fault:  # "delay": a slow answer; other requests are served meanwhile
            time.sleep(fault.kw.get("seconds", 1.0))
        with fake._lock:
            if parsed.path == "/rate_limit":
                return self._json(200, {"resources": {}, "rate": {}})
            found = fake.find(parsed.path)
            if found is None:
                m = re.match(r"^/repos/([^/]+/[^/]+)(/.*)?$", parsed.path)
                if m and m.group(1).lower() in fake.old_names:
                    target = fake.old_names[m.group(1).lower()]
                    loc = f"{fake.url}/repositories/{target.repo_id}{m.group(2) or ''}"
                    if parsed.query:
                        loc += "?" + parsed.query
                    return self._json(
                        301, {"message": "Moved Permanently", "url": loc}, {"Location": loc}
                    )
                return self._json(
                    404,
                    {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"},
                )
            # the primary budget; 304s are not charged (see _answer)
            if fake.rate_remaining <= 0:
                if time.time() >= fake.rate_reset:
                    fake.rate_remaining = fake.rate_limit
                    fake.rate_reset = math.ceil(time.time() + 3600)
                else:
                    return self._json(
                        403,
                        {
                            "message": "API rate limit exceeded for 127.0.0.1.",
                            "documentation_url": "https://docs.github.com/rest",
                        },
                    )
            repo, sub = found
            status, payload = repo.route(sub, query)
            if status != 200 or not isinstance(payload, list):
                return self._answer(status, payload, headers)
            per_page = min(100, int(query.get("per_page", 30)))
            page = max(1, int(query.get("page", 1)))
            last = max(1, -(-len(payload) // per_page))
            items = payload[(page - 1) * per_page : page * per_page]
            extra = {}
            if last > 1:
                extra["Link"] = self._links(repo, sub, query, page, last)
            return self._answer(200, items, headers, extra)

    def _links(self, repo: FakeRepo, sub: str, query: dict[str, str], page: int, last: int) -> str:
        fake = self.fake

        def url(p: int) -> str:
            q = {**query, "page": str(p)}
            return f"<{fake.url}/repositories/{repo.repo_id}{sub}?{urllib.parse.urlencode(sorted(q.items()))}>"

        rels = []
        if page > 1:
            rels.append(f'{url(page - 1)}; rel="prev"')
        if page < last:
            rels += [f'{url(page + 1)}; rel="next"', f'{url(last)}; rel="last"']
        if page > 1:
            rels.append(f'{url(1)}; rel="first"')
        return ", ".join(rels)

    def _answer(
        self, status: int, payload: Any, req: dict[str, str], extra: dict[str, str] | None = None
    ) -> None:
        fake = self.fake
        text = json.dumps(payload).replace("https://api.github.com", fake.url)
        etag = '"' + hashlib.sha1(text.encode()).hexdigest() + '"'
        if status == 200 and req.get("if-none-match", "").removeprefix("W/") == etag:
            return self._send(304, b"", {**fake.rate_headers(), "ETag": etag, **(extra or {})})
        fake.rate_remaining -= 1
        self._send(status, text.encode(), {**fake.rate_headers(), "ETag": etag, **(extra or {})})

    def _fault(self, f: _Fault) -> None:
        fake = self.fake
        if f.kind == "status":
            return self._json(
                f.kw.get("status", 500), {"message": f.kw.get("message", "Server Error")}
            )
        if f.kind == "secondary":
            ra = f.kw.get("retry_after", 1)
            headers = {"Retry-After": str(ra)} if ra is not None else {}
            msg = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            return self._json(f.kw.get("status", 403), {"message": msg}, headers)
        if f.kind == "primary":
            fake.rate_remaining = 0
            fake.rate_reset = math.ceil(time.time() + f.kw.get("reset_in", 1.0))
            return self._json(403, {"message": "API rate limit exceeded for 127.0.0.1."})
        if f.kind == "accepted":
            return self._json(202, {})
        if f.kind == "malformed":
            return self._send(200, b'{"message": "oops', fake.rate_headers())
        if f.kind == "disconnect":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b'[{"id": 1, "number"')
            self.wfile.flush()
            self.close_connection = True
            return None
        raise ValueError(f"unknown fault kind {f.kind!r}")

"""Collect one GitHub repository into the store: incremental, resumable, rate-limit safe.

What is requested, in order, and why it is close to the minimum (docs/collect-github.md):

==================  =========================================================  ==================
endpoint            request                                                    increment
==================  =========================================================  ==================
repo                ``GET /repos/{o}/{r}``                                     ETag
community           ``GET /repos/{o}/{r}/community/profile`` (not for forks)   ETag
issues              ``GET /repos/{o}/{r}/issues?state=all&sort=updated&…``     ``since`` + ETag
issues/comments     ``GET /repos/{o}/{r}/issues/comments?sort=updated&…``      ``since`` + ETag
pulls/comments      ``GET /repos/{o}/{r}/pulls/comments?sort=updated&…``       ``since`` + ETag
pulls/reviews       ``GET /repos/{o}/{r}/pulls/{n}/reviews`` per updated PR     PR updated_at
releases            ``GET /repos/{o}/{r}/releases``                            ETag on page 1
commits             ``GET /repos/{o}/{r}/commits?since=…`` (login links only)  ``since`` + ETag
stargazers          ``GET /repos/{o}/{r}/stargazers`` (``--stars``)            last page + ETag
==================  =========================================================  ==================

Each page is written in one transaction together with the endpoint's cursor in ``sync_state``,
so a run that stops anywhere resumes from its last committed page, and a stopped-then-resumed
run leaves the same rows as an uninterrupted one. A ``since`` listing ends with one request at
the new cursor (minus the overlap) whose ETag is kept: the next run of an unchanged repository
sends only conditional requests, each answered ``304`` at no rate-limit cost.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from ossmetrics.collect import github_save as save
from ossmetrics.collect.github_client import GitHubClient, Response, RetryPolicy
from ossmetrics.collect.identities import merge_identities
from ossmetrics.config import redact
from ossmetrics.errors import GitHubError
from ossmetrics.store import ensure_repo, transaction
from ossmetrics.store.repos import validate_repo_name

__all__ = [
    "ANONYMOUS_WARNING",
    "GitHubCollectResult",
    "ProgressHook",
    "RetryPolicy",
    "collect_github",
    "finish_identities",
]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # the CLI prints its own warning; apps configure logging

ANONYMOUS_WARNING = "no GitHub token set: anonymous access allows only 60 requests per hour"

PER_PAGE = 100
REVIEW_BATCH = 25  # pull requests whose reviews are committed together
_MAX_CLOSING_ROUNDS = 5
STAR_MEDIA_TYPE = "application/vnd.github.star+json"


class ProgressHook:
    """What a display is told. Subclass and override; the default does nothing."""

    def endpoint(self, name: str) -> None:
        """Started collecting ``name``."""

    def items(self, name: str, n: int) -> None:
        """``n`` more items of ``name`` were saved."""

    def wait(self, seconds_left: float, reason: str) -> None:
        """Waiting (rate limit, backoff); called about once a second, 0 when done."""


class _PrintHook(ProgressHook):
    """``progress=True`` without a display of the caller's: plain lines on stderr."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False)
        self._last = -1

    def endpoint(self, name: str) -> None:
        self.console.print(f"github: {name}", markup=False)

    def wait(self, seconds_left: float, reason: str) -> None:
        s = int(seconds_left)
        if s != self._last and (s % 10 == 0 or s <= 5):
            self.console.print(f"github: {reason}, {s} s left", markup=False)
        self._last = s


@dataclass
class GitHubCollectResult:
    """What one ``collect_github`` run did: requests sent, 304s among them, items per table."""

    repo: str
    repo_id: int
    requests: int = 0
    not_modified: int = 0
    items: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    renamed_from: str | None = None
    waited_s: float = 0.0


@dataclass
class _Ctx:
    con: duckdb.DuckDBPyConnection
    client: GitHubClient
    repo_id: int
    full_name: str
    hook: ProgressHook
    since: datetime | None
    overlap: timedelta
    result: GitHubCollectResult

    @property
    def base(self) -> str:
        return f"/repos/{self.full_name}"

    def count(self, name: str, n: int) -> None:
        self.result.items[name] = self.result.items.get(name, 0) + n
        if n:
            self.hook.items(name, n)


def collect_github(
    con: duckdb.DuckDBPyConnection,
    repo: str,
    *,
    token: str | None,
    api_url: str = "https://api.github.com",
    since: datetime | date | None = None,
    max_wait: float = 900,
    stars: bool = False,
    progress: bool | ProgressHook = False,
    commits: bool = True,
    policy: RetryPolicy | None = None,
    overlap_s: float = 60.0,
    extra_bots: Sequence[str] = (),
) -> GitHubCollectResult:
    """Collect (or bring up to date) ``repo`` from the GitHub API at ``api_url``.

    Args:
        token: a GitHub token, or None for anonymous access (60 requests/hour).
        since: on the first collection of the repository, only items updated from then on;
            later runs continue from their stored cursors.
        max_wait: longest wait for a rate-limit reset before stopping with ``RateLimited``.
        stars: also collect stargazers with their ``starred_at`` times.
        progress: True for lines on stderr, or a ``ProgressHook`` of the caller's.
        commits: link commit author logins to git identities via ``GET /commits``.
        policy: retry and wait settings (tests make them tiny).
        overlap_s: how far before a cursor each ``since`` request starts (``since`` is not
            documented as inclusive, and clocks differ).
        extra_bots: bot names/emails on top of the built-in rules for the identity re-merge
            (callers pass the ``bots`` setting).
    """
    started = time.monotonic()
    if not token:
        log.warning(ANONYMOUS_WARNING)
    requested = validate_repo_name(repo)
    hook = (
        progress
        if isinstance(progress, ProgressHook)
        else (_PrintHook() if progress else ProgressHook())
    )
    pol = dataclasses.replace(policy or RetryPolicy(), max_wait=float(max_wait))
    client = GitHubClient(
        token=token, api_url=api_url, policy=pol, on_wait=hook.wait, repo=requested
    )
    since_dt = _as_utc(since)
    existing = _existing_repo(con, requested)
    result = GitHubCollectResult(repo=requested, repo_id=existing[0] if existing else 0)
    try:
        full_name = existing[1] if existing else requested
        ctx = _sync_repo(con, client, existing, full_name, requested, hook, result)
        ctx.since = since_dt
        ctx.overlap = timedelta(seconds=overlap_s)
        steps: list[tuple[str, Callable[[_Ctx], None]]] = [
            ("community", _sync_community),
            ("issues", _sync_issues),
            ("issues/comments", _sync_issue_comments),
            ("pulls/comments", _sync_review_comments),
            ("pulls/reviews", _sync_reviews),
            ("releases", _sync_releases),
        ]
        if commits:
            steps.append(("commits", _sync_commits))
        if stars:
            steps.append(("stargazers", _sync_stars))
        try:
            for name, step in steps:
                hook.endpoint(name)
                _guarded(ctx, name, step)
        except Exception:
            # the pages written so far stay; their people must exist even if this run stops
            try:
                finish_identities(con, extra_bots)
            except Exception:  # never hide the error that stopped the run
                log.exception("identity merge after a failed GitHub run failed too")
            raise
        finish_identities(con, extra_bots)
    finally:
        client.close()
        result.requests = client.requests
        result.not_modified = client.not_modified
        result.waited_s = client.waited_s
        result.seconds = time.monotonic() - started
    return result


# -- identities ------------------------------------------------------------------------------


def finish_identities(con: duckdb.DuckDBPyConnection, extra_bots: Sequence[str] = ()) -> None:
    """Give every identity a person: the identity merge, with the user's bot names."""
    merge_identities(con, extra_bots=extra_bots)  # its own transaction


# -- sync state ------------------------------------------------------------------------------


def _state(ctx: _Ctx, endpoint: str) -> tuple[str | None, str | None]:
    row = ctx.con.execute(
        "SELECT cursor, etag FROM sync_state WHERE repo_id = ? AND source = 'github' AND endpoint = ?",
        [ctx.repo_id, endpoint],
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def _set_state(
    con: duckdb.DuckDBPyConnection,
    repo_id: int,
    endpoint: str,
    *,
    cursor: str | None,
    etag: str | None,
    done: bool = False,
) -> None:
    con.execute(
        """
        INSERT INTO sync_state (repo_id, source, endpoint, cursor, etag, last_success_at, last_error, updated_at)
        VALUES (?, 'github', ?, ?, ?, CASE WHEN ? THEN now() END, NULL, now())
        ON CONFLICT (repo_id, source, endpoint) DO UPDATE SET
            cursor = excluded.cursor, etag = excluded.etag, last_error = NULL,
            last_success_at = coalesce(excluded.last_success_at, sync_state.last_success_at),
            updated_at = excluded.updated_at
        """,
        [repo_id, endpoint, cursor, etag, done],
    )


def _guarded(ctx: _Ctx, endpoint: str, step: Callable[[_Ctx], None]) -> None:
    """Run one endpoint; on failure record ``last_error`` (the pages before it stay committed)."""
    try:
        step(ctx)
    except (GitHubError, OSError) as exc:
        message = redact(
            exc.one_line() if isinstance(exc, GitHubError) else str(exc), ctx.client.token
        )
        ctx.con.execute(
            """
            INSERT INTO sync_state (repo_id, source, endpoint, last_error, updated_at)
            VALUES (?, 'github', ?, ?, now())
            ON CONFLICT (repo_id, source, endpoint) DO UPDATE SET last_error = excluded.last_error,
                updated_at = excluded.updated_at
            """,
            [ctx.repo_id, endpoint, message],
        )
        raise


def _mark_done(ctx: _Ctx, endpoint: str) -> None:
    ctx.con.execute(
        "UPDATE sync_state SET last_success_at = now(), last_error = NULL WHERE repo_id = ? AND source = 'github' AND endpoint = ?",
        [ctx.repo_id, endpoint],
    )


# -- repository and community ---------------------------------------------------------------


def _existing_repo(con: duckdb.DuckDBPyConnection, name: str) -> tuple[int, str] | None:
    row = con.execute(
        "SELECT repo_id, full_name FROM repos WHERE lower(full_name) = lower(?) OR list_contains(list_transform(coalesce(renamed_from, []), lambda x: lower(x)), lower(?))",
        [name, name],
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def _sync_repo(
    con: duckdb.DuckDBPyConnection,
    client: GitHubClient,
    existing: tuple[int, str] | None,
    full_name: str,
    requested: str,
    hook: ProgressHook,
    result: GitHubCollectResult,
) -> _Ctx:
    """``GET /repos/{o}/{r}`` first: nothing is written for a repository GitHub does not know."""
    hook.endpoint("repo")
    etag = None
    if existing:
        row = con.execute(
            "SELECT etag FROM sync_state WHERE repo_id = ? AND source = 'github' AND endpoint = 'repo'",
            [existing[0]],
        ).fetchone()
        etag = row[0] if row else None
    resp = client.get(f"/repos/{full_name}", etag=etag)
    data = resp.data if resp.status == 200 and isinstance(resp.data, dict) else None
    actual = str(data.get("full_name") or full_name) if data else full_name
    if not existing and actual.lower() != full_name.lower():
        existing = _existing_repo(con, actual)  # known under its current name already
        if existing:
            full_name = existing[1]
    elif existing and actual.lower() != full_name.lower():
        other = _existing_repo(con, actual)
        if other and other[0] != existing[0]:
            raise GitHubError(
                f"{full_name} was renamed to {actual}, which the store holds as another repository",
                f"collect {actual} instead, or remove one of the two from the store",
                repo=full_name,
            )
    with transaction(con):
        repo_id = existing[0] if existing else ensure_repo(con, requested)
        if data is not None:
            new_name = save.save_repo(con, repo_id, data, requested)
            if new_name.lower() != requested.lower():
                result.renamed_from = requested
            full_name = new_name
            _set_state(con, repo_id, "repo", cursor=None, etag=resp.etag, done=True)
    result.repo = full_name
    result.repo_id = repo_id
    client.repo = full_name
    return _Ctx(con, client, repo_id, full_name, hook, None, timedelta(0), result)


def _sync_community(ctx: _Ctx) -> None:
    fork = ctx.con.execute("SELECT is_fork FROM repos WHERE repo_id = ?", [ctx.repo_id]).fetchone()
    if fork and fork[0]:
        return  # GitHub has no community profile for forks
    _, etag = _state(ctx, "community")
    resp = ctx.client.get(f"{ctx.base}/community/profile", etag=etag, allow_404=True)
    if resp.status == 304:
        _mark_done(ctx, "community")
        return
    with transaction(ctx.con):
        save.save_community(ctx.con, ctx.repo_id, resp.data if resp.status == 200 else None)
        _set_state(ctx.con, ctx.repo_id, "community", cursor=None, etag=resp.etag, done=True)


# -- since-cursor listings ------------------------------------------------------------------


def _fmt(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_utc(value: datetime | date | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sync_since(
    ctx: _Ctx,
    endpoint: str,
    path: str,
    params: dict[str, Any],
    save_page: Callable[[Sequence[dict[str, Any]]], int],
    stamp: Callable[[dict[str, Any]], str | None],
    *,
    ascending: bool = True,
) -> None:
    """Page through a ``since``-filtered list, committing rows and cursor page by page.

    Ascending lists advance the cursor with every page (resume = continue); a descending list
    (commits) only once it is fully read. The listing repeats from the new cursor until a
    request brings nothing newer; that last request's ETag (kept only when it is a single,
    non-full page, so a 304 cannot hide a second page) makes the next unchanged run a 304.
    """
    cursor, etag = _state(ctx, endpoint)
    first_since = ctx.since if cursor is None else None
    for _round in range(_MAX_CLOSING_ROUNDS):
        cursor_ts = save.parse_ts(cursor)
        since = cursor_ts - ctx.overlap if cursor_ts is not None else first_since
        query = dict(params, per_page=PER_PAGE)
        if since is not None:
            query["since"] = _fmt(since)
        resp: Response | None = ctx.client.get(path, query, etag=etag)
        assert resp is not None
        if resp.status == 304:
            _mark_done(ctx, endpoint)
            return
        single = resp.next_url is None
        start_cursor = cursor
        pending = cursor
        while resp is not None:
            items = resp.data if isinstance(resp.data, list) else []
            stamps = [s for s in (stamp(i) for i in items) if s]
            newest = max(stamps, key=lambda s: save.parse_ts(s) or datetime.min) if stamps else None
            if newest and (pending is None or save.parse_ts(newest) > save.parse_ts(pending)):  # type: ignore[operator]
                pending = newest
            last = resp.next_url is None
            if ascending or last:
                cursor = pending
            keep_etag = single and cursor == start_cursor and len(items) < PER_PAGE
            with transaction(ctx.con):
                save_page(items)
                _set_state(
                    ctx.con,
                    ctx.repo_id,
                    endpoint,
                    cursor=cursor,
                    etag=resp.etag if keep_etag else None,
                    done=last and keep_etag,
                )
            # count what is new since the listing's start, not the overlap read again
            start_ts = save.parse_ts(start_cursor)
            fresh = [
                p for p in map(save.parse_ts, stamps) if start_ts is None or (p and p > start_ts)
            ]
            ctx.count(endpoint, len(fresh))
            resp = None if last else ctx.client.get(resp.next_url)  # type: ignore[arg-type]
        if cursor == start_cursor:
            _mark_done(ctx, endpoint)
            return  # nothing newer than where we started: done (ETag kept when it is safe)
        etag = None
    _mark_done(ctx, endpoint)


def _sync_issues(ctx: _Ctx) -> None:
    _sync_since(
        ctx,
        "issues",
        f"{ctx.base}/issues",
        {"state": "all", "sort": "updated", "direction": "asc"},
        lambda items: save.save_issues(ctx.con, ctx.repo_id, items),
        lambda i: i.get("updated_at"),
    )


def _sync_issue_comments(ctx: _Ctx) -> None:
    _sync_since(
        ctx,
        "issues/comments",
        f"{ctx.base}/issues/comments",
        {"sort": "updated", "direction": "asc"},
        lambda items: save.save_comments(ctx.con, ctx.repo_id, items, "issue"),
        lambda c: c.get("updated_at"),
    )


def _sync_review_comments(ctx: _Ctx) -> None:
    _sync_since(
        ctx,
        "pulls/comments",
        f"{ctx.base}/pulls/comments",
        {"sort": "updated", "direction": "asc"},
        lambda items: save.save_comments(ctx.con, ctx.repo_id, items, "review_comment"),
        lambda c: c.get("updated_at"),
    )


def _sync_commits(ctx: _Ctx) -> None:
    _sync_since(
        ctx,
        "commits",
        f"{ctx.base}/commits",
        {},
        lambda items: save.link_commit_logins(ctx.con, ctx.repo_id, items),
        lambda c: ((c.get("commit") or {}).get("committer") or {}).get("date"),
        ascending=False,
    )


def _sync_reviews(ctx: _Ctx) -> None:
    """Reviews of every PR updated since the last run: one request per PR (no repo-wide list).

    The cursor is ``updated_at|number`` of the last PR done, in that order, so a resumed run
    continues with the next PR and never re-asks for one already done.
    """
    cursor, _ = _state(ctx, "pulls/reviews")
    ts, num = cursor.split("|", 1) if cursor else (None, "0")
    prs = ctx.con.execute(
        """
        SELECT number, updated_at FROM issues
        WHERE repo_id = $repo AND is_pull
          AND ($ts::TIMESTAMPTZ IS NULL OR updated_at > $ts::TIMESTAMPTZ
               OR (updated_at = $ts::TIMESTAMPTZ AND number > $num))
        ORDER BY updated_at, number
        """,
        {"repo": ctx.repo_id, "ts": ts, "num": int(num)},
    ).fetchall()
    batch: list[tuple[int, list[dict[str, Any]]]] = []
    for idx, (number, updated) in enumerate(prs):
        items: list[dict[str, Any]] = []
        resp: Response | None = ctx.client.get(
            f"{ctx.base}/pulls/{number}/reviews", {"per_page": PER_PAGE}
        )
        while resp is not None:
            items.extend(resp.data if isinstance(resp.data, list) else [])
            resp = ctx.client.get(resp.next_url) if resp.next_url else None
        batch.append((int(number), items))
        if len(batch) >= REVIEW_BATCH or idx == len(prs) - 1:
            # One commit per batch of PRs: a commit costs ~10 ms, a resumed run redoes < a batch.
            with transaction(ctx.con):
                n = save.save_reviews(ctx.con, ctx.repo_id, batch)
                _set_state(
                    ctx.con,
                    ctx.repo_id,
                    "pulls/reviews",
                    cursor=f"{_fmt(updated)}|{number}",
                    etag=None,
                )
            ctx.count("pulls/reviews", n)
            batch = []
    if not prs and cursor is None:
        with transaction(ctx.con):
            _set_state(ctx.con, ctx.repo_id, "pulls/reviews", cursor=None, etag=None, done=True)
    _mark_done(ctx, "pulls/reviews")


def _sync_releases(ctx: _Ctx) -> None:
    """Releases come newest first: a 304 on page 1 means nothing was added."""
    _, etag = _state(ctx, "releases")
    resp: Response | None = ctx.client.get(
        f"{ctx.base}/releases", {"per_page": PER_PAGE}, etag=etag
    )
    assert resp is not None
    if resp.status == 304:
        _mark_done(ctx, "releases")
        return
    first_etag = resp.etag
    items: list[dict[str, Any]] = []
    while resp is not None:
        items.extend(resp.data if isinstance(resp.data, list) else [])
        resp = ctx.client.get(resp.next_url) if resp.next_url else None
    with transaction(ctx.con):
        n = save.save_releases(ctx.con, ctx.repo_id, items)
        _set_state(ctx.con, ctx.repo_id, "releases", cursor=None, etag=first_etag, done=True)
    ctx.count("releases", n)


def _page_of(url: str) -> int:
    q = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    return int(q.get("page", ["1"])[0])


def _sync_stars(ctx: _Ctx) -> None:
    """Stargazers, oldest first: re-read from the last page seen (its ETag makes that a 304)."""
    cursor, etag = _state(ctx, "stargazers")
    page = int(cursor or 1)
    resp: Response | None = ctx.client.get(
        f"{ctx.base}/stargazers",
        {"per_page": PER_PAGE, "page": page},
        etag=etag,
        accept=STAR_MEDIA_TYPE,
    )
    assert resp is not None
    if resp.status == 304:
        _mark_done(ctx, "stargazers")
        return
    while resp is not None:
        items = resp.data if isinstance(resp.data, list) else []
        last = resp.next_url is None
        keep = last and len(items) < PER_PAGE
        with transaction(ctx.con):
            n = save.save_stargazers(ctx.con, ctx.repo_id, items)
            _set_state(
                ctx.con,
                ctx.repo_id,
                "stargazers",
                cursor=str(page),
                etag=resp.etag if keep else None,
                done=last,
            )
        ctx.count("stargazers", n)
        if last:
            break
        page = _page_of(resp.next_url)  # type: ignore[arg-type]
        resp = ctx.client.get(resp.next_url, accept=STAR_MEDIA_TYPE)  # type: ignore[arg-type]

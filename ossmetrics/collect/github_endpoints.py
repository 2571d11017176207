"""One function per REST endpoint: read pages (``github_paging``), write them with their cursor.

Each ``sync_*`` takes the run's ``Ctx`` and leaves the endpoint's ``sync_state`` row current.
Pages are written in one transaction with their cursor, so a run that stops anywhere resumes
from its last committed page, and a stopped-then-resumed run leaves the same rows as an
uninterrupted one.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import duckdb

from ossmetrics.collect import github_save as save
from ossmetrics.collect import github_save_repo as save_repo
from ossmetrics.collect.github_client import GitHubClient, Response
from ossmetrics.collect.github_paging import PER_PAGE, all_items, fmt, since_pages
from ossmetrics.collect.sync_state import get_state, mark_done, record_error, set_state
from ossmetrics.errors import GitHubError
from ossmetrics.secret_env import redact
from ossmetrics.store import ensure_repo, transaction

__all__ = [
    "Ctx",
    "changed_estimate",
    "existing_repo",
    "guarded",
    "prs_to_review",
    "sync_commits",
    "sync_community",
    "sync_issue_comments",
    "sync_issues",
    "sync_releases",
    "sync_repo",
    "sync_review_comments",
    "sync_reviews",
    "sync_stars",
    "write_reviews",
]

SOURCE = "github"
REVIEW_BATCH = 25  # pull requests whose reviews are committed together
STAR_MEDIA_TYPE = "application/vnd.github.star+json"


class Hook(Protocol):
    def endpoint(self, name: str) -> None: ...
    def items(self, name: str, n: int) -> None: ...


@dataclass
class Ctx:
    """What every endpoint of one run needs: the store, the client, the repository, counters."""

    con: duckdb.DuckDBPyConnection
    client: GitHubClient
    repo_id: int
    full_name: str
    hook: Hook
    since: datetime | None
    overlap: timedelta
    items: dict[str, int]

    @property
    def base(self) -> str:
        return f"/repos/{self.full_name}"

    def count(self, name: str, n: int) -> None:
        self.items[name] = self.items.get(name, 0) + n
        if n:
            self.hook.items(name, n)

    def state(self, endpoint: str) -> tuple[str | None, str | None]:
        return get_state(self.con, self.repo_id, SOURCE, endpoint)

    def set_state(
        self, endpoint: str, *, cursor: str | None, etag: str | None = None, done: bool = False
    ) -> None:
        set_state(self.con, self.repo_id, SOURCE, endpoint, cursor=cursor, etag=etag, done=done)

    def done(self, endpoint: str) -> None:
        mark_done(self.con, self.repo_id, SOURCE, endpoint)


def guarded(ctx: Ctx, endpoint: str, step: Callable[[Ctx], None]) -> None:
    """Run one endpoint; on failure record ``last_error`` (the pages before it stay committed)."""
    try:
        step(ctx)
    except (GitHubError, OSError) as exc:
        text = exc.one_line() if isinstance(exc, GitHubError) else str(exc)
        record_error(ctx.con, ctx.repo_id, SOURCE, endpoint, redact(text, ctx.client.token))
        raise


# -- repository and community ---------------------------------------------------------------


def existing_repo(con: duckdb.DuckDBPyConnection, name: str) -> tuple[int, str] | None:
    """(repo_id, full_name) of a stored repository known as ``name`` now or before a rename."""
    row = con.execute(
        "SELECT repo_id, full_name FROM repos WHERE lower(full_name) = lower(?) OR list_contains(list_transform(coalesce(renamed_from, []), lambda x: lower(x)), lower(?))",
        [name, name],
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def sync_repo(
    con: duckdb.DuckDBPyConnection,
    client: GitHubClient,
    existing: tuple[int, str] | None,
    requested: str,
    hook: Hook,
) -> tuple[int, str, str | None]:
    """``GET /repos/{o}/{r}`` first: nothing is written for a repository GitHub does not know.

    Returns (repo_id, current full name, the name it was renamed from or None).
    """
    hook.endpoint("repo")
    full_name = existing[1] if existing else requested
    etag = get_state(con, existing[0], SOURCE, "repo")[1] if existing else None
    resp = client.get(f"/repos/{full_name}", etag=etag)
    data = resp.data if resp.status == 200 and isinstance(resp.data, dict) else None
    actual = str(data.get("full_name") or full_name) if data else full_name
    if not existing and actual.lower() != full_name.lower():
        existing = existing_repo(con, actual)  # known under its current name already
        if existing:
            full_name = existing[1]
    elif existing and actual.lower() != full_name.lower():
        other = existing_repo(con, actual)
        if other and other[0] != existing[0]:
            raise GitHubError(
                f"{full_name} was renamed to {actual}, which the store holds as another repository",
                f"collect {actual} instead, or remove one of the two from the store",
                repo=full_name,
            )
    renamed_from = None
    with transaction(con):
        repo_id = existing[0] if existing else ensure_repo(con, requested)
        if data is not None:
            new_name = save_repo.save_repo(con, repo_id, data, requested)
            if new_name.lower() != requested.lower():
                renamed_from = requested
            full_name = new_name
            set_state(con, repo_id, SOURCE, "repo", cursor=None, etag=resp.etag, done=True)
    client.repo = full_name
    return repo_id, full_name, renamed_from


def sync_community(ctx: Ctx) -> None:
    fork = ctx.con.execute("SELECT is_fork FROM repos WHERE repo_id = ?", [ctx.repo_id]).fetchone()
    if fork and fork[0]:
        return  # GitHub has no community profile for forks
    _, etag = ctx.state("community")
    resp = ctx.client.get(f"{ctx.base}/community/profile", etag=etag, allow_404=True)
    if resp.status == 304:
        ctx.done("community")
        return
    with transaction(ctx.con):
        save_repo.save_community(ctx.con, ctx.repo_id, resp.data if resp.status == 200 else None)
        ctx.set_state("community", cursor=None, etag=resp.etag, done=True)


# -- since-cursor listings ------------------------------------------------------------------


def _sync_since(
    ctx: Ctx,
    endpoint: str,
    path: str,
    params: dict[str, Any],
    save_page: Callable[[Sequence[dict[str, Any]]], int],
    stamp: Callable[[dict[str, Any]], str | None],
    *,
    ascending: bool = True,
    divert: Callable[[Response], bool] | None = None,
) -> None:
    cursor, etag = ctx.state(endpoint)
    pages = since_pages(
        ctx.client,
        path,
        params,
        cursor=cursor,
        etag=etag,
        first_since=ctx.since,
        overlap=ctx.overlap,
        stamp=stamp,
        ascending=ascending,
        divert=divert,
    )
    for page in pages:
        with transaction(ctx.con):
            save_page(page.items)
            ctx.set_state(endpoint, cursor=page.cursor, etag=page.etag, done=page.done)
        ctx.count(endpoint, page.fresh)
    ctx.done(endpoint)


def sync_issues(ctx: Ctx, divert: Callable[[Response], bool] | None = None) -> None:
    """Issues and PRs changed since the cursor; ``divert`` may hand a large increment to
    GraphQL after seeing the listing's first answer (``github._GraphQLSwitch.issues``)."""
    _sync_since(
        ctx,
        "issues",
        f"{ctx.base}/issues",
        {"state": "all", "sort": "updated", "direction": "asc"},
        lambda items: save.save_issues(ctx.con, ctx.repo_id, items),
        lambda i: i.get("updated_at"),
        divert=divert,
    )


def changed_estimate(resp: Response) -> int:
    """How many items a ``since`` listing holds, from its first page: the page's own count,
    or 100 per page up to the ``last`` link (an upper bound: the last page may be short)."""
    items = resp.data if isinstance(resp.data, list) else []
    last = resp.links.get("last")
    if not last:
        return len(items)
    return PER_PAGE * _page_of(last)


def sync_issue_comments(ctx: Ctx) -> None:
    _sync_since(
        ctx,
        "issues/comments",
        f"{ctx.base}/issues/comments",
        {"sort": "updated", "direction": "asc"},
        lambda items: save.save_comments(ctx.con, ctx.repo_id, items, "issue"),
        lambda c: c.get("updated_at"),
    )


def sync_review_comments(ctx: Ctx) -> None:
    _sync_since(
        ctx,
        "pulls/comments",
        f"{ctx.base}/pulls/comments",
        {"sort": "updated", "direction": "asc"},
        lambda items: save.save_comments(ctx.con, ctx.repo_id, items, "review_comment"),
        lambda c: c.get("updated_at"),
    )


def sync_commits(ctx: Ctx) -> None:
    _sync_since(
        ctx,
        "commits",
        f"{ctx.base}/commits",
        {},
        lambda items: save_repo.link_commit_logins(ctx.con, ctx.repo_id, items),
        lambda c: ((c.get("commit") or {}).get("committer") or {}).get("date"),
        ascending=False,
    )


def prs_to_review(ctx: Ctx) -> list[tuple[int, datetime]]:
    """(number, updated_at) of the PRs whose reviews are due: updated after the reviews cursor.

    The cursor is ``updated_at|number`` of the last PR done, in that order, so a resumed run
    continues with the next PR and never re-asks for one already done.
    """
    cursor, _ = ctx.state("pulls/reviews")
    ts, num = cursor.split("|", 1) if cursor else (None, "0")
    rows = ctx.con.execute(
        """
        SELECT number, updated_at FROM issues
        WHERE repo_id = $repo AND is_pull
          AND ($ts::TIMESTAMPTZ IS NULL OR updated_at > $ts::TIMESTAMPTZ
               OR (updated_at = $ts::TIMESTAMPTZ AND number > $num))
        ORDER BY updated_at, number
        """,
        {"repo": ctx.repo_id, "ts": ts, "num": int(num)},
    ).fetchall()
    return [(int(n), u) for n, u in rows]


def write_reviews(
    ctx: Ctx, batch: Sequence[tuple[int, Sequence[dict[str, Any]]]], last: tuple[int, datetime]
) -> None:
    """One batch of PRs' reviews and the reviews cursor after its last PR, in one transaction."""
    with transaction(ctx.con):
        n = save.save_reviews(ctx.con, ctx.repo_id, batch)
        ctx.set_state("pulls/reviews", cursor=f"{fmt(last[1])}|{last[0]}")
    ctx.count("pulls/reviews", n)


def sync_reviews(ctx: Ctx, prs: list[tuple[int, datetime]] | None = None) -> None:
    """Reviews of every PR updated since the last run: one request per PR (no repo-wide list)."""
    cursor, _ = ctx.state("pulls/reviews")
    prs = prs_to_review(ctx) if prs is None else prs
    batch: list[tuple[int, list[dict[str, Any]]]] = []
    for idx, (number, updated) in enumerate(prs):
        _, items = all_items(ctx.client, f"{ctx.base}/pulls/{number}/reviews")
        batch.append((number, items))
        if len(batch) >= REVIEW_BATCH or idx == len(prs) - 1:
            # One commit per batch of PRs: a commit costs ~10 ms, a resumed run redoes < a batch.
            write_reviews(ctx, batch, (number, updated))
            batch = []
    if not prs and cursor is None:
        with transaction(ctx.con):
            ctx.set_state("pulls/reviews", cursor=None, done=True)
    ctx.done("pulls/reviews")


def sync_releases(ctx: Ctx) -> None:
    """Releases come newest first: a 304 on page 1 means nothing was added."""
    _, etag = ctx.state("releases")
    first, items = all_items(ctx.client, f"{ctx.base}/releases", etag=etag)
    if first.status == 304:
        ctx.done("releases")
        return
    with transaction(ctx.con):
        n = save_repo.save_releases(ctx.con, ctx.repo_id, items)
        ctx.set_state("releases", cursor=None, etag=first.etag, done=True)
    ctx.count("releases", n)


def _page_of(url: str) -> int:
    q = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    return int(q.get("page", ["1"])[0])


def sync_stars(ctx: Ctx) -> None:
    """Stargazers, oldest first: re-read from the last page seen (its ETag makes that a 304)."""
    cursor, etag = ctx.state("stargazers")
    page = int(cursor or 1)
    resp: Response | None = ctx.client.get(
        f"{ctx.base}/stargazers",
        {"per_page": PER_PAGE, "page": page},
        etag=etag,
        accept=STAR_MEDIA_TYPE,
    )
    assert resp is not None
    if resp.status == 304:
        ctx.done("stargazers")
        return
    while resp is not None:
        items = resp.data if isinstance(resp.data, list) else []
        last = resp.next_url is None
        keep = last and len(items) < PER_PAGE
        with transaction(ctx.con):
            n = save_repo.save_stargazers(ctx.con, ctx.repo_id, items)
            ctx.set_state(
                "stargazers", cursor=str(page), etag=resp.etag if keep else None, done=last
            )
        ctx.count("stargazers", n)
        if resp.next_url is None:
            break
        page = _page_of(resp.next_url)
        resp = ctx.client.get(resp.next_url, accept=STAR_MEDIA_TYPE)

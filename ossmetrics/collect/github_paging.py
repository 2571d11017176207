"""Endpoint paging as generators: requests and cursor arithmetic in, pages out, no writes.

A caller writes each yielded page (rows plus the page's cursor) in one transaction before it
asks for the next, so the generator is suspended — no request in flight — while a page commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ossmetrics.collect.github_client import GitHubClient, Response
from ossmetrics.collect.github_save import parse_ts

__all__ = ["PER_PAGE", "Page", "all_items", "as_utc", "fmt", "since_pages"]

PER_PAGE = 100
_MAX_CLOSING_ROUNDS = 5


def fmt(ts: datetime) -> str:
    """GitHub's timestamp form, ``2024-01-01T00:00:00Z``."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_utc(value: datetime | date | None) -> datetime | None:
    """A date or naive datetime as an aware UTC datetime (a date means its midnight)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class Page:
    """One page to write: its items, the endpoint's cursor and ETag after it, and whether the
    listing is complete (``done``); ``fresh`` counts items newer than where the listing began."""

    items: list[dict[str, Any]]
    cursor: str | None
    etag: str | None
    done: bool
    fresh: int


def _newer(a: str | None, b: str | None) -> bool:
    ta, tb = parse_ts(a), parse_ts(b)
    return ta is not None and (tb is None or ta > tb)


def since_pages(
    client: GitHubClient,
    path: str,
    params: dict[str, Any],
    *,
    cursor: str | None,
    etag: str | None,
    first_since: datetime | None,
    overlap: timedelta,
    stamp: Callable[[dict[str, Any]], str | None],
    ascending: bool = True,
    divert: Callable[[Response], bool] | None = None,
) -> Iterator[Page]:
    """Page through a ``since``-filtered list from ``cursor`` (minus ``overlap``).

    Ascending lists advance the cursor with every page (resume = continue); a descending list
    (commits) only once it is fully read. The listing repeats from the new cursor until a
    request brings nothing newer; that last request's ETag (kept only when it is a single,
    non-full page, so a 304 cannot hide a second page) makes the next unchanged run a 304.
    Yields nothing when the first request is answered ``304``, or when ``divert`` (shown the
    first answer of an increment) says the rest should come another way (a GraphQL catch-up).
    """
    since0 = first_since if cursor is None else None
    for _round in range(_MAX_CLOSING_ROUNDS):
        cursor_ts = parse_ts(cursor)
        since = cursor_ts - overlap if cursor_ts is not None else since0
        query = dict(params, per_page=PER_PAGE)
        if since is not None:
            query["since"] = fmt(since)
        resp: Response | None = client.get(path, query, etag=etag)
        assert resp is not None
        if resp.status == 304:
            return
        if divert is not None and _round == 0 and cursor is not None and divert(resp):
            return
        single = resp.next_url is None
        start = cursor
        pending = cursor
        while resp is not None:
            items = resp.data if isinstance(resp.data, list) else []
            stamps = [s for s in (stamp(i) for i in items) if s]
            for s in stamps:
                if _newer(s, pending):
                    pending = s
            last = resp.next_url is None
            if ascending or last:
                cursor = pending
            keep_etag = single and cursor == start and len(items) < PER_PAGE
            # count what is new since the listing's start, not the overlap read again
            fresh = sum(1 for s in stamps if start is None or _newer(s, start))
            yield Page(items, cursor, resp.etag if keep_etag else None, last and keep_etag, fresh)
            resp = None if last or resp.next_url is None else client.get(resp.next_url)
        if cursor == start:
            return  # nothing newer than where we started: done (ETag kept when it is safe)
        etag = None


def all_items(
    client: GitHubClient,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    etag: str | None = None,
    accept: str | None = None,
) -> tuple[Response, list[dict[str, Any]]]:
    """Every item of a ``Link``-paged list, with the first answer (its status and ETag)."""
    first = client.get(path, dict(params or {}, per_page=PER_PAGE), etag=etag, accept=accept)
    items: list[dict[str, Any]] = []
    resp: Response | None = first
    while resp is not None and resp.status == 200:
        items.extend(resp.data if isinstance(resp.data, list) else [])
        resp = client.get(resp.next_url, accept=accept) if resp.next_url else None
    return first, items

"""What the REST and GraphQL clients share: the retry policy, answers, and waiting.

``Pacer`` holds the counters of a run and knows how to wait: for a primary rate-limit reset
(with a countdown through ``on_wait``, or ``RateLimited`` when the reset is beyond
``max_wait``), for a backoff after a transient failure, always in steps of one second so a
display can count down. Both clients (``github_client.GitHubClient`` for REST,
``github_graphql.GraphQLClient``) are ``Pacer`` subclasses, so a run's summary adds up one set
of counters per client and every wait looks the same to the user.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ossmetrics.errors import GitHubUnavailable, RateLimited

__all__ = ["Pacer", "Response", "RetryPolicy", "WaitCallback", "message_of"]

log = logging.getLogger("ossmetrics.collect.github_client")

#: ``on_wait(seconds_left, reason)`` is called about once a second while we wait.
WaitCallback = Callable[[float, str], None]

_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="([a-z]+)"')


@dataclass
class RetryPolicy:
    """How hard to try. Defaults follow GitHub's advice; tests shrink the waits to milliseconds.

    Args:
        max_retries: retries of one request after 5xx, broken connections or malformed JSON,
            and separately after secondary rate limits (default 5).
        backoff_base: first backoff in seconds, doubled per retry (default 1.0).
        backoff_max: cap of one backoff (default 60).
        jitter: fraction of random extra wait, to spread retries (default 0.25).
        secondary_wait: wait for a secondary limit without ``Retry-After`` (default 60, as documented).
        max_accepted: how many ``202 Accepted`` answers to wait out (default 5).
        accepted_wait: seconds between ``202`` retries (default 2).
        max_wait: longest rate-limit wait before stopping with ``RateLimited`` (default 900).
        timeout: seconds for one HTTP request (default 30).
        seconds_between_requests: PyGithub's throttle (default 0.25; 0 in tests).
        reset_margin: extra seconds waited past ``X-RateLimit-Reset`` for clock skew (default 1).
    """

    max_retries: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    jitter: float = 0.25
    secondary_wait: float = 60.0
    max_accepted: int = 5
    accepted_wait: float = 2.0
    max_wait: float = 900.0
    timeout: float = 30.0
    seconds_between_requests: float = 0.25
    reset_margin: float = 1.0

    def backoff(self, attempt: int) -> float:
        base = min(self.backoff_max, self.backoff_base * float(2**attempt))
        return base * (1.0 + self.jitter * random.random())


@dataclass
class Response:
    """One answered GET: status (200, 304 or an allowed 404), parsed JSON, headers, links."""

    status: int
    data: Any
    headers: dict[str, str]
    url: str

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def links(self) -> dict[str, str]:
        return {rel: url for url, rel in _LINK.findall(self.headers.get("link", ""))}

    @property
    def next_url(self) -> str | None:
        return self.links.get("next")


@dataclass
class Pacer:
    """Counters and waits of one client; ``sleep`` is injectable so tests can observe waits."""

    token: str | None
    api_url: str = "https://api.github.com"
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    on_wait: WaitCallback | None = None
    repo: str = ""
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0
    not_modified: int = 0
    waited_s: float = 0.0

    def __post_init__(self) -> None:
        self._remaining: int | None = None
        self._reset: float | None = None

    def _where(self, url: str) -> str:
        o = urllib.parse.urlparse(url)
        return o.path or url

    def _note_rate(self, headers: dict[str, str]) -> None:
        try:
            if "x-ratelimit-remaining" in headers:
                self._remaining = int(float(headers["x-ratelimit-remaining"]))
            if "x-ratelimit-reset" in headers:
                self._reset = float(headers["x-ratelimit-reset"])
        except ValueError:
            pass

    def _wait_for_budget(self) -> None:
        """Before sending: if the last answer spent the budget, wait for the reset (or stop)."""
        if self._remaining is not None and self._remaining <= 0 and self._reset is not None:
            self._wait_until_reset(self._reset)
            self._remaining = None

    def _wait_until_reset(self, reset: float) -> None:
        wait = max(0.0, reset - time.time()) + self.policy.reset_margin
        if wait > self.policy.max_wait:
            reset_at = datetime.fromtimestamp(reset, UTC)
            raise RateLimited(
                f"GitHub rate limit spent while collecting {self.repo or 'the repository'}; it resets at {reset_at:%Y-%m-%d %H:%M:%S} UTC, in {wait:.0f} s",
                "what was collected is kept; run again after the reset (or raise --max-wait)",
                reset_at=reset_at,
                repo=self.repo,
                status=403,
            )
        self._pause(wait, "rate limit: waiting for reset")

    def _retry_transient(self, attempt: int, url: str, what: str) -> int:
        if attempt >= self.policy.max_retries:
            raise GitHubUnavailable(
                f"GitHub failed for {self.repo or 'the repository'} ({what} on {self._where(url)} after {attempt + 1} tries)",
                "GitHub may be having trouble; run again later (collected pages are kept)",
                repo=self.repo,
            )
        log.info("retrying %s after %s", self._where(url), what)
        self._pause(self.policy.backoff(attempt), f"retrying after {what}")
        return attempt + 1

    def _pause(self, seconds: float, reason: str) -> None:
        """Sleep in steps of at most one second, reporting the countdown to ``on_wait``."""
        self.waited_s += seconds
        left = seconds
        show = self.on_wait is not None and seconds >= 1.0
        while left > 0:
            if show:
                self.on_wait(left, reason)  # type: ignore[misc]
            step = min(1.0, left)
            self.sleep(step)
            left -= step
        if show:
            self.on_wait(0.0, reason)  # type: ignore[misc]


def message_of(body: str) -> str:
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return (body or "").strip()[:80]
    if isinstance(data, dict):
        return str(data.get("message", ""))[:200]
    return ""

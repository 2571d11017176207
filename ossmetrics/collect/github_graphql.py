"""The GitHub GraphQL transport: one POST per query with ``requests``, cost-aware, retrying.

Why ``requests`` and not ``gql``: a query here is a fixed string built with its cost known in
advance (``github_gql_query``), and what matters is the answer's status, headers and raw body —
to tell GitHub's rate limits, its 502-on-timeout and a truncated body apart, and to wait the
way the REST client does (one ``RetryPolicy``, one countdown). ``gql`` would add its own
transport and retry layers (``backoff``), schema fetching and an async core we do not use, and
hide the headers behind them. ``requests`` is already a dependency (PyGithub's transport).

What each answer leads to:

* ``200`` with ``data``: returned with any ``errors`` beside it (a partial answer; the caller
  decides). ``rateLimit { cost remaining resetAt }`` is read from every answer: ``points``
  adds up the costs, and a query whose computed cost exceeds what is left waits for the reset
  (or raises ``RateLimited`` beyond ``max_wait``) *before* it is sent.
* errors typed ``RATE_LIMITED``: wait for the reset as above, then resend.
* ``502``/``504``, a read timeout, ``RESOURCE_LIMITS_EXCEEDED`` or ``MAX_NODE_LIMIT_EXCEEDED``:
  ``TooBig`` — the caller asks again with smaller pages — unless ``shrinkable`` is false, when
  they are retried like other transient failures.
* secondary limits (``403``/``429`` with ``Retry-After`` or the documented message): wait and
  resend, doubling, as REST does.
* other ``5xx``, a dropped connection, malformed or truncated JSON: backoff, then
  ``GitHubUnavailable``.
* ``401``, another ``403``, ``404`` (no GraphQL endpoint): ``GraphQLUnavailable``; the
  collector falls back to REST with a warning.
* errors without ``data`` (a field GitHub removed, a malformed query): ``GraphQLError``;
  ``NOT_FOUND`` on ``repository``: ``GitHubNotFound``; ``FORBIDDEN``: ``GitHubAuthError``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from ossmetrics.collect.github_gql_query import MAX_NODES, Query
from ossmetrics.collect.github_http import Pacer, message_of
from ossmetrics.errors import (
    GitHubAuthError,
    GitHubNotFound,
    GitHubUnavailable,
    GraphQLError,
    GraphQLUnavailable,
    RateLimited,
)

__all__ = ["GraphQLClient", "GraphQLResult", "TooBig", "graphql_url"]

log = logging.getLogger(__name__)

_SHRINK_TYPES = {"RESOURCE_LIMITS_EXCEEDED", "MAX_NODE_LIMIT_EXCEEDED"}
_SECONDARY = ("secondary rate limit", "abuse detection", "please wait a few minutes")


class TooBig(Exception):
    """GitHub could not answer this query in time or within its limits: ask for less."""


def graphql_url(api_url: str) -> str:
    """``https://api.github.com/graphql``; GitHub Enterprise ``…/api/v3`` → ``…/api/graphql``."""
    base = api_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base[: -len("/v3")] + "/graphql"
    return base + "/graphql"


@dataclass
class GraphQLResult:
    """An answered query: ``data`` and the ``errors`` GitHub sent beside it (partial answers)."""

    data: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)
    cost: int = 0


def _epoch(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass
class GraphQLClient(Pacer):
    """Serial GraphQL queries; ``requests`` counts queries sent, ``points`` their cost."""

    points: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        self.url = graphql_url(self.api_url)
        self._session = requests.Session()
        self._session.headers["User-Agent"] = "ossmetrics"
        if self.token:
            self._session.headers["Authorization"] = f"bearer {self.token}"
        self._answered = False

    def close(self) -> None:
        self._session.close()

    def run(
        self, query: Query, variables: dict[str, Any], *, shrinkable: bool = True
    ) -> GraphQLResult:
        """Send one query; see the module docstring for what each answer leads to."""
        if query.nodes > MAX_NODES:
            raise TooBig(f"{query.nodes} nodes requested (GitHub allows {MAX_NODES})")
        if not self.token:
            raise GraphQLUnavailable("GitHub's GraphQL API needs a token", repo=self.repo)
        transient = secondary = 0
        while True:
            self._before(query.points)
            self.requests += 1
            try:
                resp = self._session.post(
                    self.url,
                    json={"query": query.text, "variables": variables},
                    timeout=self.policy.timeout,
                )
                body = resp.content.decode("utf-8", "replace")
            except requests.exceptions.Timeout:
                if shrinkable:
                    raise TooBig("timed out") from None
                transient = self._retry_transient(transient, self.url, "a timeout")
                continue
            except requests.exceptions.RequestException as exc:
                if not self._answered and type(exc) is requests.exceptions.ConnectionError:
                    raise GitHubUnavailable(
                        f"cannot reach the GitHub GraphQL API at {self.url} ({type(exc).__name__})",
                        "check --api-url and the network",
                        repo=self.repo,
                    ) from None
                transient = self._retry_transient(transient, self.url, type(exc).__name__)
                continue
            self._answered = True
            headers = {k.lower(): v for k, v in resp.headers.items()}
            self._note_rate(headers)
            status = resp.status_code
            if status in (502, 504) and shrinkable:
                raise TooBig(f"HTTP {status}")
            if status >= 500:
                transient = self._retry_transient(transient, self.url, f"HTTP {status}")
                continue
            if status in (403, 429) and self._limited(headers, body, secondary):
                secondary += 1
                continue
            if status in (401, 403, 404):
                raise GraphQLUnavailable(
                    f"GitHub's GraphQL API refused this token ({status}: {message_of(body)})",
                    "the REST API is used instead; give a token with GraphQL access for cheaper first syncs",
                    status=status,
                    repo=self.repo,
                )
            if status != 200:
                transient = self._retry_transient(transient, self.url, f"HTTP {status}")
                continue
            try:
                answer = json.loads(body)
                if not isinstance(answer, dict):
                    raise ValueError("not an object")
            except ValueError:
                transient = self._retry_transient(transient, self.url, "malformed JSON")
                continue
            result = self._result(answer, headers, shrinkable)
            if result is None:  # RATE_LIMITED: waited for the reset; send again
                continue
            return result

    # -- internals --------------------------------------------------------------------------

    def _before(self, points: int) -> None:
        """Wait for the reset when the last known budget cannot pay for this query."""
        if self._remaining is not None and self._reset is not None and self._remaining < points:
            self._wait_until_reset(self._reset)
            self._remaining = None

    def _limited(self, headers: dict[str, str], body: str, attempt: int) -> bool:
        """Wait out a primary or secondary limit on a 403/429; False when it is not one."""
        retry_after = headers.get("retry-after")
        text = message_of(body).lower()
        spent = headers.get("x-ratelimit-remaining") == "0"
        if spent and retry_after is None and self._reset is not None:
            self._wait_until_reset(self._reset)
            return True
        if retry_after is None and not any(s in text for s in _SECONDARY):
            return False
        if attempt >= self.policy.max_retries:
            raise RateLimited(
                f"GitHub's secondary rate limit kept refusing GraphQL queries for {self.repo or 'the repository'}",
                "what was collected is kept; wait a few minutes and run again",
                repo=self.repo,
            )
        try:
            wait = float(retry_after) if retry_after is not None else self.policy.secondary_wait
        except ValueError:
            wait = self.policy.secondary_wait
        wait *= float(2**attempt)
        if wait > self.policy.max_wait:
            raise RateLimited(
                f"GitHub asks to wait {wait:.0f} s before more GraphQL queries for {self.repo or 'the repository'}",
                "what was collected is kept; run again later (or raise --max-wait)",
                repo=self.repo,
            )
        self._pause(wait, "secondary rate limit: backing off")
        return True

    def _result(
        self, answer: dict[str, Any], headers: dict[str, str], shrinkable: bool
    ) -> GraphQLResult | None:
        data = answer.get("data") if isinstance(answer.get("data"), dict) else None
        errors = [e for e in answer.get("errors") or [] if isinstance(e, dict)]
        types = tuple(str(e.get("type") or (e.get("extensions") or {}).get("code")) for e in errors)
        cost = 0
        rate = (data or {}).get("rateLimit")
        if isinstance(rate, dict):
            cost = int(rate.get("cost") or 0)
            self.points += cost
            if rate.get("remaining") is not None:
                self._remaining = int(rate["remaining"])
            reset = _epoch(rate.get("resetAt"))
            if reset is not None:
                self._reset = reset
        if "RATE_LIMITED" in types:
            self._remaining = 0
            reset_at = self._reset if self._reset is not None else time.time() + 60
            self._wait_until_reset(reset_at)
            self._remaining = None
            return None
        first = errors[0] if errors else {}
        text = str(first.get("message") or "")[:200]
        timeout = "timeout" in text.lower()
        if _SHRINK_TYPES & set(types) or (timeout and data is None):
            if shrinkable:
                raise TooBig(text or ",".join(types))
            raise GraphQLError(
                f"GitHub could not answer even the smallest GraphQL query for {self.repo or 'the repository'}: {text}",
                "run again later; the REST path (--no-graphql) avoids the problem",
                types=types,
                repo=self.repo,
            )
        if errors and (data is None or data.get("repository", 0) is None):
            if "NOT_FOUND" in types:
                raise GitHubNotFound(
                    f"repository {self.repo or '?'} not found by GraphQL ({text})",
                    "check OWNER/REPO; it may have been renamed or deleted",
                    status=404,
                    repo=self.repo,
                )
            if "FORBIDDEN" in types:
                raise GitHubAuthError(
                    f"GraphQL access to {self.repo or 'the repository'} refused ({text})",
                    "use a token that can read this repository",
                    status=403,
                    repo=self.repo,
                )
            raise GraphQLError(
                f"GitHub refused a GraphQL query for {self.repo or 'the repository'}: {text}",
                "if GitHub removed a field, upgrade ossmetrics; meanwhile --no-graphql uses REST",
                types=types,
                repo=self.repo,
            )
        return GraphQLResult(data or {}, errors, cost)

"""The GitHub transport: PyGithub for auth, base URL, redirects and throttling; our own retry policy.

Why not PyGithub's ``GithubRetry``: it sleeps inside urllib3, invisibly (no countdown, no clean
stop before a one-hour wait), retries 5xx without backoff, surfaces exhausted retries as
``requests.exceptions.RetryError`` instead of a status, and PyGithub re-requests a ``202`` forever
(PyGithub 2.x, read while writing this module). So every request goes through
``Requester.requestJson`` with a connection of our own that stops at the first ``202``, and this
module decides what to do with each status:

* ``200``/``304``: returned; a ``304`` is counted in ``not_modified`` (it costs no rate limit).
* ``202``: retried ``RetryPolicy.max_accepted`` times, ``accepted_wait`` seconds apart.
* primary limit (``403``/``429`` with ``X-RateLimit-Remaining: 0``, or a ``200`` that spent the
  last request): wait until ``X-RateLimit-Reset`` with a countdown through ``on_wait``, or raise
  ``RateLimited`` when that is further away than ``max_wait``.
* secondary limit (``403``/``429`` with ``Retry-After`` or the documented message): wait
  ``Retry-After`` (else ``secondary_wait``), doubling on each repeat, at most ``max_retries``.
* ``5xx``, broken connections, malformed JSON: exponential backoff with jitter, then
  ``GitHubUnavailable``. A connection refused before any response means a wrong ``--api-url``
  and fails at once.
* ``401``/other ``403`` → ``GitHubAuthError``; ``404`` → ``GitHubNotFound`` (unless allowed).

The token lives only inside PyGithub's ``Auth.Token``; no message or log line here formats it.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import requests
from github import Auth, Github
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass

from ossmetrics.collect.github_http import Pacer, Response, RetryPolicy, WaitCallback, message_of
from ossmetrics.errors import (
    GitHubAuthError,
    GitHubError,
    GitHubNotFound,
    GitHubUnavailable,
    RateLimited,
)
from ossmetrics.secret_env import redact

__all__ = ["GitHubClient", "Response", "RetryPolicy", "WaitCallback"]

log = logging.getLogger(__name__)

_SECONDARY = (
    "secondary rate limit",
    "abuse detection",
    "please retry your request again later",
    "please wait a few minutes before you try again",
)


class _Accepted(Exception):
    """Raised from inside PyGithub's request loop on a 202, so it cannot loop forever."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("202 Accepted")
        self.headers = headers


class _BoundedConnection:
    """A PyGithub connection that aborts on ``202`` (PyGithub would re-request it unboundedly)."""

    def __init__(self, inner: HTTPRequestsConnectionClass | HTTPSRequestsConnectionClass) -> None:
        self.inner = inner
        self.host = inner.host

    def request(
        self, verb: str, url: str, input: Any, headers: dict[str, str], stream: bool = False
    ) -> None:
        self.inner.request(verb, url, input, headers, stream)

    def getresponse(self) -> Any:
        response = self.inner.getresponse()
        if response.status == 202:
            raise _Accepted({k.lower(): v for k, v in response.getheaders()})
        return response

    def close(self) -> None:
        self.inner.close()


@dataclass
class GitHubClient(Pacer):
    """Serial GET requests against one GitHub API, with counters for the run's summary.

    ``repo`` names the repository in error messages; ``on_wait`` receives countdowns;
    ``sleep`` is injectable so tests can observe waits without spending them.
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        self.api_url = self.api_url.rstrip("/")
        parsed = urllib.parse.urlparse(self.api_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise GitHubError(
                f"API URL '{self.api_url}' is not an http(s) URL",
                "give --api-url like https://api.github.com or https://HOST/api/v3",
            )
        self._parsed = parsed
        self._github = Github(
            auth=Auth.Token(self.token) if self.token else None,
            base_url=self.api_url,
            timeout=int(max(1, self.policy.timeout)),
            per_page=100,
            retry=None,
            lazy=True,
            seconds_between_requests=self.policy.seconds_between_requests,
            seconds_between_writes=0,
            api_version="2022-11-28",
            user_agent="ossmetrics",
        )
        cls = (
            HTTPSRequestsConnectionClass
            if parsed.scheme == "https"
            else HTTPRequestsConnectionClass
        )
        self._cnx = _BoundedConnection(
            cls(parsed.hostname, parsed.port, timeout=int(max(1, self.policy.timeout)), retry=0)
        )
        self._answered = False  # any HTTP answer yet? (a refused first connection = wrong URL)

    def close(self) -> None:
        self._cnx.close()
        self._github.close()

    # -- public -----------------------------------------------------------------------------

    def get(
        self,
        path_or_url: str,
        params: dict[str, Any] | None = None,
        *,
        etag: str | None = None,
        accept: str | None = None,
        allow_404: bool = False,
    ) -> Response:
        """GET one page. ``path_or_url`` is a path under the API (``/repos/o/r``) or a Link URL."""
        url = self._checked(path_or_url)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if accept:
            headers["Accept"] = accept
        transient = secondary = accepted = 0
        while True:
            self._wait_for_budget()
            try:
                self.requests += 1
                status, rheaders, body = self._github.requester.requestJson(
                    "GET",
                    url,
                    parameters=params,
                    headers=dict(headers),
                    cnx=self._cnx,  # type: ignore[arg-type]
                )
            except _Accepted as exc:
                self._answered = True
                self._note_rate(exc.headers)
                if accepted >= self.policy.max_accepted:
                    raise GitHubUnavailable(
                        f"GitHub kept answering 202 (still computing) for {self._where(url)}",
                        "try again in a few minutes",
                        status=202,
                        repo=self.repo,
                    ) from None
                accepted += 1
                self._pause(self.policy.accepted_wait, "GitHub is computing (202)")
                continue
            except requests.exceptions.RequestException as exc:
                if (
                    not self._answered
                    and isinstance(exc, requests.exceptions.ConnectionError)
                    and not isinstance(exc, requests.exceptions.ChunkedEncodingError)
                ):
                    raise GitHubUnavailable(
                        f"cannot reach the GitHub API at {self.api_url} ({type(exc).__name__})",
                        "check --api-url and the network",
                        repo=self.repo,
                    ) from None
                transient = self._retry_transient(transient, url, type(exc).__name__)
                continue
            except RuntimeError as exc:  # PyGithub refuses a redirect to another host/scheme
                raise GitHubError(
                    redact(str(exc), self.token).split(", please")[0] + f" ({self._where(url)})",
                    "point --api-url at the server GitHub redirects to",
                    repo=self.repo,
                ) from None
            self._answered = True
            rheaders = {k.lower(): str(v) for k, v in rheaders.items()}
            self._note_rate(rheaders)
            if status == 304:
                self.not_modified += 1
                return Response(304, None, rheaders, url)
            if 200 <= status < 300:
                try:
                    data = json.loads(body) if body else None
                except ValueError:
                    transient = self._retry_transient(transient, url, "malformed JSON")
                    continue
                return Response(status, data, rheaders, url)
            if status in (403, 429):
                wait = self._rate_limit_wait(status, rheaders, body, secondary, url)
                if wait is not None:
                    secondary += 1
                    continue
                raise GitHubAuthError(
                    f"GitHub refused access to {self._where(url)} ({status}: {message_of(body)})",
                    "use a token that can read this repository (GITHUB_TOKEN or --token-env)",
                    status=status,
                    repo=self.repo,
                )
            if status == 401:
                raise GitHubAuthError(
                    f"GitHub rejected the token for {self._where(url)} (401: {message_of(body)})",
                    "check that the token in GITHUB_TOKEN (or --token-env) is valid and not expired",
                    status=401,
                    repo=self.repo,
                )
            if status == 404:
                if allow_404:
                    return Response(404, None, rheaders, url)
                raise GitHubNotFound(
                    f"repository {self.repo or '?'} not found ({self._where(url)} answered 404)",
                    "check OWNER/REPO; a private repository needs a token with access",
                    status=404,
                    repo=self.repo,
                )
            if status >= 500:
                transient = self._retry_transient(transient, url, f"HTTP {status}")
                continue
            raise GitHubError(
                f"GitHub answered {status} for {self._where(url)}: {message_of(body)}",
                "rerun with --debug and report it",
                status=status,
                repo=self.repo,
            )

    # -- internals --------------------------------------------------------------------------

    def _checked(self, path_or_url: str) -> str:
        if path_or_url.startswith("/"):
            return path_or_url
        o = urllib.parse.urlparse(path_or_url)
        if (o.hostname, o.port) != (self._parsed.hostname, self._parsed.port):
            raise GitHubError(
                f"GitHub sent a link to another host ({o.hostname})",
                "check --api-url; ossmetrics only follows links on the API host",
                repo=self.repo,
            )
        return path_or_url

    def _rate_limit_wait(
        self, status: int, headers: dict[str, str], body: str, attempt: int, url: str
    ) -> float | None:
        """The wait a 403/429 asks for (after waiting it), or None when it is not a rate limit."""
        remaining = headers.get("x-ratelimit-remaining")
        message = message_of(body).lower()
        retry_after = headers.get("retry-after")
        if remaining == "0" and retry_after is None and self._reset is not None:
            self._wait_until_reset(self._reset)
            return 0.0
        is_secondary = retry_after is not None or any(s in message for s in _SECONDARY)
        if not is_secondary and status == 403:
            return None
        if attempt >= self.policy.max_retries:
            raise RateLimited(
                f"GitHub's secondary rate limit kept refusing {self._where(url)} for {self.repo or 'the repository'}",
                "what was collected is kept; wait a few minutes and run again",
                repo=self.repo,
                status=status,
            )
        try:
            wait = float(retry_after) if retry_after is not None else self.policy.secondary_wait
        except ValueError:
            wait = self.policy.secondary_wait
        wait *= float(2**attempt)
        if remaining == "0" and self._reset is not None:
            wait = max(wait, self._reset - time.time() + self.policy.reset_margin)
        if wait > self.policy.max_wait:
            raise RateLimited(
                f"GitHub asks to wait {wait:.0f} s before more requests for {self.repo or 'the repository'}",
                "what was collected is kept; run again later (or raise --max-wait)",
                repo=self.repo,
                status=status,
            )
        self._pause(wait, "secondary rate limit: backing off")
        return wait

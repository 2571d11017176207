"""A small JSON-over-HTTP client for the usage-signal services, polite and patient.

One ``requests.Session`` per service; a ``User-Agent`` naming ossmetrics (and the user's
``mailto`` setting when given, the identification ecosyste.ms asks of API clients); retries on
429 and 5xx, honouring ``Retry-After`` (seconds or an HTTP date) up to ``max_wait`` seconds,
else exponential backoff; garbage JSON counts as a failed attempt (or, with
``retry_malformed=False``, for registries whose per-package pages are not transient, raises
``MalformedAnswer`` at once so the caller can warn about that one package and go on). A 404 is
an answer ("unknown package"), returned to the caller, not an error. ``counts`` tallies the
requests by the ``label`` each call gives (deps.dev's purl batch, dependents, graphs, ...).
"""

from __future__ import annotations

import email.utils
import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

from ossmetrics import __version__
from ossmetrics.errors import ServiceError

__all__ = ["JsonClient", "MalformedAnswer", "retry_after_seconds"]


class MalformedAnswer(ServiceError):
    """A 200 whose body is not JSON (raised only with ``retry_malformed=False``)."""


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class JsonClient:
    """GET/POST JSON against ``base_url``; ``requests`` counts every HTTP request made."""

    def __init__(
        self,
        base_url: str,
        source: str,
        *,
        mailto: str | None = None,
        retries: int = 4,
        max_wait: float = 120.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        retry_malformed: bool = True,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.source = source
        self.retries = retries
        self.max_wait = max_wait
        self.timeout = timeout
        self.sleep = sleep
        self.requests = 0
        self.counts: Counter[str] = Counter()
        self.retry_malformed = retry_malformed
        self.mailto = mailto
        self.session = requests.Session()
        agent = f"ossmetrics/{__version__} (+https://github.com/ossmetrics)"
        if mailto:
            agent = f"ossmetrics/{__version__} (mailto:{mailto})"
        self.session.headers.update({"User-Agent": agent, "Accept": "application/json"})

    def close(self) -> None:
        self.session.close()

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        label: str = "",
        soft_4xx: bool = False,
    ) -> tuple[int, Any]:
        """``soft_4xx``: another 4xx than 404/429 is returned as ``(status, None)`` rather than
        raised — for one-request-a-package endpoints, where it concerns that package only."""
        return self._call("GET", path, params=params, label=label, soft_4xx=soft_4xx)

    def post(
        self, path: str, body: Any, params: dict[str, Any] | None = None, *, label: str = ""
    ) -> tuple[int, Any]:
        return self._call("POST", path, params=params, body=body, label=label)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        label: str = "",
        soft_4xx: bool = False,
    ) -> tuple[int, Any]:
        url = self.base + path
        problem = ""
        for attempt in range(self.retries + 1):
            self.requests += 1
            self.counts[label or self.source] += 1
            try:
                resp = self.session.request(
                    method, url, params=params, json=body, timeout=self.timeout
                )
            except requests.RequestException as exc:
                problem = f"cannot reach {self.base} ({type(exc).__name__})"
                wait = min(2.0**attempt, self.max_wait)
            else:
                if resp.status_code == 404:
                    return 404, None
                if resp.status_code == 429 or resp.status_code >= 500:
                    problem = f"answered HTTP {resp.status_code}"
                    hinted = retry_after_seconds(resp.headers.get("Retry-After"))
                    wait = hinted if hinted is not None else min(2.0**attempt, self.max_wait)
                    if wait > self.max_wait:
                        raise ServiceError(
                            self.source,
                            f"asks to wait {wait:.0f} s (Retry-After), more than {self.max_wait:.0f} s",
                        )
                elif resp.status_code >= 400:
                    if soft_4xx:
                        return resp.status_code, None
                    raise ServiceError(
                        self.source,
                        f"answered HTTP {resp.status_code} to {method} {path}",
                        "check the base URL setting for this service",
                    )
                else:
                    try:
                        return resp.status_code, json.loads(resp.text)
                    except ValueError:
                        problem = "answered with malformed JSON"
                        if not self.retry_malformed:
                            raise MalformedAnswer(
                                self.source, f"{problem} to {method} {path}"
                            ) from None
                        wait = min(2.0**attempt, self.max_wait)
            if attempt < self.retries:
                self.sleep(wait)
        raise ServiceError(self.source, f"{problem} after {self.retries + 1} attempts")

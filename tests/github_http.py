"""The HTTP side of ``tests/github_server.FakeGitHub``: the request handler that answers REST
``GET`` (pages, ``Link``, ``ETag``/304, rate headers, renames, the Enterprise prefix) and GraphQL
``POST`` from the fake's repositories, and injects the faults queued with ``FakeGitHub.fail``.
Kept apart from the fake's control API (what tests call) so each module has one job.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.github_fake_repo import FakeRepo
from tests.github_server import FakeGitHub, Recorded, _Fault

__all__ = ["Handler"]


class Handler(BaseHTTPRequestHandler):
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

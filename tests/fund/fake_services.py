"""A local deps.dev + ecosyste.ms on 127.0.0.1, for tests and ``benchmarks/bench_fund.py``.

Payloads are hand-written in the shapes the services document (deps.dev API v3/v3alpha,
ecosyste.ms packages API v1): see ``package_payload`` and friends below. One server answers
both services' paths; point ``OSSMETRICS_DEPSDEV_URL`` and ``OSSMETRICS_ECOSYSTEMS_URL`` (or
the ``enrich`` arguments) at ``url``.

``FakePackage`` describes one package; unknown packages answer 404 (deps.dev) or are absent
from bulk answers (ecosyste.ms). ``fail(pattern, status, times, retry_after=None,
body=None)`` makes the next ``times`` requests whose path matches answer that status (or a
200 with ``body`` as raw text, for garbage JSON). ``requests`` records (method, path, body).
``page_size`` is how many purlbatch responses one page holds (the rest behind a pageToken).

The same server plays the registries (``registry_urls``: PyPI at the root, npm under ``/npm``,
crates.io and RubyGems at the root, as their APIs name their paths): ``registry[path]`` is the
answer to ``GET path`` (raw path, percent-encoding as sent), a dict (JSON) or a str (a raw
body, for garbage); absent paths answer 404. ``graphs[(system, name, version)]`` is deps.dev's
GetDependencies answer for that version (``tests/fund/payloads.py`` writes them).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from ossmetrics.fund.purls import DEPSDEV_SYSTEMS, parse_purl

__all__ = ["FakePackage", "FakeServices"]


@dataclass
class FakePackage:
    purl: str  # versionless, e.g. pkg:npm/%40scope/core
    default_version: str = "1.0.0"
    repo: str | None = None  # owner/name of relatedProjects / repository_url
    provenance: str = "UNVERIFIED_METADATA"
    dependents: int | None = 100
    direct_dependents: int | None = 10
    dependent_packages: int | None = 10
    dependent_repos: int | None = 50
    downloads: int | None = 1000
    downloads_period: str = "last-month"
    critical: bool | None = False
    rankings: dict[str, float] = field(default_factory=dict)
    funding_links: list[str] = field(default_factory=list)
    in_depsdev: bool = True
    in_ecosystems: bool = True


def _name_system(purl: str) -> tuple[str, str]:
    p = parse_purl(purl)
    return DEPSDEV_SYSTEMS[p.ecosystem], p.name


class FakeServices:
    def __init__(self, packages: list[FakePackage] | None = None, *, page_size: int = 500) -> None:
        self.packages: dict[str, FakePackage] = {}
        for p in packages or []:
            self.add(p)
        self.page_size = page_size
        self.requests: list[tuple[str, str, Any]] = []
        self.seen: list[dict[str, Any]] = []  # path, query, User-Agent of every request
        self._faults: list[dict[str, Any]] = []
        self.registry: dict[str, Any] = {}
        self.graphs: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def registry_urls(self) -> dict[str, str]:
        return {"pypi": self.url, "npm": self.url + "/npm", "crates": self.url,
                "rubygems": self.url}  # fmt: skip

    def add(self, p: FakePackage) -> None:
        self.packages[parse_purl(p.purl).package] = p

    def __enter__(self) -> FakeServices:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(
        self,
        pattern: str,
        status: int,
        times: int = 1,
        retry_after: str | None = None,
        body: str | None = None,
    ) -> None:
        self._faults.append(
            {
                "re": re.compile(pattern),
                "status": status,
                "times": times,
                "ra": retry_after,
                "body": body,
            }
        )

    def count(self, pattern: str) -> int:
        return sum(1 for _, path, _ in self.requests if re.search(pattern, path))

    # -- payloads in the documented shapes -------------------------------------------------
    def version_payload(self, p: FakePackage, version: str) -> dict[str, Any]:
        system, name = _name_system(p.purl)
        out: dict[str, Any] = {
            "versionKey": {"system": system, "name": name, "version": version},
            "publishedAt": "2025-01-01T00:00:00Z",
            "isDefault": version == p.default_version,
            "licenses": ["MIT"],
            "advisoryKeys": [],
            "links": [],
            "slsaProvenances": [],
            "attestations": [],
            "registries": [],
            "relatedProjects": [],
        }
        if p.repo:
            out["links"].append({"label": "SOURCE_REPO", "url": f"https://github.com/{p.repo}"})
            out["relatedProjects"].append(
                {
                    "projectKey": {"id": f"github.com/{p.repo}"},
                    "relationProvenance": p.provenance,
                    "relationType": "SOURCE_REPO",
                }
            )
        return out

    def ecosystems_payload(self, p: FakePackage) -> dict[str, Any]:
        parsed = parse_purl(p.purl)
        return {
            "name": parsed.name,
            "ecosystem": parsed.ecosystem,
            "purl": p.purl,
            "description": "hand-written test package",
            "repository_url": f"https://github.com/{p.repo}" if p.repo else None,
            "latest_release_number": p.default_version,
            "dependent_packages_count": p.dependent_packages,
            "dependent_repos_count": p.dependent_repos,
            "downloads": p.downloads,
            "downloads_period": p.downloads_period if p.downloads is not None else None,
            "critical": p.critical,
            "rankings": p.rankings,
            "funding_links": p.funding_links,
            "metadata": {},
            "registry": {"name": "npmjs.org" if parsed.ecosystem == "npm" else parsed.ecosystem},
        }

    # -- HTTP -------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        svc = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def _send(
                self, status: int, obj: Any = None, raw: str | None = None, ra: str | None = None
            ) -> None:
                body = (
                    raw
                    if raw is not None
                    else json.dumps(obj if obj is not None else {"error": "not found"})
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if ra:
                    self.send_header("Retry-After", ra)
                self.end_headers()
                self.wfile.write(body)

            def _fault(self, path: str) -> bool:
                with svc._lock:
                    for f in svc._faults:
                        if f["times"] > 0 and f["re"].search(path):
                            f["times"] -= 1
                            if f["body"] is not None:
                                self._send(200, raw=f["body"])
                            else:
                                self._send(f["status"], {"error": "injected"}, ra=f["ra"])
                            return True
                return False

            def do_GET(self) -> None:
                u = urlparse(self.path)
                svc.requests.append(("GET", u.path, parse_qs(u.query)))
                svc.seen.append(
                    {
                        "path": u.path,
                        "query": parse_qs(u.query),
                        "agent": self.headers.get("User-Agent"),
                    }
                )
                if self._fault(u.path):
                    return
                if u.path in svc.registry:
                    body = svc.registry[u.path]
                    if isinstance(body, str):
                        return self._send(200, raw=body)
                    return self._send(200, body)
                m = re.fullmatch(
                    r"/v3/systems/(\w+)/packages/([^/]+)/versions/([^/]+):dependencies", u.path
                )
                if m:
                    key = (m.group(1), unquote(m.group(2)), unquote(m.group(3)))
                    graph = svc.graphs.get(key)
                    return self._send(200, graph) if graph is not None else self._send(404)
                m = re.fullmatch(
                    r"/v3alpha/systems/(\w+)/packages/([^/]+)/versions/([^/]+):dependents", u.path
                )
                if m:
                    p = svc._find(m.group(1), unquote(m.group(2)))
                    if p is None or not p.in_depsdev or unquote(m.group(3)) != p.default_version:
                        return self._send(404)
                    return self._send(200, {
                        "dependentCount": p.dependents,
                        "directDependentCount": p.direct_dependents,
                        "indirectDependentCount": None if p.dependents is None or p.direct_dependents is None else p.dependents - p.direct_dependents,
                    })  # fmt: skip
                m = re.fullmatch(r"/v3/systems/(\w+)/packages/([^/]+)", u.path)
                if m:
                    p = svc._find(m.group(1), unquote(m.group(2)))
                    if p is None or not p.in_depsdev:
                        return self._send(404)
                    system, name = _name_system(p.purl)
                    versions = ["0.9.0", p.default_version]
                    return self._send(200, {
                        "packageKey": {"system": system, "name": name},
                        "versions": [
                            {"versionKey": {"system": system, "name": name, "version": v},
                             "publishedAt": "2025-01-01T00:00:00Z", "isDefault": v == p.default_version}
                            for v in versions
                        ],
                    })  # fmt: skip
                self._send(404)

            def do_POST(self) -> None:
                u = urlparse(self.path)
                n = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(n) or b"{}")
                except ValueError:
                    return self._send(400, {"error": "bad json"})
                svc.requests.append(("POST", u.path, body))
                svc.seen.append(
                    {
                        "path": u.path,
                        "query": parse_qs(u.query),
                        "agent": self.headers.get("User-Agent"),
                    }
                )
                if self._fault(u.path):
                    return
                if u.path == "/v3alpha/purlbatch":
                    reqs = body.get("requests") or []
                    if len(reqs) > 5000:
                        return self._send(400, {"error": "too many"})
                    start = int(body.get("pageToken") or 0)
                    page = reqs[start : start + svc.page_size]
                    out = []
                    for r in page:
                        purl = r.get("purl", "")
                        parsed = parse_purl(purl)
                        p = svc.packages.get(parsed.package)
                        item: dict[str, Any] = {"request": {"purl": purl}}
                        if p is not None and p.in_depsdev and parsed.version:
                            item["result"] = {"version": svc.version_payload(p, parsed.version)}
                        out.append(item)
                    nxt = start + svc.page_size
                    resp: dict[str, Any] = {"responses": out}
                    if nxt < len(reqs):
                        resp["nextPageToken"] = str(nxt)
                    return self._send(200, resp)
                if u.path == "/api/v1/packages/bulk_lookup":
                    purls = body.get("purls") or []
                    if len(purls) > 100:
                        return self._send(400, {"error": "at most 100 purls"})
                    found = []
                    for purl in purls:
                        p = svc.packages.get(parse_purl(purl).package)
                        if p is not None and p.in_ecosystems:
                            found.append(svc.ecosystems_payload(p))
                    return self._send(200, found)
                self._send(404)

        return Handler

    def _find(self, system: str, name: str) -> FakePackage | None:
        for key, p in self.packages.items():
            s, n = _name_system(key)
            if s == system.upper() and n == name:
                return p
        return None

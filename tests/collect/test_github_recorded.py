"""Replay a recorded pagination of ``GET /repos/{owner}/{repo}/issues`` verbatim: GitHub's
headers as documented (weak ``ETag``, ``Link`` to ``/repositories/{id}``, ``X-RateLimit-*``),
written out by us in ``tests/fixtures/github-api/recorded/`` independently of the generated
server, so drift between that server and the client's expectations shows here."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ossmetrics.collect.github_client import GitHubClient
from ossmetrics.collect.github_save import save_issues
from ossmetrics.store import ensure_repo
from tests.github_server import FIXTURES, fast_policy

RECORDING = FIXTURES / "recorded" / "paginate-issues.json"


def _key(path: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    p = urllib.parse.urlparse(path)
    return p.path, tuple(sorted(urllib.parse.parse_qsl(p.query)))


def test_real_github_pagination_replayed(con: Any) -> None:
    exchanges = {
        _key(e["path"]): e for e in json.loads(RECORDING.read_text()) if e["method"] == "get"
    }
    seen: list[str] = []

    class Replay(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(self.path)
            e = exchanges[_key(self.path)]
            body = json.dumps(e["response"]).replace("https://api.github.com", base).encode()
            raw = e["rawHeaders"]
            self.send_response(e["status"])
            for name, value in zip(raw[::2], raw[1::2], strict=True):
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value.replace("https://api.github.com", base))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        first_path = next(p for p, _ in exchanges if p.startswith("/repos/"))
        client = GitHubClient("recorded", base, policy=fast_policy())
        pages = [client.get(first_path, {"per_page": 3})]
        while pages[-1].next_url:
            pages.append(client.get(pages[-1].next_url))
        client.close()
    finally:
        srv.shutdown()
        srv.server_close()
    assert [len(p.data) for p in pages] == [3, 3, 3, 3, 1]
    assert [urllib.parse.urlparse(s).path for s in seen[1:]] == [
        "/repositories/733219004/issues"
    ] * 4
    assert pages[1].etag == 'W/"9e4c161459948683abd7ea404133a658a1f91047612128c8e8f387b551835b19"'
    assert [i["number"] for p in pages for i in p.data] == list(range(13, 0, -1))
    repo_id = ensure_repo(con, "ada-lovelace/paginate")
    assert save_issues(con, repo_id, [i for p in pages for i in p.data]) == 13
    assert con.execute(
        "SELECT count(DISTINCT number), bool_or(is_pull) FROM issues"
    ).fetchone() == (13, False)

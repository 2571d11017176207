"""Replay a real api.github.com pagination (octokit/fixtures, 2022) verbatim, to catch drift
between our generated server and what GitHub really sends (Link header, /repositories/{id})."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ossmetrics.collect.github_client import GitHubClient
from ossmetrics.collect.github_save import save_issues
from ossmetrics.store import ensure_repo
from tests.github_server import FIXTURES, fast_policy

RECORDING = FIXTURES / "recorded" / "octokit-fixtures" / "paginate-issues.raw-fixture.json"


def _key(path: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    p = urllib.parse.urlparse(path)
    return p.path, tuple(sorted(urllib.parse.parse_qsl(p.query)))


@pytest.mark.skipif(not RECORDING.exists(), reason="shared octokit recording not present")
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
        "/repositories/515435940/issues"
    ] * 4
    assert pages[1].etag == '"d011a13e41ffbde571ff296a56727f7a2d0d347d0ca27dbfcbf00d1f7acfa89c"'
    repo_id = ensure_repo(con, "octokit-fixture-org/paginate")
    assert save_issues(con, repo_id, [i for p in pages for i in p.data]) == 13
    assert con.execute(
        "SELECT count(DISTINCT number), bool_or(is_pull) FROM issues"
    ).fetchone() == (13, False)

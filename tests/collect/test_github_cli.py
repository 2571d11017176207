"""``ossmetrics collect github`` as a user runs it (a subprocess against the local server)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from ossmetrics.collect.github import collect_github
from ossmetrics.store import connect
from tests.collect.test_github_sync import snapshot
from tests.github_server import FakeGitHub, fast_policy

REPO = "octo-org/widgets"
REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghp_CliS3cret0123456789abcdef"


def test_collect_github_cli_killed_then_resumed(cli: Any, tmp_path: Path) -> None:
    """Main path, with the first run killed (SIGKILL) between two pages and then resumed: the
    store ends up row for row like an uninterrupted run."""
    db = tmp_path / "s.duckdb"
    with FakeGitHub(REPO, issues=210, pr_every=10, releases=1, commits=0, token=TOKEN) as gh:
        env = {**os.environ, "MY_TOKEN": TOKEN, "GITHUB_TOKEN": "", "OSSMETRICS_GRAPHQL": "off"}
        args = ["--db", str(db), "collect", "github", REPO, "--api-url", gh.url, "--token-env", "MY_TOKEN"]  # fmt: skip
        gh.fail(r"/repositories/\d+/issues$", "delay", after=1, seconds=6)  # page 3 hangs
        proc = subprocess.Popen([sys.executable, str(REPO_ROOT / "cli.py"), *args], env=env)
        deadline = time.monotonic() + 60
        while gh.count(r"/repositories/\d+/issues$") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.kill()
        proc.wait()
        gh.clear_faults()
        killed = duckdb.connect(str(db))
        assert killed.execute("SELECT count(*) FROM issues").fetchone() == (200,)  # 2 pages
        killed.close()
        resumed = cli(*args, env=env)
        assert resumed.returncode == 0, resumed.stderr
        # repo and community were done before the kill (304 now); issues go on from page 3
        assert resumed.stdout.startswith(
            f"{REPO}: 33 requests, 2 answered 304; issues 10, issues/comments 210, "
            "pulls/comments 21, pulls/reviews 21, releases 1; "
        )
        assert TOKEN not in resumed.stdout + resumed.stderr
        clean = connect(tmp_path / "clean.duckdb")
        collect_github(clean, REPO, token=TOKEN, api_url=gh.url, policy=fast_policy())
    store = connect(db)
    try:
        assert snapshot(store) == snapshot(clean)
    finally:
        store.close()
        clean.close()


def test_collect_github_cli_bad_input(cli: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    with FakeGitHub(REPO, issues=1) as gh:
        env = {"GITHUB_TOKEN": ""}
        missing = cli(
            "--db", db, "collect", "github", "octo-org/nope", "--api-url", gh.url, env=env
        )
        assert missing.returncode == 1
        assert (
            "Warning: no GitHub token set: anonymous access allows only 60 requests per hour"
            in missing.stderr
        )
        errors = [line for line in missing.stderr.splitlines() if line.startswith("Error:")]
        assert errors == [
            "Error: repository octo-org/nope not found (/repos/octo-org/nope answered 404) — check OWNER/REPO; a private repository needs a token with access"
        ]
    bad = cli("--db", db, "collect", "github", "just-a-name", env=env)
    assert bad.returncode == 2 and "Error: 'just-a-name' is not a repository name" in bad.stderr
    down = cli("--db", db, "collect", "github", REPO, "--api-url", "http://127.0.0.1:9", env=env)
    assert down.returncode == 1
    assert "Error: cannot reach the GitHub API at http://127.0.0.1:9" in down.stderr
    assert "Traceback" not in missing.stderr + bad.stderr + down.stderr


def test_since_option_parsing() -> None:
    from datetime import UTC, date, datetime

    import pytest

    from ossmetrics.cli.collect_github import _parse_since
    from ossmetrics.errors import BadParameter

    assert _parse_since("2024-03-01") == date(2024, 3, 1)
    assert _parse_since("2024-03-01T10:00:00Z") == datetime(2024, 3, 1, 10, tzinfo=UTC)
    with pytest.raises(BadParameter) as err:
        _parse_since("yesterday")
    assert err.value.exit_code == 2 and "--since 'yesterday' is not a date" in err.value.one_line()

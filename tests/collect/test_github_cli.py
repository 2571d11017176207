"""``ossmetrics collect github`` as a user runs it (a subprocess against the local server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from tests.github_server import FakeGitHub

REPO = "octo-org/widgets"
TOKEN = "ghp_CliS3cret0123456789abcdef"


def test_collect_github_cli_main_path(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with FakeGitHub(REPO, issues=4, releases=1, commits=0, token=TOKEN) as gh:
        env = {"MY_TOKEN": TOKEN, "GITHUB_TOKEN": ""}
        args = [
            "--db",
            str(db),
            "collect",
            "github",
            REPO,
            "--api-url",
            gh.url,
            "--token-env",
            "MY_TOKEN",
        ]
        first = cli(*args, env=env)
        assert first.returncode == 0, first.stderr
        assert first.stdout.startswith(f"{REPO}: 12 requests, 0 answered 304; issues 4,")
        assert "pulls/reviews 2" in first.stdout and "releases 1" in first.stdout
        second = cli(*args, "--max-wait", "30", env=env)
        assert second.returncode == 0, second.stderr
        assert f"{REPO}: 7 requests, 7 answered 304; nothing new;" in second.stdout
        assert TOKEN not in first.stdout + first.stderr + second.stdout + second.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM issues").fetchone() == (4,)
    con.close()


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
    since = cli("--db", db, "collect", "github", REPO, "--since", "yesterday", env=env)
    assert since.returncode == 2 and "--since 'yesterday' is not a date" in since.stderr
    down = cli("--db", db, "collect", "github", REPO, "--api-url", "http://127.0.0.1:9", env=env)
    assert down.returncode == 1
    assert "Error: cannot reach the GitHub API at http://127.0.0.1:9" in down.stderr
    assert "Traceback" not in missing.stderr + bad.stderr + since.stderr + down.stderr

"""A hand-made store whose every figure is computed by hand in the tests, and sites built once.

Two repositories: ``acme/rocket`` (git + GitHub + graphs + risk + snapshots) and ``beta/quiet``
(git only, long quiet). Collected text carries XSS payloads that set ``window.__xss`` if they
ever run, so the browser tests can prove they never do.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

from ossmetrics.store import connect, ensure_repo

XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '"><img src=x onerror="window.__xss=2">'
NAMES = {
    1: f"{XSS_SCRIPT}Alice",
    2: f"{XSS_IMG}Bob",
    3: "Carol",
    4: "dependabot[bot]",
    5: "Dave",
}
DESCRIPTION = f"Rockets {XSS_IMG} and {XSS_SCRIPT}</script><script>window.__xss=7</script>"
TITLE = "<script>window.__xss=3</script>Crash on start"
LABEL = '"><img src=x onerror="window.__xss=4">'
RELEASE_NAME = "<img src=x onerror=window.__xss=5>"
DRIVER = "One person wrote most files <script>window.__xss=6</script>"

# (repo, person, committed_at) — see tests for the hand-computed figures
COMMITS = [
    ("acme/rocket", 1, "2021-05-01"),
    ("acme/rocket", 1, "2022-07-15"),
    ("acme/rocket", 1, "2023-01-10"),
    ("acme/rocket", 2, "2023-02-01"),
    ("acme/rocket", 3, "2023-03-01"),
    ("acme/rocket", 2, "2023-04-01"),
    ("acme/rocket", 1, "2023-09-01"),
    ("acme/rocket", 4, "2024-01-01"),
    ("acme/rocket", 4, "2024-02-01"),
    ("acme/rocket", 1, "2024-03-01"),
    ("acme/rocket", 2, "2024-05-01"),
    ("acme/rocket", 1, "2024-06-30"),
    ("beta/quiet", 5, "2020-01-01"),
    ("beta/quiet", 5, "2020-02-01"),
    ("beta/quiet", 5, "2020-03-01"),
    ("beta/quiet", 1, "2024-02-01"),
]


def build_store(path: Path) -> None:
    con = connect(path)
    a = ensure_repo(con, "acme/rocket")
    b = ensure_repo(con, "beta/quiet")
    ids = {"acme/rocket": a, "beta/quiet": b}
    con.execute(
        "UPDATE repos SET description = ?, stars = 100, language = 'Python', url = 'javascript:alert(1)' WHERE repo_id = ?",
        [DESCRIPTION, a],
    )
    con.execute(
        "UPDATE repos SET description = 'Quiet library', language = 'C' WHERE repo_id = ?", [b]
    )
    for pid, name in NAMES.items():
        con.execute(
            "INSERT INTO people (person_id, display_name, is_bot) VALUES (?, ?, ?)",
            [pid, name, pid == 4],
        )
        con.execute(
            "INSERT INTO identities (identity_id, identity_key, person_id, source, name, email, is_bot) VALUES (?, ?, ?, 'git', ?, ?, ?)",
            [pid, f"git:p{pid}@example.com\x1f{name}", pid, name, f"p{pid}@example.com", pid == 4],
        )
    # Bob also has a second identity: a merge the health page must show
    con.execute(
        "INSERT INTO identities (identity_id, identity_key, person_id, source, login) VALUES (6, 'github:bob', 2, 'github', 'bob')"
    )
    rows = {"repo_id": [], "sha": [], "author_identity": [], "committed_at": [], "n_parents": []}
    files = {"repo_id": [], "sha": [], "path": []}
    for n, (repo, pid, day) in enumerate(COMMITS):
        sha = f"{n:040x}"
        rows["repo_id"].append(ids[repo])
        rows["sha"].append(sha)
        rows["author_identity"].append(pid)
        rows["committed_at"].append(f"{day} 00:00:00+00")
        rows["n_parents"].append(1)
        for path in ("src/main.py", f"docs/{pid}.md"):
            files["repo_id"].append(ids[repo])
            files["sha"].append(sha)
            files["path"].append(path)
    c = pa.table(rows)  # noqa: F841 - read by DuckDB below
    f = pa.table(files)  # noqa: F841
    con.execute(
        "INSERT INTO commits (repo_id, sha, author_identity, committer_identity, committed_at, authored_at, n_parents) "
        "SELECT repo_id, sha, author_identity, author_identity, committed_at::TIMESTAMPTZ, committed_at::TIMESTAMPTZ, n_parents FROM c"
    )
    con.execute("INSERT INTO commit_files (repo_id, sha, path) SELECT repo_id, sha, path FROM f")
    issues = [
        (1, False, 2, "bob", "Crash", "open", "2024-01-10 00:00", None, None, []),
        (
            2,
            True,
            3,
            "carol",
            "Add feature",
            "closed",
            "2024-02-01 00:00",
            "2024-02-03 00:00",
            "2024-02-03 00:00",
            [],
        ),
        (3, False, 3, "carol", TITLE, "open", "2024-03-05 00:00", None, None, [LABEL]),
    ]
    for num, pull, ident, login, title, state, created, closed, merged, labels in issues:
        con.execute(
            "INSERT INTO issues (repo_id, number, is_pull, author_identity, author_login, title, state, labels, created_at, closed_at, merged_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ)",
            [a, num, pull, ident, login, title, state, labels, created, closed, merged],
        )
    comments = [
        (1, 10, 2, "bob", "2024-01-10 01:00"),  # the author: not a response
        (1, 11, None, "dependabot[bot]", "2024-01-10 02:00"),  # a bot: not a response
        (1, 12, 1, "alice", "2024-01-10 05:00"),  # 5 h
        (2, 13, 1, "alice", "2024-02-01 10:00"),  # 10 h
    ]
    for num, cid, ident, login, created in comments:
        con.execute(
            "INSERT INTO comments (repo_id, issue_number, comment_id, kind, author_identity, author_login, created_at) "
            "VALUES (?, ?, ?, 'issue', ?, ?, ?::TIMESTAMPTZ)",
            [a, num, cid, ident, login, created],
        )
    con.execute(
        "INSERT INTO releases (repo_id, tag, name, published_at, prerelease, draft) VALUES "
        "(?, 'v1.0', 'First', '2023-05-01'::TIMESTAMPTZ, false, false), "
        "(?, 'v2.0-rc1', ?, '2024-04-01'::TIMESTAMPTZ, true, false), "
        "(?, 'v3-draft', 'draft', '2024-06-01'::TIMESTAMPTZ, false, true)",
        [a, a, RELEASE_NAME, a],
    )
    con.execute(
        "INSERT INTO sync_state (repo_id, source, endpoint, last_success_at, last_error) VALUES "
        "(?, 'git', 'HEAD', '2024-06-30'::TIMESTAMPTZ, NULL), (?, 'github', 'issues', '2024-06-30'::TIMESTAMPTZ, 'HTTP 502 <b>boom</b>'), "
        "(?, 'git', 'HEAD', now(), NULL)",
        [a, a, b],
    )
    con.execute(
        "INSERT INTO runs (run_id, started_at, finished_at, repo_id, stage, status, items, seconds) VALUES "
        "(1, '2024-06-30'::TIMESTAMPTZ, '2024-06-30'::TIMESTAMPTZ, ?, 'collect_git', 'ok', 12, 0.5)",
        [a],
    )
    con.execute(
        "INSERT INTO graph_repo_measures (repo_id, as_of, measure, value, detail) VALUES "
        "(?, '2024-06-30', 'truck_factor', 1, '{\"key_people\": [{\"person_id\": 1}]}'), "
        "(?, '2024-06-30', 'bus_factor_all_history', 2, NULL), (?, '2024-06-30', 'core_size', 2, NULL), "
        "(?, '2024-06-30', 'key_people_cross_load', 1, NULL), "
        "(?, '2023-06-30', 'truck_factor', 5, NULL)",
        [a, a, a, a, a],
    )
    con.execute(
        "INSERT INTO risk_scores (repo_id, as_of, model_version, p_dormant, p_core_loss, risk, drivers, scored_at) VALUES "
        "(?, '2024-06-30', 'test-1', 0.2, 0.7, 72, ?, now()), (?, '2024-01-01', 'test-1', 0.1, 0.1, 10, '[]', now())",
        [a, f'["{DRIVER}", {{"factor": "contributor trend", "value": -0.33}}]', a],
    )
    con.execute(
        "INSERT INTO metric_snapshots (run_id, repo_id, metric, value, computed_at) VALUES "
        "(1, ?, 'commits_12m', 3, '2024-05-01'::TIMESTAMPTZ), (2, ?, 'commits_12m', 4, '2024-06-01'::TIMESTAMPTZ)",
        [a, a],
    )
    _funding(con)
    con.close()


# importance from dependency data (what `ossmetrics fund` stores): acme/rocket reach 80 and
# exposure 60, beta/quiet reach 20 and exposure unknown; and a stored two-project plan
REACH_DETAIL = (
    '{"ecosystem": "pypi", "inputs": [{"signal": "transitive dependents", "value": 1234, '
    '"source": "deps.dev", "as_of": "2024-06-01"}], "links": [{"package": "pkg:pypi/rocket", '
    '"confidence": 0.95, "provenance": "depsdev:SLSA_ATTESTATION"}]}'
)


def _funding(con) -> None:
    con.execute(
        "INSERT INTO fund_importance VALUES "
        "('acme/rocket', 'reach', 80, 3, false, ?, now()), "
        "('acme/rocket', 'exposure', 60, NULL, NULL, "
        '\'{"mode": "trickle", "org_repos": 4, "repos_reaching": 3, "repos_direct": 2}\', now()), '
        "('acme/rocket', 'criticality', 40, NULL, NULL, '{}', now()), "
        "('beta/quiet', 'reach', 20, 1, true, '{\"inputs\": []}', now()), "
        "('beta/quiet', 'exposure', NULL, NULL, NULL, '{}', now())",
        [REACH_DETAIL],
    )
    con.execute(
        "INSERT INTO fund_plan VALUES "
        "(1, 'acme/rocket', 0.12, 7500, 60, 'exposure', 0.2, 72, '3 of our 4 repositories depend on it', ?, "
        "'https://github.com/sponsors/rocket javascript:alert(1)', 10000, 5000, 1.0, '2024-07-01'), "
        "(2, 'beta/quiet', 0.04, 2500, 20, 'exposure', 0.1, 10, 'used by 1', NULL, '', 10000, 5000, 1.0, '2024-07-01')",
        [DRIVER],
    )


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report-store") / "store.duckdb"
    build_store(path)
    return path


@pytest.fixture(scope="session")
def site(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture store's site, built once per session."""
    from ossmetrics.report import build_site

    out = tmp_path_factory.mktemp("report-site") / "site"
    con = connect(store_path)
    try:
        build_site(con, out)
    finally:
        con.close()
    return out


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """``ossmetrics demo`` run once through the CLI: (site folder, stdout, stderr)."""
    from tests.conftest import run_cli

    work = tmp_path_factory.mktemp("demo")
    out = work / "site"
    r = run_cli(
        "--db",
        str(work / "demo.duckdb"),
        "demo",
        "--out",
        str(out),
        env={"OSSMETRICS_OUT": ""},
        cwd=work,
    )
    assert r.returncode == 0, r.stderr
    return out, r.stdout, r.stderr


def chromium_available() -> bool:
    return os.path.exists("/usr/bin/chromium")

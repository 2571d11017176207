"""`ossmetrics collect git` and `ossmetrics identities ...` as a user runs them (subprocesses)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.gitfactory import GitFactory, Person
from tests.holder import store_held_open

ANN = Person("Ann Lee", "ann@acme.org")
ANN2 = Person("ann", "ann.lee@gmail.com")


@pytest.fixture
def repo(tmp_path: Path) -> GitFactory:
    r = GitFactory(tmp_path / "widget")
    r.set_origin("https://github.com/acme/widget.git")
    r.commit({"a.txt": "1\n2\n"}, author=ANN)
    r.commit({"b.bin": b"\0\1\2"}, author=ANN2)
    r.commit(
        {"c.txt": "x\n"},
        author=Person("dependabot[bot]", "1+dependabot[bot]@users.noreply.github.com"),
    )
    return r


def one_error_line(r: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_collect_then_identities(cli, repo: GitFactory, tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    r = cli("--db", db, "collect", "git", str(repo.path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith(
        "acme/widget: 3 commits added, 0 removed, 3 file changes, 3 people, 3 commits stored"
    ), r.stdout
    again = cli("--db", db, "collect", "git", str(repo.path))
    assert again.returncode == 0 and "acme/widget: unchanged, 3 commits stored" in again.stdout
    merged = cli("--db", db, "identities", "merge", "ann.lee@gmail.com", "ann@acme.org")
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout.strip() == "merged ann.lee@gmail.com into ann@acme.org: person 1"
    listed = cli("--db", db, "identities", "list", "--repo", "acme/widget", "--no-bots", "ann")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "person\tname\temail\tlogin\torganization\tbot\tcommits\tidentities",
        "1\tAnn Lee\tann@acme.org\t\tacme.org\t\t2\t#1 Ann Lee <ann@acme.org>; #2 ann <ann.lee@gmail.com>",
    ]
    split = cli("--db", db, "identities", "split", "2")
    assert split.returncode == 0 and split.stdout.strip() == "split 2: person 2"
    bad = cli("--db", db, "identities", "merge", "nobody@x.org", "1")
    assert bad.returncode == 2 and "no identity matches 'nobody@x.org'" in one_error_line(bad)


def test_bad_input_gives_one_line(cli, repo: GitFactory, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    missing = cli("--db", str(db), "collect", "git", str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    assert "nowhere is not a git repository: no such file or directory" in one_error_line(missing)
    assert not db.exists()  # a bad path fails before the store is created
    jobs = cli("--db", str(db), "collect", "git", str(repo.path), "--jobs", "0")
    assert jobs.returncode == 2
    assert "git jobs must be a positive number or auto, not '0'" in one_error_line(jobs)
    env_jobs = cli(
        "--db", str(db), "collect", "git", str(repo.path), env={"OSSMETRICS_GIT_JOBS": "lots"}
    )
    assert env_jobs.returncode == 2 and "not 'lots'" in one_error_line(env_jobs)
    assert not db.exists()

    corrupt = tmp_path / "corrupt.duckdb"
    corrupt.write_bytes(b"this is not a database" * 500)
    bad_db = cli("--db", str(corrupt), "collect", "git", str(repo.path))
    assert bad_db.returncode == 1 and "not a readable DuckDB file" in one_error_line(bad_db)

    held = tmp_path / "held.duckdb"
    with store_held_open(held):
        locked = cli("--db", str(held), "collect", "git", str(repo.path))
        assert locked.returncode == 1 and "is locked" in one_error_line(locked)
    ok = cli("--db", str(held), "collect", "git", str(repo.path), "--repo", "acme/renamed")
    assert ok.returncode == 0 and ok.stdout.startswith("acme/renamed: 3 commits added"), ok.stderr

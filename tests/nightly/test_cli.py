"""`ossmetrics nightly` and `ossmetrics track` as a user runs them (a subprocess each)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from ossmetrics.nightly.lock import NightlyLock
from ossmetrics.store import connect
from tests.conftest import REPO_ROOT
from tests.nightly.conftest import ALICE, commit, make_repo

NO_TOKEN = {"GITHUB_TOKEN": "", "OSSMETRICS_TOKEN_ENV": "", "COLUMNS": "120"}


def _config(tmp_path: Path, body: str) -> Path:
    cfg = tmp_path / "ossmetrics.toml"
    cfg.write_text(f'[settings]\ndb = "{tmp_path / "store.duckdb"}"\n' + body)
    return cfg


def test_track_add_list_remove(cli, tmp_path: Path) -> None:
    cfg = tmp_path / "ossmetrics.toml"
    cfg.write_text('[settings]\ndevice = "cpu"\n')
    base = ["--config", str(cfg), "track"]
    r = cli(
        *base,
        "add",
        "pallets/flask",
        "--git",
        "https://github.com/pallets/flask.git",
        "--stars",
        "--bot",
        "flask-bot",
        "--bot",
        "ci@example.org",
        "--exclude",
        "docs/**",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"tracking pallets/flask in {cfg}"
    r = cli(*base, "add", "psf/requests", "--no-github", "--git", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert tomllib.loads(cfg.read_text()) == {
        "settings": {"device": "cpu"},
        "repos": [
            {
                "name": "pallets/flask",
                "git": "https://github.com/pallets/flask.git",
                "stars": True,
                "bots": ["flask-bot", "ci@example.org"],
                "exclude": ["docs/**"],
            },
            {"name": "psf/requests", "git": str(tmp_path), "github": False},
        ],
    }
    r = cli(*base, "list")
    assert r.returncode == 0
    assert r.stdout.splitlines() == [
        "pallets/flask  git=https://github.com/pallets/flask.git  github=yes  stars=yes"
        "  bots=flask-bot,ci@example.org  exclude=docs/**",
        f"psf/requests  git={tmp_path}  github=no",
    ]
    r = cli(*base, "remove", "pallets/flask")
    assert (r.returncode, r.stdout.strip()) == (0, f"removed pallets/flask from {cfg}")
    assert [e["name"] for e in tomllib.loads(cfg.read_text())["repos"]] == ["psf/requests"]


def test_track_bad_input(cli, tmp_path: Path) -> None:
    cfg = tmp_path / "ossmetrics.toml"
    r = cli("--config", str(cfg), "track", "add", "not-a-name")
    assert r.returncode == 2
    assert (
        r.stderr.strip()
        == "Error: 'not-a-name' is not a repository name — give it as OWNER/REPO, e.g. pallets/flask"
    )
    r = cli("--config", str(cfg), "track", "remove", "a/b")
    assert r.returncode == 2
    assert (
        r.stderr.strip()
        == f"Error: 'a/b' is not tracked in {cfg} — tracked: none (`ossmetrics track list`)"
    )
    assert not cfg.exists()


def test_nightly_main_path_and_no_change_rerun(cli, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "src" / "one", [ALICE], 2)
    cfg = _config(tmp_path, f'[[repos]]\nname = "acme/one"\ngit = "{repo}"\n')
    r = cli(
        "nightly",
        "--config",
        str(cfg),
        "--out",
        str(tmp_path / "site"),
        "--skip",
        "risk",
        env=NO_TOKEN,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "nightly run 1: ok" in r.stdout
    assert "│ acme/one " in r.stdout and "│ ok " in r.stdout
    assert r.stderr.strip() == (
        "Warning: $GITHUB_TOKEN is not set: GitHub collection skipped for 1 repositories "
        "(git collection still runs) — export a token to collect issues and pull requests"
    )
    con = connect(tmp_path / "store.duckdb", read_only=True)
    n = con.execute("SELECT count(*) FROM commits").fetchall()[0][0]
    con.close()
    assert n == 2


def test_nightly_bad_input(cli, tmp_path: Path) -> None:
    cfg = tmp_path / "ossmetrics.toml"
    cfg.write_text('[[repos]]\nname = "acme/one"\nstarz = true\n')
    r = cli("nightly", "--config", str(cfg))
    assert r.returncode == 2
    assert r.stderr.strip() == (
        f"Error: {cfg}:3: unknown key 'starz' in a [[repos]] entry — known keys: bots, exclude, git, github, name, stars"
    )
    empty = _config(tmp_path, "")
    r = cli("nightly", "--config", str(empty))
    assert r.returncode == 2
    assert r.stderr.strip().startswith(
        f"Error: no repositories are tracked in {empty} — add one with"
    )
    assert not (tmp_path / "store.duckdb").exists()
    r = cli("nightly", "--config", str(empty), "--skip", "bogus")
    assert r.returncode == 2 and "unknown stage 'bogus' for --skip" in r.stderr


def test_second_run_names_the_lock_holder(cli, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "src" / "one", [ALICE], 1)
    cfg = _config(tmp_path, f'[[repos]]\nname = "acme/one"\ngit = "{repo}"\n')
    lock = tmp_path / "store.duckdb.nightly.lock"
    with NightlyLock(lock):
        r = cli("nightly", "--config", str(cfg), env=NO_TOKEN)
    assert r.returncode == 1
    assert r.stderr.strip() == (
        f"Error: another nightly run (process {os.getpid()}) holds {lock} — wait for it to "
        "finish; the lock frees itself when that process exits"
    )
    assert not (tmp_path / "store.duckdb").exists()


def test_full_disk_is_one_line_and_loses_nothing(tmp_path: Path) -> None:
    """A file-size limit makes every write past it fail with EFBIG, as a full disk would."""
    repo = make_repo(tmp_path / "src" / "one", [ALICE], 2)
    cfg = _config(tmp_path, f'[[repos]]\nname = "acme/one"\ngit = "{repo}"\n')
    args = [
        sys.executable,
        str(REPO_ROOT / "cli.py"),
        "nightly",
        "--config",
        str(cfg),
        "--skip",
        "report",
        "--skip",
        "risk",
    ]
    env = {**os.environ, **NO_TOKEN}
    ok = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert ok.returncode == 0, ok.stderr
    for i in range(20):
        commit(repo, {f"f{i}.txt": "x\n"}, date=f"2024-02-01T00:{i:02d}:00+00:00")

    def limit() -> None:  # no write may reach past 16 KiB into any file: the disk is "full"
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 << 10, 16 << 10))

    full = subprocess.run(
        args, capture_output=True, text=True, env=env, timeout=300, preexec_fn=limit
    )
    assert full.returncode == 1
    errors = [ln for ln in full.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in full.stderr, full.stderr
    assert "the disk holding the store is full" in errors[0]
    assert errors[0].endswith(
        "— free disk space or fix the store's permissions, then run again; completed work is kept"
    )
    con = connect(tmp_path / "store.duckdb", read_only=True)
    n = con.execute("SELECT count(*) FROM commits").fetchall()[0][0]
    con.close()
    assert n in (2, 22)  # the git stage committed all of its increment or none of it
    again = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    con = connect(tmp_path / "store.duckdb", read_only=True)
    n = con.execute("SELECT count(*) FROM commits").fetchall()[0][0]
    con.close()
    assert n == 22


def test_read_only_store_is_one_line_and_loses_nothing(tmp_path: Path) -> None:
    """An immutable store file (chattr +i: even root cannot write it) is refused cleanly."""
    import shutil

    repo = make_repo(tmp_path / "src" / "one", [ALICE], 2)
    cfg = _config(tmp_path, f'[[repos]]\nname = "acme/one"\ngit = "{repo}"\n')
    args = [sys.executable, str(REPO_ROOT / "cli.py"), "nightly", "--config", str(cfg)]
    args += ["--skip", "report", "--skip", "risk", "--skip", "graphs", "--skip", "snapshots"]
    env = {**os.environ, **NO_TOKEN}
    ok = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert ok.returncode == 0, ok.stderr
    store = tmp_path / "store.duckdb"
    if shutil.which("chattr") is None:
        pytest.skip("chattr not available")
    if subprocess.run(["chattr", "+i", str(store)], capture_output=True).returncode != 0:
        pytest.skip("this filesystem has no immutable flag")
    try:
        commit(repo, {"new.txt": "n\n"}, date="2024-03-01T00:00:00+00:00")
        ro = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    finally:
        subprocess.run(["chattr", "-i", str(store)], check=True)
    assert ro.returncode == 1
    lines = ro.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: cannot open database {store}"), (
        ro.stderr
    )
    con = connect(store, read_only=True)
    n = con.execute("SELECT count(*) FROM commits").fetchall()[0][0]
    con.close()
    assert n == 2

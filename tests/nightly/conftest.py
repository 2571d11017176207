"""Fixtures for the nightly tests: tiny real git repositories with fixed dates, a config file."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_SYSTEM": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV, **(env or {})},
    ).stdout


def commit(
    repo: Path,
    files: dict[str, str],
    *,
    author: str = "Ada Lovelace",
    email: str = "ada@example.org",
    date: str = "2024-01-01T12:00:00+00:00",
    message: str = "change",
) -> str:
    """One commit writing ``files`` (path -> content), authored and committed at ``date``."""
    for name, text in files.items():
        p = repo / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    git(repo, "add", "-A")
    who = {
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_NAME": author,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_COMMITTER_DATE": date,
    }
    git(repo, "commit", "-q", "--allow-empty", "-m", message, env=who)
    return git(repo, "rev-parse", "HEAD").strip()


def make_repo(path: Path, people: Sequence[tuple[str, str]], n: int, day0: int = 1) -> Path:
    """A repository of ``n`` commits, authors taken in turn from ``people`` (name, email)."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for i in range(n):
        name, email = people[i % len(people)]
        commit(
            path,
            {f"src/f{i % 3}.py": f"v{i}\n" * (i + 1), "README": f"r{i}\n"},
            author=name,
            email=email,
            date=f"2024-01-{day0 + i:02d}T12:00:00+00:00",
            message=f"commit {i}",
        )
    return path


ALICE = ("Alice Adams", "alice@example.org")
BOB = ("Bob Brown", "bob@example.org")
CAROL = ("Carol Chen", "carol@example.org")
DAN = ("Dan Dunn", "dan@example.org")


@pytest.fixture
def repos(tmp_path: Path) -> dict[str, Path]:
    """Three tiny repositories: two by path, one to be tracked by file:// URL."""
    base = tmp_path / "src"
    return {
        "acme/one": make_repo(base / "one", [ALICE, BOB], 4),
        "acme/two": make_repo(base / "two", [BOB, CAROL], 3),
        "acme/three": make_repo(base / "three", [CAROL, ALICE], 2),
    }


def write_config(
    path: Path, repos: dict[str, Path], *, url: Sequence[str] = (), extra: str = ""
) -> Path:
    """``ossmetrics.toml`` tracking ``repos``; names in ``url`` are tracked by file:// URL."""
    parts = [extra] if extra else []
    for name, p in repos.items():
        src = f"file://{p}" if name in url else str(p)
        parts.append(f'[[repos]]\nname = "{name}"\ngit = "{src}"\n')
    path.write_text("\n".join(parts))
    return path

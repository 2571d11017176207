"""Bare clones of repositories tracked by URL, kept in the cache folder and fetched, not re-cloned.

A clone is made into a temporary folder and renamed into place only when complete, so a run
killed mid-clone leaves no half clone that a later run would mistake for a good one. Later runs
``git fetch`` branches and tags only (GitHub's ``refs/pull/*`` would more than double the
history the collector has to read). Stale ``*.lock`` files that a killed ``git fetch`` leaves
behind are removed first: the caller holds the nightly lock, so no other git process of ours can
be using the clone.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ossmetrics.errors import GitError
from ossmetrics.secret_env import redact

__all__ = ["CloneResult", "clone_dir_for", "clone_or_fetch"]

GIT_TIMEOUT = 3600
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}


@dataclass(frozen=True)
class CloneResult:
    path: Path
    cloned: bool  # True on the first run (a new clone), False when an existing one was fetched
    changed: bool  # whether any ref moved


def clone_dir_for(cache_dir: str | os.PathLike[str], url: str) -> Path:
    """A readable, collision-free folder name: the URL's last two parts plus a short hash."""
    tail = re.sub(r"\.git/?$", "", url.rstrip("/"))
    parts = [p for p in re.split(r"[/:]", tail) if p][-2:]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", "__".join(parts)) or "repo"
    digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:8]
    return Path(cache_dir) / f"{slug}-{digest}.git"


def _git(args: list[str], cwd: Path | None = None) -> str:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=str(cwd) if cwd else None,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            env={**os.environ, **_ENV},
        )
    except FileNotFoundError:
        raise GitError("git is not installed", "install git and run again") from None
    except subprocess.TimeoutExpired:
        raise GitError(
            f"git {args[0]} took longer than {GIT_TIMEOUT} s", "check the network and the URL"
        ) from None
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        raise GitError(
            f"git {args[0]} failed: {redact(detail)}", "check the URL and your access to it"
        )
    return proc.stdout


def _refs(path: Path) -> str:
    return _git(["for-each-ref", "--format=%(objectname) %(refname)"], cwd=path)


def _remove_stale_locks(path: Path) -> None:
    for lock in [*path.glob("*.lock"), *(path / "refs").rglob("*.lock")]:
        lock.unlink(missing_ok=True)


def clone_or_fetch(url: str, cache_dir: str | os.PathLike[str]) -> CloneResult:
    """Make sure an up-to-date bare clone of ``url`` exists in ``cache_dir``; return its path."""
    dest = clone_dir_for(cache_dir, url)
    if (dest / "HEAD").exists():
        _remove_stale_locks(dest)
        before = _refs(dest)
        _git(["fetch", "--prune", "--tags", "--quiet", "origin"], cwd=dest)
        return CloneResult(dest, cloned=False, changed=_refs(dest) != before)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    if dest.exists():  # a folder without HEAD is not a clone (e.g. a crash in an old version)
        shutil.rmtree(dest)
    _git(["clone", "--bare", "--quiet", url, str(tmp)])
    _git(["config", "remote.origin.fetch", "+refs/heads/*:refs/heads/*"], cwd=tmp)
    os.replace(tmp, dest)
    return CloneResult(dest, cloned=True, changed=True)

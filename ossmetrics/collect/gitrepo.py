"""A git repository on disk, and how every git command is run on it.

Why a module of its own: locating a repository (a clone, a bare mirror or a ``.git`` folder),
pinning the configuration git runs with, and turning git's failures into one-line errors are the
same for every command the collector runs; the log parser and the processes that stream the log
build on it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ossmetrics.errors import GitError, NotAGitRepository

__all__ = ["GIT_CONFIG", "GitRepo", "first_error_line", "git_env", "open_repository"]

# Pinned so a user's git config cannot change what is parsed.
GIT_CONFIG = (
    "core.quotepath=off",
    "log.showSignature=false",
    "log.showRoot=true",
    "diff.renameLimit=1000",
    "i18n.logOutputEncoding=UTF-8",
    "color.ui=never",
)


@dataclass(frozen=True)
class GitRepo:
    """A repository located on disk: ``git_dir`` is absolute, ``work_tree`` None when bare."""

    path: Path
    git_dir: Path
    work_tree: Path | None

    @property
    def name(self) -> str:
        """Folder name without ``.git`` (``/x/flask.git`` and ``/x/flask/.git`` → flask)."""
        base = self.work_tree if self.work_tree is not None else self.git_dir
        n = base.name
        if n == ".git":
            n = base.parent.name
        return n[:-4] if n.endswith(".git") and len(n) > 4 else n

    def argv(self, *args: str) -> list[str]:
        cfg = [x for c in GIT_CONFIG for x in ("-c", c)]
        return ["git", "--no-replace-objects", f"--git-dir={self.git_dir}", *cfg, *args]

    def run(self, *args: str, stdin: bytes | None = None, check: bool = True) -> bytes:
        """Run one git command to completion; a failure becomes a one-line ``GitError``."""
        proc = subprocess.run(
            self.argv(*args), input=stdin, capture_output=True, env=git_env(), check=False
        )
        if check and proc.returncode != 0:
            raise GitError(
                f"git {args[0]} failed in {self.path}: {first_error_line(proc.stderr)}",
                "check that the repository is intact (`git fsck`)",
            )
        return proc.stdout

    def tips(self, all_refs: bool) -> tuple[list[str], str | None]:
        """Commit ids to collect from, and the default branch (what HEAD points to)."""
        out = subprocess.run(
            self.argv("rev-parse", "HEAD^{commit}", "--symbolic-full-name", "HEAD"),
            capture_output=True,
            env=git_env(),
            check=False,
        )
        lines = out.stdout.decode("utf-8", "replace").split()
        head = lines[0] if out.returncode == 0 and lines else None
        branch = None
        for ln in lines[1:]:
            if ln.startswith("refs/heads/"):
                branch = ln[len("refs/heads/") :]
        if branch is None and head is None:
            sym = self.run("symbolic-ref", "-q", "HEAD", check=False).decode().strip()
            branch = sym[len("refs/heads/") :] if sym.startswith("refs/heads/") else None
        if not all_refs:
            if head is None:
                raise GitError(
                    f"{self.path} has no commits (HEAD does not point to a commit)",
                    "commit something first, or pass --all-refs to read every branch and tag",
                )
            return [head], branch
        fmt = "%(objectname) %(objecttype) %(*objectname) %(*objecttype)"
        refs = self.run("for-each-ref", f"--format={fmt}", "refs/heads", "refs/tags").decode()
        tips: set[str] = set()
        for line in refs.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[1] == "commit":
                tips.add(parts[0])
            elif len(parts) == 4 and parts[1] == "tag" and parts[3] == "commit":
                tips.add(parts[2])
        if head:
            tips.add(head)
        if not tips:
            raise GitError(
                f"{self.path} has no branches or tags pointing to commits",
                "commit something first",
            )
        return sorted(tips), branch

    def origin_url(self) -> str | None:
        out = self.run("config", "--get", "remote.origin.url", check=False).decode().strip()
        return out or None

    def read_blob(self, spec: str) -> bytes | None:
        """The content of ``REV:PATH`` (e.g. ``HEAD:.mailmap``), None when absent."""
        proc = subprocess.run(
            self.argv("cat-file", "blob", spec), capture_output=True, env=git_env(), check=False
        )
        return proc.stdout if proc.returncode == 0 else None

    def rev_list(self, revs: Sequence[str], *extra: str) -> list[str]:
        """``git rev-list`` over ``revs`` (``^sha`` excludes), fed on stdin."""
        out = self.run("rev-list", *extra, "--stdin", stdin=("\n".join(revs) + "\n").encode())
        return out.decode().split()


def git_env() -> dict[str, str]:
    """The environment every git runs in: C locale, no prompts, no pager, no inherited GIT_DIR."""
    env = dict(os.environ)
    env.update(
        LC_ALL="C", LANG="C", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", GIT_PAGER="cat"
    )
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    return env


def first_error_line(err: bytes) -> str:
    text = err.decode("utf-8", "replace").strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith(("fatal:", "error:")):
            return ln.split(":", 1)[1].strip()
    return lines[0] if lines else "no error message"


def open_repository(path: str | os.PathLike[str]) -> GitRepo:
    """Locate the repository at ``path`` (a clone, a bare repository or a ``.git`` folder)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise NotAGitRepository(str(path), "no such file or directory")
    if not p.is_dir():
        raise NotAGitRepository(str(path), "not a directory")
    try:
        proc = subprocess.run(
            ["git", "-C", str(p), "rev-parse", "--absolute-git-dir", "--is-bare-repository"],
            capture_output=True,
            env=git_env(),
            check=False,
        )
    except FileNotFoundError:
        raise GitError(
            "the git program was not found", "install git (2.31 or newer) and put it on PATH"
        ) from None
    if proc.returncode != 0:
        msg = first_error_line(proc.stderr)
        if "dubious ownership" in msg:
            raise GitError(
                f"git refuses to read {p}: it belongs to another user",
                f"run `git config --global --add safe.directory {p.resolve()}`",
            )
        raise NotAGitRepository(str(path))
    lines = proc.stdout.decode("utf-8", "replace").splitlines()
    git_dir = Path(lines[0])
    bare = len(lines) > 1 and lines[1].strip() == "true"
    work_tree = None
    if not bare:
        top = subprocess.run(
            ["git", "-C", str(p), "rev-parse", "--show-toplevel"],
            capture_output=True,
            env=git_env(),
            check=False,
        )
        t = top.stdout.decode("utf-8", "replace").strip()
        work_tree = Path(t) if top.returncode == 0 and t else None
    return GitRepo(path=p.resolve(), git_dir=git_dir, work_tree=work_tree)

"""Build real git repositories in temporary folders, with fixed dates and identities.

Tests that need a git history (the git collector's, the nightly pipeline's) make one here
instead of shipping fixtures, so every scenario is a few readable lines::

    from tests.gitfactory import GitFactory, Person

    ALICE = Person("Alice Example", "alice@example.org")
    repo = GitFactory(tmp_path / "proj")                      # git init -b main
    a = repo.commit({"README.md": "hello\\n"}, author=ALICE, date="2024-01-02T10:00:00+02:00")
    repo.commit({"README.md": None}, message="delete it")     # None deletes a file
    repo.commit({"new.md": "x\\n"}, renames={"old.md": "new.md"})  # rename (+ optional edit)
    repo.branch("feature"); repo.checkout("feature"); ...; repo.checkout("main")
    m = repo.merge("feature")                                  # always a merge commit (--no-ff)
    repo.reset_hard(a)                                         # rewrite history ("force-push")
    bare = repo.clone_bare(tmp_path / "proj.git")              # a bare copy
    repo.push(bare, force=True)                                # update the bare copy
    repo.raw_commit(author_zone="+51800")                      # hand-made commit object
    repo.drop_blob("big.bin")                                  # simulate a partial clone
    GitFactory.bulk(tmp_path / "big.git", 3000)                # thousands of commits, fast

Paths and contents may be ``str`` or ``bytes`` (``b"caf\\xe9.txt"`` is a non-UTF-8 path).
Every commit gets a fixed author and committer date: ``date`` if given, else one hour after
the previous commit, starting 2024-01-01T12:00:00Z, so shas are the same on every run.
Git runs with no global or system config, so the machine's settings cannot leak in.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["BASE_DATE", "GitFactory", "Person", "git_env"]

BASE_DATE = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    name: str
    email: str

    def line(self) -> str:
        return f"{self.name} <{self.email}>"


DEFAULT_AUTHOR = Person("Alice Example", "alice@example.org")


def git_env(**extra: str) -> dict[str, str]:
    """An environment in which git ignores the user's and the system's configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
        TZ="UTC",
    )
    env.update(extra)
    return env


Content = str | bytes | None


def _b(x: str | bytes) -> bytes:
    return x if isinstance(x, bytes) else x.encode("utf-8")


class GitFactory:
    """A non-bare repository at ``path`` (created with ``git init -b BRANCH`` if missing)."""

    def __init__(self, path: Path, *, branch: str = "main", bare: bool = False) -> None:
        self.path = Path(path)
        self.bare = bare
        self.n = 0
        if not (self.path / ("HEAD" if bare else ".git")).exists():
            self.path.mkdir(parents=True, exist_ok=True)
            self.git("init", "-q", *(["--bare"] if bare else []), "-b", branch)

    # -- plumbing ---------------------------------------------------------------------------

    def git(
        self, *args: str | bytes, stdin: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> str:
        """Run git in the repository; return stdout (raises on failure with git's stderr)."""
        proc = subprocess.run(
            ["git", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", *args],
            cwd=self.path,
            input=stdin,
            capture_output=True,
            env=git_env(**(env or {})),
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"git {args!r} failed: {proc.stderr.decode(errors='replace')}")
        return proc.stdout.decode("utf-8", "replace")

    def _dates(self, date: str | None, committer_date: str | None) -> tuple[str, str]:
        self.n += 1
        d = date or (BASE_DATE + timedelta(hours=self.n)).isoformat()
        return d, committer_date or d

    def _id_env(
        self, author: Person, committer: Person | None, date: str | None, cdate: str | None
    ) -> dict[str, str]:
        ad, cd = self._dates(date, cdate)
        c = committer or author
        return {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": ad,
            "GIT_COMMITTER_NAME": c.name,
            "GIT_COMMITTER_EMAIL": c.email,
            "GIT_COMMITTER_DATE": cd,
        }

    def head(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", rev).strip()

    # -- building history ---------------------------------------------------------------------

    def commit(
        self,
        files: Mapping[str | bytes, Content] | None = None,
        *,
        message: str = "change",
        author: Person = DEFAULT_AUTHOR,
        committer: Person | None = None,
        date: str | None = None,
        committer_date: str | None = None,
        renames: Mapping[str | bytes, str | bytes] | None = None,
    ) -> str:
        """Write ``files`` (None deletes), apply ``renames`` first, commit everything; → sha.

        With no files and no renames the commit is empty (``--allow-empty``).
        """
        root = os.fsencode(self.path)
        for old, new in (renames or {}).items():
            dst = os.path.join(root, _b(new))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.rename(os.path.join(root, _b(old)), dst)
        for name, content in (files or {}).items():
            full = os.path.join(root, _b(name))
            if content is None:
                os.remove(full)
                continue
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as fh:
                fh.write(_b(content))
        self.git("add", "-A")
        env = self._id_env(author, committer, date, committer_date)
        self.git("commit", "-q", "--allow-empty", "--no-verify", "-m", message, env=env)
        return self.head()

    def branch(self, name: str, at: str = "HEAD") -> None:
        self.git("branch", "-f", name, at)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def merge(
        self,
        branch: str,
        *,
        message: str | None = None,
        author: Person = DEFAULT_AUTHOR,
        date: str | None = None,
    ) -> str:
        """Merge ``branch`` into the current branch with a merge commit; → its sha."""
        env = self._id_env(author, None, date, None)
        self.git("merge", "-q", "--no-ff", "-m", message or f"Merge {branch}", branch, env=env)
        return self.head()

    def tag(self, name: str, at: str = "HEAD", *, annotated: bool = False) -> None:
        if annotated:
            env = self._id_env(DEFAULT_AUTHOR, None, None, None)
            self.git("tag", "-a", "-m", name, name, at, env=env)
        else:
            self.git("tag", name, at)

    def reset_hard(self, rev: str) -> None:
        """Move the current branch to ``rev``, dropping later commits (a history rewrite)."""
        self.git("reset", "-q", "--hard", rev)

    def set_origin(self, url: str) -> None:
        self.git("remote", "add", "origin", url)

    def raw_commit(
        self,
        *,
        message: str = "raw",
        author_line: str = "Raw Author <raw@example.org>",
        author_time: int = 1_700_000_000,
        author_zone: str = "+0000",
        committer_line: str | None = None,
        committer_time: int | None = None,
        committer_zone: str | None = None,
        extra_headers: str = "",
        branch: str = "HEAD",
    ) -> str:
        """A commit object written by hand on top of HEAD (same tree), for malformed headers
        git itself would refuse to create, e.g. a ``+51800`` time zone; → sha."""
        tree = self.git("rev-parse", "HEAD^{tree}").strip()
        parent = self.head()
        body = (
            f"tree {tree}\nparent {parent}\n"
            f"author {author_line} {author_time} {author_zone}\n"
            f"committer {committer_line or author_line} {committer_time or author_time} "
            f"{committer_zone or author_zone}\n{extra_headers}\n{message}\n"
        )
        sha = self.git(
            "hash-object", "-t", "commit", "-w", "--literally", "--stdin", stdin=body.encode()
        ).strip()
        self.git("update-ref", branch, sha)
        return sha

    def drop_blob(self, path: str | bytes, rev: str = "HEAD") -> str:
        """Delete the loose object of ``rev:path``, as a partial clone lacks large blobs; → oid."""
        spec = b"%s:%s" % (rev.encode(), _b(path))
        oid = self.git("rev-parse", spec).strip()
        objects = self.path / ("objects" if self.bare else ".git/objects")
        (objects / oid[:2] / oid[2:]).unlink()
        return oid

    def clone_bare(self, dest: Path) -> GitFactory:
        """A bare clone at ``dest`` (its origin points back here)."""
        subprocess.run(
            ["git", "clone", "-q", "--bare", str(self.path), str(dest)],
            check=True,
            capture_output=True,
            env=git_env(),
        )
        return GitFactory(dest, bare=True)

    def push(self, dest: GitFactory, ref: str = "HEAD", *, force: bool = False) -> None:
        branch = self.git("symbolic-ref", "--short", "HEAD").strip() if ref == "HEAD" else ref
        self.git(
            "push",
            "-q",
            *(["--force"] if force else []),
            str(dest.path),
            f"{ref}:refs/heads/{branch}",
        )

    # -- bulk ---------------------------------------------------------------------------------

    @classmethod
    def bulk(
        cls,
        path: Path,
        n_commits: int,
        *,
        n_files: int = 40,
        n_people: int = 25,
        branch: str = "main",
    ) -> GitFactory:
        """A bare repository with ``n_commits`` linear commits made by ``git fast-import``
        (thousands per second): commit i edits ``src/f{i % n_files}.txt``, by person
        ``i % n_people``, dated one hour apart from ``BASE_DATE``."""
        repo = cls(path, bare=True, branch=branch)
        base = int(BASE_DATE.timestamp())
        parts: list[bytes] = []
        for i in range(1, n_commits + 1):
            who = i % n_people
            ident = f"Person {who} <p{who}@example.org> {base + 3600 * i} +0100"
            msg = f"commit {i}\n".encode()
            content = (f"line {i}\n" * (1 + i % 7)).encode()
            parts.append(f"commit refs/heads/{branch}\nmark :{i}\n".encode())
            parts.append(f"author {ident}\ncommitter {ident}\n".encode())
            parts.append(b"data %d\n%s" % (len(msg), msg))
            if i > 1:
                parts.append(f"from :{i - 1}\n".encode())
            parts.append(f"M 100644 inline src/f{i % n_files}.txt\n".encode())
            parts.append(b"data %d\n%s\n" % (len(content), content))
        repo.git("fast-import", "--quiet", stdin=b"".join(parts))
        return repo

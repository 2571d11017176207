"""Tracked repositories: the ``[[repos]]`` entries of ``ossmetrics.toml``.

The nightly run works through this list, so it lives in the same file as ``[settings]`` and is
edited by ``ossmetrics track add|remove``. Each entry names a GitHub repository, a git source
(a local path or a clone URL), or both, plus per-repository options::

    [[repos]]
    name = "pallets/flask"                          # GitHub OWNER/REPO (optional if git is set)
    git = "https://github.com/pallets/flask.git"    # local path or clone URL (optional)
    stars = true                                    # also collect stargazers (default false)
    github = true                                   # collect from the GitHub API (default: when name is set)
    bots = ["flask-release-bot"]                    # extra bot names/emails for this repository
    exclude = ["docs/**", "*.lock"]                 # paths left out of the truck factor

Why text-level edits: ``tomli_w`` cannot keep comments, so ``track add`` appends a block that
``tomli_w`` renders and ``track remove`` cuts that entry's lines out; each edit is re-parsed and
checked against the intended data, and only if that check fails is the whole file re-rendered
with ``tomli_w`` (other tables such as ``[settings]`` survive either way). Writes are atomic.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from ossmetrics.errors import ConfigError, InvalidRepoName, UsageError
from ossmetrics.store.repos import validate_repo_name

__all__ = [
    "TrackedRepo",
    "add_tracked",
    "is_url",
    "load_tracked",
    "remove_tracked",
]

_KEYS = {"name", "git", "stars", "github", "bots", "exclude"}
_HEADER = re.compile(r"^\s*\[\[\s*repos\s*\]\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")
_SCP_URL = re.compile(r"^[\w.-]+@[\w.-]+:")


def is_url(source: str) -> bool:
    """A clone URL (``https://``, ``ssh://``, ``file://``, ``git@host:path``), not a local path."""
    return "://" in source or bool(_SCP_URL.match(source))


@dataclass(frozen=True)
class TrackedRepo:
    """One tracked repository, as the nightly pipeline needs it."""

    name: str | None = None
    git: str | None = None
    stars: bool = False
    github: bool = True
    bots: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    line: int | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        """How the summary and the ``runs`` table name it: the GitHub name, else the git source."""
        return self.name or self.git or "?"

    @property
    def collects_github(self) -> bool:
        return self.name is not None and self.github

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.name:
            out["name"] = self.name
        if self.git:
            out["git"] = self.git
        if self.stars:
            out["stars"] = True
        if not self.github:
            out["github"] = False
        if self.bots:
            out["bots"] = list(self.bots)
        if self.exclude:
            out["exclude"] = list(self.exclude)
        return out


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return "", {}
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path}: {exc.strerror}", "check the file's permissions", path=str(path)
        ) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc).split(" (at line")[0]
        m = re.search(r"at line (\d+)", str(exc))
        line = int(m.group(1)) if m else None
        if line is None and "end of document" in str(exc):
            line = max(1, len(text.splitlines()))
        raise ConfigError(
            f"malformed TOML: {msg}", "fix that line", path=str(path), line=line
        ) from None


def _header_lines(text: str) -> list[int]:
    """1-based line numbers of the ``[[repos]]`` headers, in order."""
    return [i for i, ln in enumerate(text.splitlines(), 1) if _HEADER.match(ln)]


def _key_line(text: str, start: int | None, key: str) -> int | None:
    """The line of ``key = ...`` inside the entry whose header is on line ``start``."""
    if start is None:
        return None
    lines = text.splitlines()
    pat = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for i in range(start, len(lines)):
        if _ANY_HEADER.match(lines[i]):
            break
        if pat.match(lines[i]):
            return i + 1
    return start


def _parse_entry(raw: Any, line: int | None, text: str, path: Path) -> TrackedRepo:
    def fail(problem: str, key: str | None = None, hint: str = "fix that entry") -> ConfigError:
        where = _key_line(text, line, key) if key else line
        return ConfigError(problem, hint, path=str(path), line=where)

    if not isinstance(raw, dict):
        raise fail("each [[repos]] entry must be a table")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise fail(
            f"unknown key '{unknown[0]}' in a [[repos]] entry",
            unknown[0],
            f"known keys: {', '.join(sorted(_KEYS))}",
        )
    name = raw.get("name")
    if name is not None:
        if not isinstance(name, str):
            raise fail("'name' must be a string like \"owner/repo\"", "name")
        try:
            name = validate_repo_name(name)
        except InvalidRepoName:
            raise fail(f"'{name}' is not a repository name", "name", "give OWNER/REPO") from None
    git = raw.get("git")
    if git is not None and (not isinstance(git, str) or not git.strip()):
        raise fail("'git' must be a local path or a clone URL (a non-empty string)", "git")
    if name is None and git is None:
        raise fail("a [[repos]] entry needs 'name' (OWNER/REPO), 'git' (path or URL), or both")
    if git and not is_url(git) and not os.path.isabs(os.path.expanduser(git)):
        git = str((path.parent / git).resolve())
    elif git and not is_url(git):
        git = os.path.expanduser(git)
    for key in ("stars", "github"):
        if key in raw and not isinstance(raw[key], bool):
            raise fail(f"'{key}' must be true or false", key)
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("bots", "exclude"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise fail(f"'{key}' must be a list of non-empty strings", key)
        lists[key] = tuple(value)
    return TrackedRepo(
        name=name,
        git=git,
        stars=bool(raw.get("stars", False)),
        github=bool(raw.get("github", True)),
        bots=lists["bots"],
        exclude=lists["exclude"],
        line=line,
    )


def load_tracked(path: str | os.PathLike[str]) -> list[TrackedRepo]:
    """The tracked repositories of ``path`` (none if the file does not exist).

    Every problem is a ``ConfigError`` naming the file and line: TOML syntax, a wrong type,
    an unknown key, a malformed name, or the same repository tracked twice.
    """
    p = Path(path)
    text, data = _read(p)
    entries = data.get("repos", [])
    if not isinstance(entries, list):
        raise ConfigError(
            "'repos' must be an array of tables ([[repos]] entries)",
            "write each repository as a [[repos]] block",
            path=str(p),
            line=_key_line(text, 0, "repos"),
        )
    headers = _header_lines(text)
    out: list[TrackedRepo] = []
    seen: dict[str, int | None] = {}
    for i, raw in enumerate(entries):
        line = headers[i] if i < len(headers) else None
        entry = _parse_entry(raw, line, text, p)
        key = (entry.name or entry.git or "").lower()
        if key in seen:
            raise ConfigError(
                f"'{entry.label}' is tracked twice (first on line {seen[key]})",
                "remove one of the entries",
                path=str(p),
                line=line,
            )
        seen[key] = line
        out.append(entry)
    return out


def _find(entries: list[TrackedRepo], key: str) -> int | None:
    k = key.strip().lower().removesuffix(".git")
    for i, e in enumerate(entries):
        if (e.name and e.name.lower() == k) or (e.git and e.git.lower().removesuffix(".git") == k):
            return i
    return None


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a config file."""
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise ConfigError(
            f"cannot write {path}: {exc.strerror or exc}",
            "check the folder's permissions and free space",
            path=str(path),
        ) from None


def _checked(path: Path, new_text: str, want: dict[str, Any]) -> str:
    """``new_text`` if it parses to ``want``, else a full ``tomli_w`` rendering of ``want``."""
    try:
        if tomllib.loads(new_text) == want:
            return new_text
    except tomllib.TOMLDecodeError:
        pass
    return tomli_w.dumps(want)


def _entry_span(text: str, index: int) -> tuple[int, int]:
    """0-based [start, end) line range of the ``index``-th ``[[repos]]`` block."""
    lines = text.splitlines(keepends=True)
    start = _header_lines(text)[index] - 1
    end = start + 1
    while end < len(lines) and not _ANY_HEADER.match(lines[end]):
        end += 1
    return start, end


def add_tracked(path: str | os.PathLike[str], repo: TrackedRepo) -> bool:
    """Track ``repo`` in ``path`` (created if missing); return True if it replaced an entry.

    A local ``git`` path is stored absolute so the file can be used from any directory.
    """
    p = Path(path)
    if repo.name:
        repo = TrackedRepo(**{**repo.__dict__, "name": validate_repo_name(repo.name)})
    if repo.git and not is_url(repo.git):
        repo = TrackedRepo(**{**repo.__dict__, "git": str(Path(repo.git).expanduser().resolve())})
    if not repo.name and not repo.git:
        raise UsageError("nothing to track", "give OWNER/REPO and/or --git PATH_OR_URL")
    entries = load_tracked(p)
    text, data = _read(p)
    replaced = False
    idx = _find(entries, repo.name or repo.git or "")
    if idx is not None:
        replaced = True
        text, data = _removed(p, text, data, idx)
    want = {**data, "repos": [*data.get("repos", []), repo.to_toml()]}
    block = "[[repos]]\n" + tomli_w.dumps(repo.to_toml())
    sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    _write_atomic(p, _checked(p, text + sep + block, want))
    return replaced


def _removed(p: Path, text: str, data: dict[str, Any], idx: int) -> tuple[str, dict[str, Any]]:
    repos = list(data.get("repos", []))
    del repos[idx]
    want = {k: v for k, v in data.items() if k != "repos"}
    if repos:
        want["repos"] = repos
    if len(_header_lines(text)) != len(data.get("repos", [])):  # e.g. an inline array
        return tomli_w.dumps(want), want
    start, end = _entry_span(text, idx)
    lines = text.splitlines(keepends=True)
    new_text = "".join(lines[:start] + lines[end:])
    return _checked(p, new_text, want), want


def remove_tracked(path: str | os.PathLike[str], key: str) -> TrackedRepo:
    """Stop tracking the entry named ``key`` (OWNER/REPO or its git source); return it."""
    p = Path(path)
    entries = load_tracked(p)
    idx = _find(entries, key)
    if idx is None:
        known = ", ".join(e.label for e in entries) or "none"
        raise UsageError(
            f"'{key}' is not tracked in {p}",
            f"tracked: {known} (`ossmetrics track list`)",
        )
    text, data = _read(p)
    new_text, _ = _removed(p, text, data, idx)
    _write_atomic(p, new_text)
    return entries[idx]

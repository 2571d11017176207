"""Read one GH Archive hourly file into rows of the store's GitHub tables.

GH Archive (https://www.gharchive.org) publishes every public GitHub event as one gzipped,
newline-delimited JSON file per hour. This module turns one such file into rows for
``issues``, ``comments``, ``stargazers``, ``releases`` and ``forks``, for the
repositories asked for or all of them. Pure and single-file, so a Spark task (or a plain loop)
runs it per hour file.

Two payload shapes are accepted. Until October 2025 events embedded full objects (a
PullRequestEvent's ``pull_request`` had ``user``, ``created_at``, ``merged_at``). Since GitHub
trimmed Events API payloads (effective 2025-10-07), a PullRequestEvent carries only a minimal
``pull_request`` (``id``, ``number``, head/base refs): the author and opening time then come from
the event's ``actor`` and ``created_at`` when the action is ``opened``, a close is dated by the
event, and whether it was a merge is unknown (``merged_at`` NULL -- only the REST API can say).
IssuesEvent, IssueCommentEvent and ReleaseEvent still embed full objects in both shapes.

A file truncated mid-line (an interrupted download, a partial upload) keeps every complete
line before the damage and reports ``complete=False``, so the caller marks the hour incomplete
and retries it later.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

__all__ = ["HourResult", "open_hour", "parse_hour", "parse_lines", "repo_name_of"]

ISSUE_COLS = (
    "repo_name",
    "number",
    "is_pull",
    "github_id",
    "author_login",
    "author_association",
    "title",
    "state",
    "draft",
    "locked",
    "labels",
    "comments",
    "created_at",
    "updated_at",
    "closed_at",
    "merged_at",
    "merged_by_login",
)
COMMENT_COLS = (
    "repo_name",
    "issue_number",
    "comment_id",
    "kind",
    "author_login",
    "author_association",
    "review_state",
    "created_at",
    "updated_at",
    "body_len",
)
STAR_COLS = ("repo_name", "login", "starred_at")
RELEASE_COLS = (
    "repo_name",
    "tag",
    "name",
    "github_id",
    "author_login",
    "created_at",
    "published_at",
    "prerelease",
    "draft",
)
FORK_COLS = ("repo_name", "login", "forkee", "github_id", "forked_at")


@dataclass
class HourResult:
    """Rows of one hour file; ``complete`` False when the file ended mid-line or mid-stream."""

    issues: list[tuple[Any, ...]] = field(default_factory=list)
    comments: list[tuple[Any, ...]] = field(default_factory=list)
    stargazers: list[tuple[Any, ...]] = field(default_factory=list)
    releases: list[tuple[Any, ...]] = field(default_factory=list)
    forks: list[tuple[Any, ...]] = field(default_factory=list)
    events: int = 0  # complete lines read
    kept: int = 0  # events of the asked-for repositories
    bad_lines: int = 0  # complete lines that were not JSON events
    complete: bool = True
    error: str | None = None


_NAME_KEY = '"repo":{"id":'


def repo_name_of(line: str) -> str | None:
    """The repository name of an event line without parsing the JSON (cheap pre-filter);
    None when the line does not have the usual key order (then it is parsed in full)."""
    i = line.find(_NAME_KEY)
    if i < 0:
        return None
    j = line.find('"name":"', i)
    if j < 0:
        return None
    j += 8
    k = line.find('"', j)
    return line[j:k] if k > 0 else None


def _login(obj: Any) -> str | None:
    return obj.get("login") if isinstance(obj, dict) else None


def _issue_row(repo: str, issue: dict[str, Any], is_pull: bool, at: str | None) -> tuple[Any, ...]:
    merged_at = issue.get("merged_at")
    return (
        repo,
        issue.get("number"),
        is_pull or "pull_request" in issue,
        issue.get("id"),
        _login(issue.get("user")),
        issue.get("author_association"),
        issue.get("title"),
        issue.get("state"),
        issue.get("draft"),
        issue.get("locked"),
        [lb.get("name") for lb in issue.get("labels") or [] if isinstance(lb, dict)] or None,
        issue.get("comments"),
        issue.get("created_at"),
        issue.get("updated_at") or at,
        issue.get("closed_at"),
        merged_at,
        _login(issue.get("merged_by")),
    )


def _pull_row(
    repo: str, payload: dict[str, Any], actor: str | None, at: str | None
) -> tuple[Any, ...]:
    pr = payload.get("pull_request") or {}
    if "user" in pr or "created_at" in pr:  # the full (pre-2025-10) object
        return _issue_row(repo, pr, True, at)
    # the trimmed object: what the event itself tells
    action = payload.get("action")
    number = payload.get("number") or pr.get("number")
    opened = action == "opened"
    closed = action == "closed"
    return (
        repo,
        number,
        True,
        pr.get("id"),
        actor if opened else None,
        None,
        None,
        "closed" if closed else ("open" if opened or action == "reopened" else None),
        None,
        None,
        None,
        None,
        at if opened else None,
        at,
        at if closed else None,
        None,
        None,
    )


def _event(ev: dict[str, Any], out: HourResult) -> None:
    kind = ev.get("type")
    repo = str((ev.get("repo") or {}).get("name") or "")
    payload = ev.get("payload") or {}
    at: str | None = ev.get("created_at") or None
    actor = _login(ev.get("actor"))
    if kind == "IssuesEvent" and isinstance(payload.get("issue"), dict):
        out.issues.append(_issue_row(repo, payload["issue"], False, at))
    elif kind == "PullRequestEvent":
        out.issues.append(_pull_row(repo, payload, actor, at))
    elif kind in ("IssueCommentEvent", "PullRequestReviewCommentEvent"):
        c = payload.get("comment") or {}
        issue = payload.get("issue") or payload.get("pull_request") or {}
        if kind == "IssueCommentEvent" and issue.get("number") is not None:
            out.issues.append(_issue_row(repo, issue, False, at))
        out.comments.append(
            (
                repo,
                issue.get("number") or payload.get("number"),
                c.get("id"),
                "issue" if kind == "IssueCommentEvent" else "review_comment",
                _login(c.get("user")) or actor,
                c.get("author_association"),
                None,
                c.get("created_at") or at,
                c.get("updated_at"),
                len(c["body"]) if isinstance(c.get("body"), str) else None,
            )
        )
    elif kind == "PullRequestReviewEvent":
        r = payload.get("review") or {}
        pr = payload.get("pull_request") or {}
        out.comments.append(
            (
                repo,
                pr.get("number"),
                r.get("id"),
                "review",
                _login(r.get("user")) or actor,
                r.get("author_association"),
                (r.get("state") or "").upper() or None,
                r.get("submitted_at") or at,
                None,
                len(r["body"]) if isinstance(r.get("body"), str) else None,
            )
        )
    elif kind == "WatchEvent":
        out.stargazers.append((repo, actor, at))
    elif kind == "ReleaseEvent":
        r = payload.get("release") or {}
        out.releases.append(
            (
                repo,
                r.get("tag_name"),
                r.get("name"),
                r.get("id"),
                _login(r.get("author")),
                r.get("created_at"),
                r.get("published_at"),
                r.get("prerelease"),
                r.get("draft"),
            )
        )
    elif kind == "ForkEvent":
        f = payload.get("forkee") or {}
        name = f.get("full_name")
        if not name and f.get("name") and _login(f.get("owner")):
            name = f"{_login(f.get('owner'))}/{f['name']}"
        out.forks.append((repo, actor, name, f.get("id"), f.get("created_at") or at))


def parse_lines(lines: Iterable[str], repos: set[str] | None, out: HourResult) -> None:
    """Add the rows of ``lines`` (events of ``repos``, lower-case names; None: all) to ``out``."""
    for line in lines:
        if not line.endswith("\n"):
            # the last line of a file cut mid-line: not an event
            if line.strip():
                out.complete = False
                out.error = out.error or "the file ends in the middle of a line"
            break
        if repos is not None:
            name = repo_name_of(line)
            if name is not None and name.lower() not in repos:
                out.events += 1
                continue
        try:
            ev = json.loads(line)
        except ValueError:
            out.bad_lines += 1
            continue
        out.events += 1
        name = ((ev.get("repo") or {}).get("name") or "").lower()
        if repos is not None and name not in repos:
            continue
        out.kept += 1
        _event(ev, out)


def _lines(raw: IO[bytes], out: HourResult) -> Iterator[str]:
    """Decoded lines of a gzip stream, decompressed by hand so that a truncated or corrupt
    stream still yields every complete line before the damage (gzip.GzipFile would lose the
    last buffered block); the damage marks ``out`` incomplete."""
    d = zlib.decompressobj(31)
    buf = b""
    while True:
        chunk = raw.read(1 << 18)
        if not chunk:
            break
        try:
            data = d.decompress(chunk)
            while d.eof and d.unused_data:  # concatenated gzip members are one file
                rest = d.unused_data
                d = zlib.decompressobj(31)
                data += d.decompress(rest)
        except zlib.error as exc:
            out.complete = False
            out.error = f"the file is corrupt ({exc})"
            data = b""
            chunk = b""
        buf += data
        if b"\n" in buf:
            head, _, buf = buf.rpartition(b"\n")
            for ln in head.split(b"\n"):
                yield ln.decode("utf-8", "replace") + "\n"
        if not chunk:
            break
    if out.complete and not d.eof:
        out.complete = False
        out.error = "the file is truncated (the gzip stream ends early)"
    if buf:
        text = buf.decode("utf-8", "replace")
        yield text + "\n" if out.complete else text


def open_hour(source: str) -> IO[bytes]:
    """A binary stream of an hour file: a local path or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        import urllib.request

        raw: IO[bytes] = urllib.request.urlopen(source, timeout=60)
    else:
        raw = open(source, "rb")  # noqa: SIM115 - closed by the caller
    return raw


def parse_hour(source: str, repos: set[str] | None) -> HourResult:
    """Every row of one hour file (path or URL), never raising for damaged input."""
    out = HourResult()
    try:
        with open_hour(source) as raw:
            parse_lines(_lines(raw, out), repos, out)
    except (OSError, ValueError) as exc:
        out.complete = False
        out.error = out.error or f"cannot read {source} ({type(exc).__name__}: {exc})"
    return out

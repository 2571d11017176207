"""Parse ``git log --numstat -z -M`` output: pure functions of bytes, no process, no I/O.

The format (``LOG_FORMAT`` with ``LOG_FLAGS``) is machine-readable and unambiguous:

- each commit starts with RS (``\\x1e``); its header fields are split on US (``\\x1f``) and the
  header ends with NUL;
- with ``-z`` git prints paths raw (no C quoting, no ``{a => b}``): a numstat entry is
  ``ADDED\\tDELETED\\tPATH\\0``, a rename ``ADDED\\tDELETED\\t\\0OLD\\0NEW\\0``; ``-`` marks a
  binary file (stored as NULL, not 0); the first entry follows one ``\\n``;
- epochs come from ``%at``/``%ct``; zones (``%z`` via ``--date=format:``) are parsed by hand and
  clamped, because real histories hold zones like ``+51800`` that ``strptime`` rejects;
- bytes are decoded as UTF-8 with invalid bytes replaced (U+FFFD): DuckDB strings must be UTF-8.

Kept apart from the processes so it is tested alone on captured text.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "LOG_FLAGS",
    "LOG_FORMAT",
    "NO_WALK_FLAGS",
    "Commit",
    "FileChange",
    "LogParser",
    "parse_files",
    "parse_record",
    "parse_tz",
]

LOG_FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%ad%x1f%cn%x1f%ce%x1f%ct%x1f%cd%x1f%B"
LOG_FLAGS = (
    "--numstat",
    "-z",
    "-M",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--date=format:%z",
    "--format=" + LOG_FORMAT,
)
# Exactly the commits given on stdin, in that order (slices, and the rest after a missing blob).
NO_WALK_FLAGS = (*LOG_FLAGS, "--no-walk=unsorted", "--stdin")
MAX_TZ_MIN = 18 * 60  # the widest offset anyone uses is +14:00; clamp garbage to +-18:00
_SHA_HEAD = re.compile(rb"^[0-9a-f]{40}(?:[0-9a-f]{24})?\x1f")


class FileChange(NamedTuple):
    path: str
    old_path: str | None
    added: int | None
    deleted: int | None


class Commit(NamedTuple):
    sha: str
    parents: str  # space-separated, as %P prints them
    author_name: str
    author_email: str
    author_time: int | None
    author_tz: int | None
    committer_name: str
    committer_email: str
    committer_time: int | None
    committer_tz: int | None
    message_len: int
    files: list[FileChange]


def parse_tz(text: str) -> int | None:
    """``+0530`` → 330 minutes; garbage → None; out-of-range zones clamped to ±18:00."""
    if len(text) < 2 or text[0] not in "+-" or not text[1:].isdigit():
        return None
    value = int(text[1:])
    minutes = (value // 100) * 60 + value % 100
    minutes = min(minutes, MAX_TZ_MIN)
    return -minutes if text[0] == "-" else minutes


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _count(text: str) -> int | None:
    return None if text == "-" else _int(text)


def parse_files(tokens: list[str]) -> list[FileChange]:
    files: list[FileChange] = []
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        i += 1
        if not tok:
            continue
        parts = tok.split("\t", 2)
        if len(parts) != 3:
            continue
        a, d, path = parts
        if path:
            files.append(FileChange(path, None, _count(a), _count(d)))
        elif i + 1 < n:
            files.append(FileChange(tokens[i + 1], tokens[i], _count(a), _count(d)))
            i += 2
        else:
            break
    return files


def parse_record(raw: bytes) -> Commit | None:
    """One commit's bytes (without the leading RS) → ``Commit``; None if it is not one."""
    text = raw.decode("utf-8", "replace")
    head, sep, rest = text.partition("\0")
    fields = head.split("\x1f", 10)
    if len(fields) != 11:
        return None
    sha, parents, an, ae, at, ad, cn, ce, ct, cd, body = fields
    files: list[FileChange] = []
    if sep and rest:
        if rest[0] == "\n":
            rest = rest[1:]
        files = parse_files(rest.split("\0"))
    return Commit(
        sha,
        parents,
        an,
        ae,
        _int(at),
        parse_tz(ad),
        cn,
        ce,
        _int(ct),
        parse_tz(cd),
        len(body.rstrip("\n")),
        files,
    )


class LogParser:
    """Incremental parser: ``feed`` blocks of ``git log`` output, get completed commits.

    A commit is only emitted once the next one has begun (or ``close`` is called), so a log that
    dies midway never yields a truncated commit unless ``close`` is asked for it.
    """

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[Commit]:
        buf = self._buf + data
        cut = buf.rfind(b"\0\x1e")
        if cut < 0:
            self._buf = buf
            return []
        self._buf = buf[cut + 1 :]
        return self._records(buf[: cut + 1])

    def close(self) -> list[Commit]:
        """The last commit (call only when git exited successfully)."""
        buf, self._buf = self._buf, b""
        return self._records(buf) if buf.strip(b"\0") else []

    @staticmethod
    def _records(chunk: bytes) -> list[Commit]:
        out: list[Commit] = []
        pieces = chunk.split(b"\0\x1e")
        if pieces and pieces[0].startswith(b"\x1e"):
            pieces[0] = pieces[0][1:]
        # A path that begins with RS right after a NUL would split a record: glue it back.
        merged: list[bytes] = []
        for p in pieces:
            if merged and not _SHA_HEAD.match(p):
                merged[-1] += b"\0\x1e" + p
            else:
                merged.append(p)
        for p in merged:
            rec = parse_record(p)
            if rec is not None:
                out.append(rec)
        return out

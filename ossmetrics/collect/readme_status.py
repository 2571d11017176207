"""When did a repository's README declare it unmaintained, deprecated or archived?

Why: the risk model's third outcome label (issue 19) must not be one more commit count. A
maintainer who writes "this project is no longer maintained" at the top of the README says
something the commit history cannot: the project is over, whatever trickles in afterwards.
GitHub's *archived* flag and the repository description are not in git, so they are not seen
here; the README is, with its whole history.

How (``readme_status_events``):

1. The README is any file at the repository root named ``README`` or ``README.<ext>``
   (any case); its history is read along the first-parent line of HEAD (the state the default
   branch showed to visitors), oldest first, with ``git log --first-parent -- ':(icase)README*'``.
2. For each version, the **head of the text** (the first ``HEAD_CHARS`` characters: notices sit
   at the top; a changelog in the body that says "deprecated" about one function must not
   count) is matched, case-insensitively, against the phrases in ``RULES``. The first rule that
   matches gives the version's *kind*.
3. An event is written when the repository's kind changes between consecutive versions: the
   new kind (``unmaintained``, ``deprecated``, ``archived``, ``seeking_maintainers``,
   ``maintenance_mode`` or ``moved``) at the commit's committer date, or ``cleared`` when a
   notice disappears. ``evidence`` is the matched phrase with a little context (emails removed).

Which kinds make the label is the risk stage's choice; ``DECLARED_KINDS`` names the three the
issue asks for. The rule's error rate on a hand-checked sample is in docs/corpus.md.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime

from ossmetrics.collect.gitlog import GitRepo

__all__ = [
    "DECLARED_KINDS",
    "HEAD_CHARS",
    "RULES",
    "TOP_CHARS",
    "StatusEvent",
    "classify",
    "readme_status_events",
]

HEAD_CHARS = 2500
TOP_CHARS = 600
DECLARED_KINDS = ("unmaintained", "deprecated", "archived")

_THING = (
    r"(?:project|repo(?:sitory)?|library|lib|package|module|crate|gem|plugin|tool|extension|"
    r"framework|sdk|client|code\s?base|fork|app(?:lication)?|software)"
)
_F = re.IGNORECASE | re.MULTILINE
# Strong statements: a subject ("this library", "the project") and a verb; anywhere in the head.
_STRONG: tuple[tuple[str, str], ...] = (
    ("archived", rf"\b(?:this|the)\s+{_THING}\s+(?:is|has\s+been|was)\s+(?:now\s+)?archived\b"),
    (
        "unmaintained",
        rf"\b(?:this|the)\s+{_THING}\s+(?:is|has\s+been)\s+(?:now\s+|currently\s+)?(?:no\s+longer|not)"
        r"\s+(?:being\s+)?(?:actively\s+)?(?:maintained|developed|supported)\b",
    ),
    ("unmaintained", rf"\b(?:this|the)\s+{_THING}\s+(?:is|has\s+been)\s+(?:now\s+)?abandoned\b"),
    (
        "unmaintained",
        rf"\b(?:this|the)\s+{_THING}\s+(?:is|has)\s+(?:reached\s+)?end[- ]of[- ]life\b",
    ),
    (
        "deprecated",
        rf"\b{_THING}\s+(?:is|has\s+been)\s+(?:now\s+)?(?:officially\s+)?deprecated\b",
    ),
    ("seeking_maintainers", r"\b(?:looking|searching)\s+for\s+(?:a\s+)?(?:new\s+)?maintainers?\b"),
    ("seeking_maintainers", r"\bseeking\s+(?:a\s+)?(?:new\s+)?maintainers?\b"),
    ("seeking_maintainers", r"\bmaintainers?\s+wanted\b"),
    ("seeking_maintainers", r"\bneeds?\s+(?:a\s+)?(?:new\s+)?maintainers?\b"),
    ("maintenance_mode", r"\b(?:in|into)\s+maintenance[- ](?:only\s+)?mode\b"),
    ("maintenance_mode", r"\bmaintenance[- ]only\b"),
    ("moved", rf"\b(?:this\s+{_THING}|development)\s+(?:has\s+)?(?:been\s+)?moved\s+to\b"),
)


def _title(word: str) -> str:
    """The word in the title: a first line that is a ``#`` heading or is underlined."""
    return rf"\A(?:#+[^\n]{{0,80}}\b{word}\b|[^\n]{{0,80}}\b{word}\b[^\n]*\n[=\-]{{3,}}$)"


# Bare words and headings: only in the first TOP_CHARS of the text with markup removed, where a
# notice is about the project and not about one function, option or old version.
_TOP: tuple[tuple[str, str], ...] = (
    ("archived", _title("archived")),
    ("deprecated", _title("deprecated")),
    ("unmaintained", _title("unmaintained")),
    ("archived", r"\b(?:is|been)\s+(?:now\s+)?archived\b"),
    ("unmaintained", r"\bunmaintained\b"),
    (
        "unmaintained",
        r"\b(?:is|are)\s+(?:now\s+|currently\s+)?(?:no\s+longer|not)\s+(?:being\s+)?"
        r"(?:actively\s+)?maintained\b",
    ),
    ("deprecated", r"^\W*(?:#+\s*)?deprecated\s*!?\s*$"),  # a heading "Deprecated"
    ("deprecated", r"^\W*(?:warning:?\s*|note:?\s*|attention:?\s*)?deprecated\s*[:!\u2013\u2014-]"),
    ("deprecated", r"(?:^|[.!]\s+)[A-Z][\w.-]*\s+is\s+(?:now\s+)?deprecated\b"),
)
# On the raw text (the badges' URLs say it).
_BADGES: tuple[tuple[str, str], ...] = (
    ("unmaintained", r"unmaintained\.tech|\bno[- ]maintenance[- ]intended\b"),
    ("unmaintained", r"repostatus\.org/badges/latest/(?:abandoned|unsupported)"),
)
RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (scope, kind, re.compile(p, _F))
    for scope, rules in (("badge", _BADGES), ("strong", _STRONG), ("top", _TOP))
    for kind, p in rules
)

_MARKUP = re.compile(
    r"!\[[^\]]*\]\([^)]*\)"  # markdown images (badges)
    r"|\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)"  # linked badges
    r"|<[^>\n]+>"  # HTML tags
    r"|^\s*\.\.\s+(?:image|figure)::.*$|^\s+:(?:target|alt|width|height|align):.*$"  # rst images
    r"|^\s*\[[^\]]+\]:\s*\S+.*$",  # link reference definitions
    re.MULTILINE,
)
_LINK = re.compile(r"\]\([^)]*\)")
_EMPHASIS = re.compile(r"[*_`]+")  # **bold**, _em_, `code`: the words around a phrase stay adjacent
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SEP = "\x1f"


@dataclass(frozen=True)
class StatusEvent:
    at: datetime
    kind: str
    evidence: str
    sha: str


def _plain(text: str) -> str:
    """The README without badges, images, tags and link targets, emphasis removed."""
    t = _MARKUP.sub(" ", text)
    t = _LINK.sub("]", t)
    t = _EMPHASIS.sub("", t)
    return "\n".join(ln for ln in (x.strip() for x in t.splitlines()) if ln)


def classify(text: str) -> tuple[str, str] | None:
    """``(kind, evidence)`` for a README's text, or None when its head declares nothing."""
    raw = text[:HEAD_CHARS]
    plain = _plain(raw)
    where = {"badge": raw, "strong": plain, "top": plain[:TOP_CHARS]}
    for scope, kind, pattern in RULES:
        hay = where[scope]
        m = pattern.search(hay)
        if m:
            lo, hi = max(0, m.start() - 40), min(len(hay), m.end() + 40)
            snippet = " ".join(hay[lo:hi].split())
            return kind, _EMAIL.sub("[email]", snippet)[:200]
    return None


def _run(repo: GitRepo, *args: str, stdin: bytes | None = None) -> bytes:
    proc = subprocess.run(repo.argv(*args), input=stdin, capture_output=True, check=False)
    return proc.stdout if proc.returncode == 0 else b""


def _is_readme(path: str) -> bool:
    return (
        "/" not in path and re.fullmatch(r"readme(?:\.[\w.-]+)?", path, re.IGNORECASE) is not None
    )


def readme_status_events(repo: GitRepo, rev: str = "HEAD") -> list[StatusEvent]:
    """The README status changes along ``rev``'s first-parent history, oldest first."""
    out = _run(
        repo,
        "-c",
        "core.quotepath=off",
        "log",
        "--first-parent",
        "--reverse",
        "--no-renames",
        "--raw",
        "--no-abbrev",
        "-z",
        f"--format=%x1e%H{_SEP}%ct",
        rev,
        "--",
        ":(icase)README*",
    )
    versions: list[tuple[str, int, dict[str, str | None]]] = []
    for rec in out.decode("utf-8", "replace").split("\x1e")[1:]:
        header, _, rest = (
            rec.partition("\x00") if "\x00" in rec.split("\n", 1)[0] else rec.partition("\n")
        )
        sha, _, ts = header.strip().partition(_SEP)
        changes: dict[str, str | None] = {}
        tokens = [t for t in rest.split("\x00")]
        i = 0
        while i < len(tokens):
            tok = tokens[i].strip("\n")
            if tok.startswith(":") and i + 1 < len(tokens):
                parts = tok.split()
                path = tokens[i + 1]
                if _is_readme(path) and len(parts) >= 5:
                    changes[path] = None if parts[4].startswith("D") else parts[3]
                i += 2
            else:
                i += 1
        if changes and ts.strip().isdigit():
            versions.append((sha.strip(), int(ts), changes))
    blobs = {b for _, _, ch in versions for b in ch.values() if b}
    texts = _read_blobs(repo, sorted(blobs))
    events: list[StatusEvent] = []
    current: dict[str, str | None] = {}
    state: str | None = None
    for vsha, vts, changes in versions:
        current.update(changes)
        found: tuple[str, str] | None = None
        for path in sorted(current):
            blob = current[path]
            if blob:
                found = classify(texts.get(blob, ""))
                if found:
                    break
        kind = found[0] if found else None
        if kind != state:
            at = datetime.fromtimestamp(vts, UTC)
            if found:
                events.append(StatusEvent(at, found[0], found[1], vsha))
            else:
                events.append(StatusEvent(at, "cleared", "notice removed from the README", vsha))
            state = kind
    return events


def _read_blobs(repo: GitRepo, shas: list[str]) -> dict[str, str]:
    """Blob texts (first ``HEAD_CHARS`` * 2 bytes decoded) via one ``git cat-file --batch``."""
    if not shas:
        return {}
    raw = _run(repo, "cat-file", "--batch", stdin=("\n".join(shas) + "\n").encode())
    texts: dict[str, str] = {}
    pos = 0
    while pos < len(raw):
        nl = raw.find(b"\n", pos)
        if nl < 0:
            break
        parts = raw[pos:nl].split()
        pos = nl + 1
        if len(parts) < 3 or parts[1] != b"blob":
            continue  # "<sha> missing": a blob the snapshot lacks
        size = int(parts[2])
        texts[parts[0].decode()] = raw[pos : pos + min(size, HEAD_CHARS * 2)].decode(
            "utf-8", "replace"
        )
        pos += size + 1
    return texts

"""Find and hide email addresses in anything written for others to read.

Why a pattern and not only care at each writer: emails reach text by many roads (a git author
who typed their email as their name, a ``.mailmap`` line, a display name that fell back to the
address, an issue title). Every writer that publishes people uses these helpers, and
``scrub_tree`` runs over a written site as the last step, so a road nobody thought of still
ends here.

- ``mask_email("ann.smith@planetcoding.net")`` → ``a…@planetcoding.net``: only where the user
  opts in (``identity_keys = "masked"``); it still tells an organisation apart.
- ``scrub_text`` replaces every address in a text by ``[email hidden]`` (the default).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "EMAIL_RE",
    "HIDDEN",
    "TEXT_SUFFIXES",
    "find_emails",
    "mask_email",
    "scrub_frame",
    "scrub_text",
    "scrub_tree",
    "scrub_value",
]

# local@domain.tld: a top-level label of letters only, so "vega@5.2.0" or "x@2x" are not emails.
EMAIL_RE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
    r"(?![A-Za-z0-9-])"
)
HIDDEN = "[email hidden]"
TEXT_SUFFIXES = frozenset({".html", ".htm", ".csv", ".json", ".svg", ".txt", ".md", ".graphml",
                           ".gexf", ".xml", ".tsv"})  # fmt: skip


def find_emails(text: str) -> list[str]:
    """Every email address in ``text``, in order."""
    return EMAIL_RE.findall(text)


def mask_email(email: str) -> str:
    """``ann@planetcoding.net`` → ``a…@planetcoding.net`` (first character of the local part)."""
    local, _, domain = email.strip().partition("@")
    return f"{local[:1]}…@{domain.lower()}" if domain else HIDDEN


def scrub_text(text: str, *, masked: bool = False) -> str:
    """``text`` with every email replaced by ``[email hidden]`` (or its masked form)."""
    if "@" not in text:
        return text
    if masked:
        return EMAIL_RE.sub(lambda m: mask_email(m.group(0)), text)
    return EMAIL_RE.sub(HIDDEN, text)


def scrub_value(value: Any, *, masked: bool = False) -> Any:
    """``scrub_text`` through strings inside lists, tuples and dicts; other values unchanged."""
    if isinstance(value, str):
        return scrub_text(value, masked=masked)
    if isinstance(value, list | tuple):
        return type(value)(scrub_value(v, masked=masked) for v in value)
    if isinstance(value, dict):
        return {k: scrub_value(v, masked=masked) for k, v in value.items()}
    return value


def scrub_frame(df: Any, *, masked: bool = False) -> Any:
    """A pandas frame with emails hidden in every text (or list-of-text) column."""
    out = df
    for col in df.columns:
        if df[col].dtype != object and not str(df[col].dtype).startswith("string"):
            continue
        if not df[col].map(_has_at).any():
            continue
        if out is df:
            out = df.copy()
        out[col] = df[col].map(lambda v: scrub_value(v, masked=masked))
    return out


def _has_at(value: Any) -> bool:
    if isinstance(value, str):
        return "@" in value
    if isinstance(value, list | tuple):
        return any(_has_at(v) for v in value)
    if hasattr(value, "tolist"):
        return _has_at(value.tolist())
    return False


def scrub_tree(root: str | os.PathLike[str], *, skip: Iterable[str] = ("assets",)) -> list[Path]:
    """Hide emails in every text file under ``root`` (data, pages, exports); → files changed.

    ``skip``: top-level folders of vendored files (the chart runtime) that hold no collected
    data; they are scanned by the tests, not rewritten.
    """
    base = Path(root)
    skipped = {base / s for s in skip}
    changed: list[Path] = []
    for path in sorted(base.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in TEXT_SUFFIXES:
            continue
        if any(parent in skipped for parent in path.parents):
            continue
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        new = scrub_text(text)
        if new != text:
            path.write_text(new, encoding="utf-8", errors="surrogateescape")
            changed.append(path)
    return changed

"""Which identities are bots.

Bots inflate every people-based metric (active contributors, truck factor, response times), so
they are flagged once, here, and every later stage filters on ``people.is_bot``. The rules are
the corpus's (its README's "Bot rules"; the corpus's ``is_bot_like`` flag follows them), so a
repository collected from git and the same repository loaded from the corpus agree, plus a user
list:

- name, email or login contains ``[bot]``, ``dependabot``, ``renovate``, ``github-actions``,
  ``greenkeeper``, ``snyk-bot``, ``pyup-bot``, ``pyup.io``, ``pre-commit-ci``, ``imgbot``,
  ``allcontributors``, ``semantic-release-bot``, ``mergify``, ``facebook-github-bot``,
  ``automation`` or ``release tools``;
- the name ends with the word ``bot`` (``pytest bot``, ``vue-bot``, ``Facebook Github Bot 3``)
  or is one CamelCase word ending in ``Bot`` (``HashiBot``);
- the email's local part has ``bot`` as a separate token (``ci-bot@``, ``bot@``, ``github+bot@``);
- a few exact names, local parts and emails (``bors``, ``jenkins``, ``actions@github.com``, ...).

``noreply@github.com`` (GitHub's web-flow committer) is *not* a bot by itself: it commits on
behalf of people who merge in the web interface.

Extra entries (the ``extra_bots`` argument, or the ``bots`` setting: comma-separated) match a
name, email, login or email local part exactly, case-insensitively; an entry with ``*`` or ``?``
is a shell-style pattern (``*-ci@example.org``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase

__all__ = ["BotRules", "is_bot", "parse_bot_list"]

_CONTAINS = (
    "[bot]",
    "dependabot",
    "renovate",
    "github-actions",
    "greenkeeper",
    "snyk-bot",
    "pyup-bot",
    "pyup.io",
    "pre-commit-ci",
    "imgbot",
    "allcontributors",
    "semantic-release-bot",
    "mergify",
    "facebook-github-bot",
    "automation",
    "release tools",
)
_EXACT_NAMES = frozenset(
    {
        "bors",
        "jenkins",
        "travis ci",
        "jekyllbot",
        "zaniebot",
        "hugoreleaser",
        "karmarunnerbot",
        "frankenbot",
        "pytestbot",
    }
)
_EXACT_LOCAL = frozenset(
    {"bors", "jenkins", "buildbot", "jekyllbot", "zaniebot", "pytestbot", "karmarunnerbot"}
)
_EXACT_EMAILS = frozenset({"actions@github.com", "noreply@anthropic.com"})

# "... bot" / "...-bot" / "Facebook Github Bot 3": the last word (digits after it allowed) is bot.
_NAME_ENDS_BOT = re.compile(r"(?:^|[\s_.-])bot(?:[\s_-]*\d+)?$", re.IGNORECASE)
# One CamelCase word ending in Bot: HashiBot (but not "Abbot").
_CAMEL_BOT = re.compile(r"^[A-Z][A-Za-z0-9]*[a-z0-9]Bot$")
# bot as a separate token of the local part: ci-bot@, bot@, github+bot@, bot.ci@.
_LOCAL_BOT = re.compile(r"(?:^|[^a-z0-9])bot(?:$|[^a-z0-9])")


def parse_bot_list(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """The ``bots`` setting (comma-separated) or an iterable of entries, cleaned."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(s.strip().lower() for s in items if s and s.strip())


class BotRules:
    """The built-in rules plus ``extra`` entries; call it with a name, email and login."""

    def __init__(self, extra: Sequence[str] = ()) -> None:
        entries = parse_bot_list(extra)
        self.exact = frozenset(e for e in entries if not any(c in e for c in "*?["))
        self.patterns = tuple(e for e in entries if any(c in e for c in "*?["))

    def __call__(
        self, name: str | None, email: str | None = None, login: str | None = None
    ) -> bool:
        name = (name or "").strip()
        email = (email or "").strip().lower()
        login = (login or "").strip().lower()
        lname = name.lower()
        local = email.split("@", 1)[0] if "@" in email else email
        for text in (lname, email, login):
            if text and any(s in text for s in _CONTAINS):
                return True
        if lname in _EXACT_NAMES or local in _EXACT_LOCAL or email in _EXACT_EMAILS:
            return True
        if login in _EXACT_NAMES or login in _EXACT_LOCAL:
            return True
        if name and (_NAME_ENDS_BOT.search(name) or _CAMEL_BOT.match(name)):
            return True
        if login and (_NAME_ENDS_BOT.search(login) or _CAMEL_BOT.match(login)):
            return True
        if local and "@" in email and _LOCAL_BOT.search(local):
            return True
        candidates = [c for c in (lname, email, login, local) if c]
        if self.exact and any(c in self.exact for c in candidates):
            return True
        return any(fnmatchcase(c, p) for p in self.patterns for c in candidates)


_DEFAULT = BotRules()


def is_bot(
    name: str | None,
    email: str | None = None,
    login: str | None = None,
    extra: Sequence[str] = (),
) -> bool:
    """True when the identity looks like a bot under the built-in rules or ``extra``."""
    rules = BotRules(extra) if extra else _DEFAULT
    return rules(name, email, login)

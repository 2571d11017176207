"""What an identity's email, login and name say about who it is: the keys the merge links on.

Kept apart from the merge (``collect.identities``) because ``people forget`` reads the same keys
to find every alias of a person, and the rules must be one definition: placeholder addresses and
names shared by strangers never link anyone, a GitHub noreply address names its login, a full
name is folded (accents, case) before it is compared.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "FREE_MAIL_DOMAINS",
    "email_domain",
    "mergeable_email",
    "noreply_login",
    "normalise_name",
]

FREE_MAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "yahoo.co.jp",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.de",
        "outlook.com",
        "outlook.fr",
        "live.com",
        "live.fr",
        "live.co.uk",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "gmx.at",
        "gmx.ch",
        "web.de",
        "mail.ru",
        "inbox.ru",
        "list.ru",
        "bk.ru",
        "yandex.ru",
        "yandex.com",
        "ya.ru",
        "rambler.ru",
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "sina.com",
        "sohu.com",
        "naver.com",
        "hanmail.net",
        "protonmail.com",
        "protonmail.ch",
        "proton.me",
        "pm.me",
        "tutanota.com",
        "fastmail.com",
        "fastmail.fm",
        "hey.com",
        "zoho.com",
        "riseup.net",
        "seznam.cz",
        "free.fr",
        "orange.fr",
        "laposte.net",
        "wanadoo.fr",
        "libero.it",
        "t-online.de",
        "freenet.de",
        "posteo.de",
        "mailbox.org",
        "users.noreply.github.com",
        "noreply.github.com",
        "github.com",
        "users.sourceforge.net",
        "localhost",
        "localhost.localdomain",
        "example.com",
        "example.org",
        "example.net",
    ]
)
_PLACEHOLDER_EMAILS = frozenset(
    {"", "none", "(none)", "unknown", "nobody", "noreply", "root", "you@example.com"}
)
_PLACEHOLDER_DOMAINS = ("localhost", "localdomain", "(none)", "example.com", "invalid", "local")
_PLACEHOLDER_NAMES = frozenset(
    """your name|unknown author|unknown user|github actions|github action|john doe|jane doe|
    test user|git user|local user|default user|build user|the author|no author|
    ubuntu user|system administrator|root user|anonymous user|travis ci|circle ci""".replace(
        "\n", ""
    )
    .replace("    ", "")
    .split("|")
)
_NOREPLY = re.compile(
    r"^(?:\d+\+)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\[bot\])?)@users\.noreply\.github\.com$"
)


def noreply_login(email: str | None) -> str | None:
    """``12345+octocat@users.noreply.github.com`` → ``octocat`` (lowercased)."""
    m = _NOREPLY.match((email or "").strip().lower())
    return m.group(1) if m else None


def normalise_name(name: str | None) -> str | None:
    """Folded full name for the name rule, or None when it is too weak to merge on."""
    if not name:
        return None
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    words = re.sub(r"[^\w]+|_", " ", text).split()
    if len(words) < 2 or sum(len(w) >= 2 for w in words) < 2:
        return None
    norm = " ".join(words)
    return None if norm in _PLACEHOLDER_NAMES else norm


def mergeable_email(email: str) -> bool:
    """Whether two identities sharing this (lowercased) email are one person: not a placeholder."""
    if email in _PLACEHOLDER_EMAILS or "@" not in email:
        return False
    domain = email.rsplit("@", 1)[1]
    return bool(domain) and not any(
        domain == d or domain.endswith("." + d) for d in _PLACEHOLDER_DOMAINS
    )


def email_domain(email: str | None) -> str | None:
    """The organisation an email points to: its domain, unless free mail or a placeholder."""
    e = (email or "").strip().lower()
    if "@" not in e:
        return None
    d = e.rsplit("@", 1)[1].strip(".>")
    if not d or "." not in d or d in FREE_MAIL_DOMAINS:
        return None
    if any(d == x or d.endswith("." + x) for x in _PLACEHOLDER_DOMAINS):
        return None
    return d

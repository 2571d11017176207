"""How people appear in what ossmetrics writes for others: the privacy options, resolved once.

Three levels, from local use to publishing:

- default (``report`` on your machine): names, never emails; identity keys as ``git:#12``
  (source and the store's identity id), which ``ossmetrics identities split 12`` accepts;
- ``identity_keys = "masked"`` (opt in): identity keys as ``git:a…@planetcoding.net``;
- ``--publish`` (setting ``publish``): every person not listed in ``allow_names`` is a stable
  pseudonym, ``person-k3x9qa``: the first characters of an HMAC-SHA256 keyed with the secret
  ``OSSMETRICS_PSEUDONYM_SALT`` over the person's oldest identity key. The same person gets the
  same pseudonym on every page and every run with the same salt, and nobody without the salt can
  compute or reverse it. Person-level tables leave out people who are not allowed.

The salt is a secret: it is read from the environment only and never written anywhere. Publishing
without one is refused — an unsalted hash of an email can be reversed by hashing guesses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from ossmetrics import config, secret_env
from ossmetrics.errors import ConfigError

__all__ = ["SALT_ENV", "PrivacyOptions", "parse_names", "pseudonym"]

SALT_ENV = secret_env.PSEUDONYM_SALT_ENV
IDENTITY_KEY_FORMS = ("id", "masked")


def parse_names(value: Any) -> tuple[str, ...]:
    """``allow_names`` from TOML (a list) or the environment (comma-separated)."""
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return tuple(s for s in (str(x).strip() for x in items) if s)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def pseudonym(salt: str, anchor: str) -> str:
    """``person-`` and six base32 characters of HMAC-SHA256(salt, anchor) — 30 bits."""
    digest = hmac.new(salt.encode(), anchor.encode(), hashlib.sha256).digest()
    return "person-" + base64.b32encode(digest).decode()[:6].lower()


@dataclass(frozen=True)
class PrivacyOptions:
    """What the writers may show of people; ``PrivacyOptions()`` is the local default."""

    publish: bool = False
    salt: str | None = field(default=None, repr=False)
    allow_names: tuple[str, ...] = ()
    identity_keys: str = "id"

    def __post_init__(self) -> None:
        if self.publish and not (self.salt or "").strip():
            raise ConfigError(
                f"publish mode needs a secret salt for pseudonyms, and {SALT_ENV} is not set",
                f"set {SALT_ENV} to a long random secret kept outside the site (a CI secret); "
                "the same salt gives the same pseudonyms on every run",
            )
        if self.identity_keys not in IDENTITY_KEY_FORMS:
            raise ConfigError(
                f"identity_keys must be 'id' or 'masked', not '{self.identity_keys}'",
                "fix the identity_keys setting",
            )

    def site_key(self) -> str:
        """What of these options changes a written site (the salt only through a keyed hash)."""
        salt = self.pseudonym("site") if self.publish else ""
        return f"|{self.publish}|{sorted(self.allow_names)}|{self.identity_keys}|{salt}"

    @classmethod
    def resolve(
        cls,
        publish: bool | None = None,
        toml: dict[str, Any] | None = None,
        *,
        allow_names: Any = None,
    ) -> PrivacyOptions:
        """Options under flag > environment > ``ossmetrics.toml`` > default; salt from env only."""
        if toml and "pseudonym_salt" in toml.get("settings", {}):
            raise ConfigError(
                "pseudonym_salt is a secret and cannot be set in ossmetrics.toml",
                f"remove it there and set {SALT_ENV} in the environment",
            )
        pub = _flag(config.resolve("publish", True if publish else None, toml))
        names = parse_names(config.resolve("allow_names", allow_names, toml))
        keys = str(config.resolve("identity_keys", None, toml)).strip().lower()
        salt = secret_env.pseudonym_salt() if pub else None
        return cls(publish=pub, salt=salt, allow_names=names, identity_keys=keys)

    def pseudonym(self, anchor: str) -> str:
        if not self.salt:
            raise ConfigError(f"{SALT_ENV} is not set", f"set {SALT_ENV} to use pseudonyms")
        return pseudonym(self.salt, anchor)

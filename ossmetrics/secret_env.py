"""Secrets: where each one comes from (the environment only) and how it is kept out of output.

Tokens and salts are deliberately not settings (``ossmetrics.config``): a setting may come from a
file or a flag and is echoed in errors, while a secret must never reach the store, a log, a
report or an error. Every writer of text that may carry one (error lines, run records, HTTP
error bodies) passes it through :func:`redact` on its way out.
"""

from __future__ import annotations

import os

__all__ = [
    "PSEUDONYM_SALT_ENV",
    "corpus_salt",
    "github_token",
    "pseudonym_salt",
    "redact",
]


def github_token(token_env: str = "GITHUB_TOKEN") -> str | None:
    value = os.environ.get(token_env, "").strip()
    return value or None


PSEUDONYM_SALT_ENV = "OSSMETRICS_PSEUDONYM_SALT"


def corpus_salt() -> str | None:
    """The secret salt of the training corpus's person pseudonyms (``collect corpus --manifest``):
    from the environment only; a build without it keeps a random one beside its output."""
    return os.environ.get("OSSMETRICS_CORPUS_SALT") or None


def pseudonym_salt() -> str | None:
    """The secret salt of ``--publish`` pseudonyms: from the environment only, like the token."""
    return os.environ.get(PSEUDONYM_SALT_ENV)


# Object-store credentials a lake URL may be read with (ossmetrics/lake/remote.py)
_STORE_SECRETS = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_CLIENT_SECRET",
)


def redact(text: str, *secrets: str | None) -> str:
    """Remove secrets (and the GitHub token from the environment) from ``text``."""
    candidates = [s for s in secrets if s]
    for var in (
        "GITHUB_TOKEN",
        "GH_TOKEN",
        os.environ.get("OSSMETRICS_TOKEN_ENV", ""),
        *_STORE_SECRETS,
    ):
        if var and os.environ.get(var):
            candidates.append(os.environ[var])
    for secret in sorted(set(candidates), key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text

"""Commands: identities list|merge|split."""

from ossmetrics.cli._app import app  # noqa: F401

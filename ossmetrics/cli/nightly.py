"""Commands: nightly, track add|list|remove."""

from ossmetrics.cli._app import app  # noqa: F401

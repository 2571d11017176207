"""Commands: collect git."""

from ossmetrics.cli._app import app  # noqa: F401

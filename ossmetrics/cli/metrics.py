"""Commands: init, metrics list, query."""

from ossmetrics.cli._app import app  # noqa: F401

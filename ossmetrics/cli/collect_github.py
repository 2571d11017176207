"""Commands: collect github."""

from ossmetrics.cli._app import app  # noqa: F401

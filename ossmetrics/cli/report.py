"""Commands: report, demo."""

from ossmetrics.cli._app import app  # noqa: F401

"""Commands: train, score, risk evaluate|explain."""

from ossmetrics.cli._app import app  # noqa: F401

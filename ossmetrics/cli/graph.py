"""Commands: graph, graph export."""

from ossmetrics.cli._app import app  # noqa: F401

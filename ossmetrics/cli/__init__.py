"""Command-line interface: ``ossmetrics`` (installed) or ``python cli.py`` (checkout).

``main`` is the one place exceptions become exit codes: an ``OssmetricsError`` prints a single
``Error: what — what to do`` line (exit 1, or 2 for bad usage); a traceback appears only with
``--debug``.
"""

from __future__ import annotations

import os
import sys
import traceback

# Each module registers its commands on the app when imported.
from ossmetrics.cli import (  # noqa: F401
    _app,
    collect_corpus,
    collect_git,
    collect_github,
    fund,
    graph,
    identities,
    lake,
    metrics,
    nightly,
    people,
    report,
    risk,
    spark,
)
from ossmetrics.errors import OssmetricsError
from ossmetrics.secret_env import redact

__all__ = ["app", "main"]

app = _app.app


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("OSSMETRICS_DEBUG") == "1"
    try:
        # Typer's standalone mode prints usage errors (exit 2) and turns Ctrl-C into exit 1.
        app(args=args, prog_name="ossmetrics")
    except OssmetricsError as exc:
        if debug:
            traceback.print_exc()
        _app.err_console.print(f"Error: {redact(exc.one_line())}", markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _app.err_console.print(
            "Error: interrupted — completed work is kept; run the command again to finish",
            markup=False,
        )
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug, not a user mistake: still one line unless --debug
        if debug:
            traceback.print_exc()
        known = lake.lake_failure(exc)  # an object store failing mid-query is not a bug
        if known is not None:
            _app.err_console.print(f"Error: {redact(known.one_line())}", markup=False)
            sys.exit(known.exit_code)
        msg = redact(f"{type(exc).__name__}: {exc}".splitlines()[0])
        _app.err_console.print(
            f"Error: internal error ({msg}) — rerun with --debug and report it", markup=False
        )
        sys.exit(1)

"""Commands: report, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ossmetrics.cli._app import app, console, err_console, open_store, out_option, state
from ossmetrics.privacy import PrivacyOptions

__all__ = ["demo", "privacy_options", "publish_option", "report"]


def _out(out: Path | None) -> Path:
    return Path(state().setting("out", out))


def publish_option() -> Any:
    """``--publish`` of report, demo, nightly and graph export (one wording)."""
    return typer.Option(
        False,
        "--publish",
        help="Safe to publish: everyone not listed in the allow_names setting appears as a "
        "stable salted pseudonym (secret salt in $OSSMETRICS_PSEUDONYM_SALT) and is left out "
        "of person-level tables (default: setting `publish`).",
    )


def privacy_options(publish: bool) -> PrivacyOptions:
    """The privacy options under flag > environment > ossmetrics.toml; warnings printed."""
    return PrivacyOptions.resolve(publish or None, state().toml)


def _warn(warnings: list[str]) -> None:
    for w in warnings:
        err_console.print(f"Warning: {w}", markup=False)


@app.command()
def report(
    out: Path | None = out_option("the site"),
    repo: list[str] | None = typer.Option(
        None,
        "--repo",
        help="Only this repository (OWNER/REPO); repeat for several. Default: all in the store.",
        show_default=False,
    ),
    publish: bool = publish_option(),
) -> None:
    """Write the HTML dashboards: portfolio, one page per project, compare, data health.

    Names but never emails by default (for local use); --publish for a site others will read.
    """
    from ossmetrics.pipeline.steps import build_report
    from ossmetrics.privacy import PeopleView

    privacy = privacy_options(publish)
    con = open_store()
    try:
        _warn(PeopleView(con, privacy).warnings)
        index = build_report(state().context(con, out=out, privacy=privacy), repos=repo or None)
    finally:
        con.close()
    console.print(str(index), markup=False)


@app.command()
def demo(
    out: Path | None = out_option("the demo site"),
    publish: bool = publish_option(),
) -> None:
    """Run the whole pipeline offline on the bundled sample data and print the path of index.html.

    Exit status 1 when a step failed (each step's line on stderr names it with its error; the
    steps that do not depend on it still ran, and the site's data-health page shows it).
    Names but never emails by default; --publish for a site others will read.
    """
    from ossmetrics.pipeline.demo import run_demo

    st = state()
    result = run_demo(_out(out), st.db, st.settings(), privacy=privacy_options(publish))
    for line in result.lines():
        err_console.print(line, markup=False)
    console.print(str(result.index), markup=False)
    if result.exit_code:
        raise typer.Exit(result.exit_code)

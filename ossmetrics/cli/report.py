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
    what_if: int = typer.Option(
        3,
        "--what-if",
        min=0,
        help="Run the risk model's 'if this key person left' re-scoring for the N riskiest projects (seconds each; 0 for none).",
    ),
    publish: bool = publish_option(),
) -> None:
    """Write the HTML dashboards: portfolio, one page per project, compare, data health.

    Names but never emails by default (for local use); --publish for a site others will read.
    """
    from ossmetrics.privacy import PeopleView
    from ossmetrics.report import build_site

    privacy = privacy_options(publish)
    con = open_store()
    try:
        _warn(PeopleView(con, privacy).warnings)
        index = build_site(con, _out(out), repos=repo or None, what_if=what_if, privacy=privacy)
    finally:
        con.close()
    console.print(str(index), markup=False)


@app.command()
def demo(
    out: Path | None = out_option("the demo site"),
    publish: bool = publish_option(),
) -> None:
    """Run the whole pipeline offline on the bundled sample data and print the path of index.html."""
    from ossmetrics.report.demo import run_demo_detailed

    result = run_demo_detailed(_out(out), state().db, privacy_options(publish))
    for name, status in result.stages.items():
        err_console.print(f"{name}: {status}", markup=False)
    console.print(str(result.index), markup=False)

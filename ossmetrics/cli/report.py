"""Commands: report, demo."""

from __future__ import annotations

from pathlib import Path

import typer

from ossmetrics.cli._app import app, console, err_console, open_store, out_option, state

__all__ = ["demo", "report"]


def _out(out: Path | None) -> Path:
    return Path(state().setting("out", out))


@app.command()
def report(
    out: Path | None = out_option("the site"),
    repo: list[str] | None = typer.Option(
        None,
        "--repo",
        help="Only this repository (OWNER/REPO); repeat for several. Default: all in the store.",
        show_default=False,
    ),
) -> None:
    """Write the HTML dashboards: portfolio, one page per project, compare, data health."""
    from ossmetrics.pipeline.steps import build_report

    con = open_store()
    try:
        index = build_report(state().context(con, out=out), repos=repo or None)
    finally:
        con.close()
    console.print(str(index), markup=False)


@app.command()
def demo(
    out: Path | None = out_option("the demo site"),
) -> None:
    """Run the whole pipeline offline on the bundled sample data and print the path of index.html.

    Exit status 1 when a step failed (each step's line on stderr names it with its error; the
    steps that do not depend on it still ran, and the site's data-health page shows it).
    """
    from ossmetrics.pipeline.demo import run_demo

    st = state()
    result = run_demo(_out(out), st.db, st.settings())
    for line in result.lines():
        err_console.print(line, markup=False)
    console.print(str(result.index), markup=False)
    if result.exit_code:
        raise typer.Exit(result.exit_code)

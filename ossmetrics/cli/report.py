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
    what_if: int = typer.Option(
        3,
        "--what-if",
        min=0,
        help="Run the risk model's 'if this key person left' re-scoring for the N riskiest projects (seconds each; 0 for none).",
    ),
) -> None:
    """Write the HTML dashboards: portfolio, one page per project, compare, data health."""
    from ossmetrics.report import build_site

    con = open_store()
    try:
        index = build_site(con, _out(out), repos=repo or None, what_if=what_if)
    finally:
        con.close()
    console.print(str(index), markup=False)


@app.command()
def demo(
    out: Path | None = out_option("the demo site"),
) -> None:
    """Run the whole pipeline offline on the bundled sample data and print the path of index.html."""
    from ossmetrics.report.demo import run_demo_detailed

    result = run_demo_detailed(_out(out), state().db)
    for name, status in result.stages.items():
        err_console.print(f"{name}: {status}", markup=False)
    console.print(str(result.index), markup=False)

"""Commands: ``init``, ``metrics list``, ``query``.

Thin wrappers over :mod:`ossmetrics.metrics`: parse the options, call the library, print.
Bad input (an unknown metric, a malformed ``--param``, SQL that does not parse, a write without
``--write``) is raised as a UsageError subclass, which ``main`` prints as one line with exit 2.
"""

from __future__ import annotations

import io
import json
import math
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from ossmetrics.cli._app import app, console, err_console, metrics_app, open_store, state
from ossmetrics.errors import BadParameter
from ossmetrics.metrics import find_metric, install, list_metrics, metrics_markdown, run_metric
from ossmetrics.metrics.run import is_metric_name
from ossmetrics.store import schema_version

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["init_cmd", "metrics_list_cmd", "parse_params", "query_cmd"]

FORMATS = ("table", "csv", "json", "parquet")
TABLE_ROWS = 1000  # the table format shows at most this many rows; csv/json/parquet show all


@app.command("init")
def init_cmd() -> None:
    """Create (or upgrade) the store and install the metric macros into it."""
    con = open_store()
    try:
        res = install(con, force=True)
        version = schema_version(con)
    finally:
        con.close()
    console.print(
        f"store {state().db} ready (schema {version}); {res.installed} metrics installed as "
        f"DuckDB macros in {res.seconds:.2f} s — try: duckdb {state().db} -c "
        '"FROM health_summary(NULL)"',
        markup=False,
    )


@metrics_app.command("list")
def metrics_list_cmd(
    markdown: bool = typer.Option(
        False, "--markdown", help="Write the full definitions as Markdown to --output instead."
    ),
    output: Path = typer.Option(
        Path("docs/metrics.md"), "--output", "-o", help="Where --markdown writes."
    ),
) -> None:
    """The metric library: name, description and parameters of every metric."""
    metrics = list_metrics()
    if markdown:
        if output.parent and not output.parent.exists():
            output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(metrics_markdown(metrics), encoding="utf-8")
        console.print(f"wrote {output} ({len(metrics)} metrics)", markup=False)
        return
    table = Table(show_lines=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("metric", no_wrap=True)
    table.add_column("description")
    table.add_column("params")
    for m in metrics:
        params = ", ".join(
            p.name + (f"={p.default}" if p.default else "") for p in m.params if p.name != "repo"
        )
        table.add_row(m.name, m.summary, params or "-")
    console.print(table)


def parse_params(items: list[str]) -> dict[str, str]:
    """``k=v`` strings into a dict; a malformed one is a BadParameter."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not key.replace("_", "a").isalnum():
            raise BadParameter(
                f"--param {item!r} is not KEY=VALUE", "write e.g. --param since=2024-01-01"
            )
        if key in out:
            raise BadParameter(f"--param {key} given twice", "give each parameter once")
        out[key] = value
    return out


def _plain(v: Any, as_date: bool) -> Any:
    """A JSON-ready value: missing -> None, numpy scalars -> Python, times -> ISO text."""
    import pandas as pd

    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, datetime | pd.Timestamp):
        return v.date().isoformat() if as_date else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return v.item() if hasattr(v, "item") else v


def _date_columns(df: pd.DataFrame) -> set[str]:
    """Columns DuckDB returned as DATE: pandas makes them naive datetimes at midnight."""
    import pandas as pd

    out = set()
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_dtype(s) and getattr(s.dt, "tz", None) is None:
            v = s.dropna()
            if (v == v.dt.normalize()).all():
                out.add(str(col))
    return out


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    dates = _date_columns(df)
    cols = [str(c) for c in df.columns]
    return [
        {c: _plain(v, c in dates) for c, v in zip(cols, row, strict=True)}
        for row in df.itertuples(index=False)
    ]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:.3f}".rstrip("0").rstrip(".")
    return str(v)


def _render_table(df: pd.DataFrame) -> Table:
    import pandas as pd

    table = Table(pad_edge=False, box=None, header_style="bold")
    for col in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[col])
        table.add_column(str(col), justify="right" if numeric else "left", no_wrap=True)
    for rec in _records(df.head(TABLE_ROWS)):
        table.add_row(*(_cell(v) for v in rec.values()))
    return table


def _table_text(df: pd.DataFrame) -> str:
    """The table at its natural width (like psql): a wide result is not squeezed to the terminal."""
    buf = io.StringIO()
    Console(file=buf, width=10_000, highlight=False, color_system=None).print(_render_table(df))
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


def _write(df: pd.DataFrame, fmt: str, output: Path | None) -> None:
    """Print or save the rows in the chosen format."""
    if fmt == "parquet":
        assert output is not None
        df.to_parquet(output, index=False)
    elif fmt == "table" and output is None:
        sys.stdout.write(_table_text(df))
        if len(df) > TABLE_ROWS:
            err_console.print(
                f"… {len(df) - TABLE_ROWS} more rows (use --format csv or --output FILE for all)",
                markup=False,
            )
    else:
        if fmt == "csv":
            text = df.to_csv(index=False)
        elif fmt == "json":
            text = json.dumps(_records(df), ensure_ascii=False) + "\n"
        else:
            text = _table_text(df)
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
    if output is not None:
        err_console.print(f"wrote {len(df)} rows to {output}", markup=False)


@app.command("query")
def query_cmd(
    name_or_sql: str = typer.Argument(
        ..., metavar="NAME_OR_SQL", help="A metric name (see `metrics list`) or an SQL query."
    ),
    repo: str | None = typer.Option(
        None, "--repo", "-r", help="Repository OWNER/REPO (default: every repository)."
    ),
    param: list[str] = typer.Option(
        [], "--param", "-p", help="A parameter KEY=VALUE, bound (never pasted) into the query."
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv, json or parquet."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE, not stdout."),
    write: bool = typer.Option(
        False, "--write", help="Allow raw SQL that changes the store (INSERT, UPDATE, ...)."
    ),
) -> None:
    """Run a metric or raw SQL against the store and print the rows (read-only unless --write)."""
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise BadParameter(f"unknown --format {fmt!r}", "use one of: " + ", ".join(FORMATS))
    if fmt == "parquet" and output is None:
        raise BadParameter("--format parquet needs --output FILE", "e.g. --output result.parquet")
    params = parse_params(param)
    metric_name = is_metric_name(name_or_sql)
    if metric_name:
        find_metric(name_or_sql.strip())  # an unknown name fails before the store is opened
    con = open_store(read_only=not write)
    try:
        if not sys.stderr.isatty():  # DuckDB's progress bar would litter logs and pipes
            con.execute("SET enable_progress_bar = false")
        if not metric_name:
            install(con)  # raw SQL may call the macros; temp ones on a read-only stale store
        df = run_metric(con, name_or_sql, repo=repo, params=params, allow_write=write)
    finally:
        con.close()
    if metric_name:  # a metric's rows are for sharing: no email address (raw SQL is the user's)
        from ossmetrics.privacy import scrub_frame

        df = scrub_frame(df)
    _write(df, fmt, output)

"""``ossmetrics export --lake DIR``, ``ossmetrics import --lake DIR`` and the global ``--lake``.

With ``--lake`` every command that reads the store (query, metrics, graph, score, report) gets a
connection over the lake instead; what graph and score compute is written back into a local
lake when the command ends. Collectors write the store only, so they refuse ``--lake``.
"""

from __future__ import annotations

import duckdb
import typer

from ossmetrics.cli._app import app, console, err_console, state
from ossmetrics.errors import LakeError
from ossmetrics.store import connect

__all__ = ["lake_failure", "open_lake_store", "refuse_writers"]

_WRITERS = ("collect", "identities", "track", "nightly", "train", "import", "export")


def refuse_writers(command: str) -> None:
    """Collectors and other writers of collected data run on a store, never on a lake."""
    if command in _WRITERS:
        raise LakeError(
            f"`{command}` writes the store and cannot run on a lake",
            "run it with --db, then `ossmetrics export --lake DIR`",
        )


def lake_failure(exc: BaseException) -> LakeError | None:
    """A DuckDB error raised while reading an object-store lake (an object gone, the endpoint
    down, credentials revoked mid-command) as the store's one-line LakeError; None otherwise."""
    url = state().lake
    if not url or "://" not in url or not isinstance(exc, duckdb.Error):
        return None
    from ossmetrics.lake.remote import open_remote

    try:
        return open_remote(url).error(exc, "reading the lake")
    except LakeError as err:  # its package vanished: say that instead
        return err


def open_lake_store(url: str) -> duckdb.DuckDBPyConnection:
    """The lake at ``url`` as a store connection; partitions it had to skip are reported."""
    from ossmetrics.lake import open_lake
    from ossmetrics.metrics import install

    ctx = state().ctx
    refuse_writers(str(ctx.invoked_subcommand or "") if ctx is not None else "")
    lake = open_lake(url)
    for s in lake.skipped:
        err_console.print(f"Warning: {s.line()} — re-export that table", markup=False)
    install(lake.con)
    if ctx is not None:

        def _finish() -> None:
            try:
                written = lake.write_back()
                if written and lake.writable:
                    err_console.print(f"Lake: wrote back {', '.join(written)}", markup=False)
                elif written:
                    err_console.print(
                        f"Lake: {', '.join(written)} not written back to {lake.url} (read-only) — "
                        "run on a local or s3:// copy to keep them",
                        markup=False,
                    )
            finally:
                lake.close()

        ctx.call_on_close(_finish)
    return lake.con


@app.command("export")
def export_cmd(
    lake: str = typer.Option(
        ...,
        "--lake",
        help="Folder (created if needed) or object-store prefix (s3://BUCKET/PREFIX; "
        "credentials from the environment) of the lake.",
    ),
    buckets: int | None = typer.Option(
        None, "--buckets", help="Repository buckets of a new lake (default 64)."
    ),
) -> None:
    """Write every store table into a Hive-partitioned Parquet lake; only changed partitions
    are rewritten."""
    from ossmetrics.lake import export_lake

    con = connect(state().db, read_only=True)
    try:
        r = export_lake(con, lake, buckets=buckets)
    finally:
        con.close()
    rows = sum(r.rows.values())
    console.print(
        f"Exported {rows:,} rows of {len(r.rows)} tables to {lake}: "
        f"{r.files_written} partition(s) written, {sum(r.unchanged.values())} unchanged, "
        f"{sum(r.removed.values())} removed ({r.seconds:.1f} s)",
        markup=False,
    )


@app.command("import")
def import_cmd(
    lake: str = typer.Option(
        ..., "--lake", help="Folder or URL (s3://BUCKET/PREFIX, ...) of the lake."
    ),
    replace: bool = typer.Option(False, "--replace", help="Overwrite a store that has data."),
) -> None:
    """Load a lake into the store (--db): every table, lossless."""
    from ossmetrics.lake import import_lake

    con = connect(state().db)
    try:
        r = import_lake(con, lake, replace=replace)
    finally:
        con.close()
    console.print(
        f"Imported {sum(r.rows.values()):,} rows of {len(r.rows)} tables into {state().db} "
        f"({r.seconds:.1f} s)",
        markup=False,
    )
    if r.absent:
        console.print(
            f"Kept the store's own {', '.join(r.absent)}: the lake does not hold them "
            "(written by an older ossmetrics)",
            markup=False,
        )

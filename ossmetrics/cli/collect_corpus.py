"""Command: collect corpus (the shared pseudonymised corpus, to reproduce the model and benchmarks)."""

from __future__ import annotations

from pathlib import Path

import typer

from ossmetrics.cli._app import collect_app, console, open_store

__all__ = ["collect_corpus_command"]


@collect_app.command("corpus")
def collect_corpus_command(
    path: Path | None = typer.Argument(
        None,
        help="Folder with repos/commits/commit_files.parquet "
        "(default: $OSSMETRICS_CORPUS; required without it).",
    ),
    repo: list[str] | None = typer.Option(
        None, "--repo", help="Only this corpus repository (OWNER/REPO; repeat for more)."
    ),
) -> None:
    """Load the shared corpus (git histories of 130 repositories) into the store."""
    import time

    from ossmetrics.collect.corpus import default_corpus_dir, load_corpus

    folder = path or default_corpus_dir()
    t0 = time.perf_counter()
    con = open_store()
    try:
        n = load_corpus(con, folder, repo or None)
        commits = con.execute("SELECT count(*) FROM commits").fetchone()
    finally:
        con.close()
    console.print(
        f"loaded {n:,} corpus {'repository' if n == 1 else 'repositories'} from {folder} "
        f"({commits[0] if commits else 0:,} commits in the store, {time.perf_counter() - t0:.1f} s)"
    )

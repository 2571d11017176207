"""Command: collect corpus: load the shared pseudonymised corpus, or build one from a manifest."""

from __future__ import annotations

from pathlib import Path

import typer

from ossmetrics.cli._app import collect_app, console, open_store
from ossmetrics.errors import UsageError

__all__ = ["collect_corpus_command"]


@collect_app.command("corpus")
def collect_corpus_command(
    path: Path | None = typer.Argument(
        None,
        help="Folder with repos/commits/commit_files.parquet "
        "(default: $OSSMETRICS_CORPUS; required without it).",
    ),
    repo: list[str] | None = typer.Option(
        None,
        "--repo",
        help="Only this corpus repository (OWNER/REPO; repeat for more); with --manifest, only "
        "these manifest rows are built.",
    ),
    repos_from: Path | None = typer.Option(
        None,
        "--repos-from",
        help="Like --repo, for every OWNER/REPO line of this file (e.g. corpus/model-repos.txt, "
        "the shipped model's training corpus).",
    ),
    manifest: Path | None = typer.Option(
        None,
        "--manifest",
        help="Build a corpus from this manifest CSV (repo,ecosystem,why,...) instead of loading "
        "one: clone, collect, pseudonymise, write Parquet into --out.",
    ),
    out: Path = typer.Option(
        Path("corpus-build"), "--out", help="Build folder (store, clones, Parquet) for --manifest."
    ),
    mirror_dir: Path | None = typer.Option(
        None,
        "--mirror-dir",
        help="Folder of local bare copies named OWNER+NAME (or OWNER+NAME/repo) used before cloning.",
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Never clone: build only what --mirror-dir or `source` holds."
    ),
    only_local: bool = typer.Option(
        False, "--only-local", help="Leave out (without listing) rows with no local copy."
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Only the first N rows."),
    no_export: bool = typer.Option(
        False, "--no-export", help="Collect only; write the Parquet files on a later run."
    ),
    write_commits: bool = typer.Option(
        False,
        "--write-commits",
        help="Fill the manifest's empty `commit` cells with the HEAD each repository was built at.",
    ),
    allow_reserved: bool = typer.Option(
        False,
        "--allow-reserved",
        help="Also build apache/* repositories (reserved for validation: never train on them).",
    ),
    merge_every: int = typer.Option(
        0,
        "--merge-every",
        min=0,
        help="Merge identities into people after every N repositories built (0: once at the "
        "end; 1: after each, slowest); the people are the same either way.",
    ),
) -> None:
    """Load the shared corpus into the store, or build a larger one with --manifest."""
    import time

    names = list(repo or [])
    if repos_from is not None:
        try:
            lines = repos_from.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise UsageError(
                f"cannot read {repos_from}: {e.strerror}", "give a file of OWNER/REPO lines"
            ) from None
        names += [x.strip() for x in lines if x.strip() and not x.startswith("#")]
    only = names or None
    if manifest is not None:
        _build(
            manifest,
            out,
            mirror_dir,
            offline,
            only_local,
            limit,
            no_export,
            allow_reserved,
            write_commits,
            merge_every,
            only,
        )
        return
    from ossmetrics.collect.corpus import default_corpus_dir, load_corpus

    folder = path or default_corpus_dir()
    t0 = time.perf_counter()
    con = open_store()
    try:
        n = load_corpus(con, folder, only)
        commits = con.execute("SELECT count(*) FROM commits").fetchone()
    finally:
        con.close()
    console.print(
        f"loaded {n:,} corpus {'repository' if n == 1 else 'repositories'} from {folder} "
        f"({commits[0] if commits else 0:,} commits in the store, {time.perf_counter() - t0:.1f} s)"
    )


def _build(
    manifest: Path,
    out: Path,
    mirror_dir: Path | None,
    offline: bool,
    only_local: bool,
    limit: int | None,
    no_export: bool,
    allow_reserved: bool,
    write_commits: bool = False,
    merge_every: int = 0,
    only: list[str] | None = None,
) -> None:
    import time

    from ossmetrics.collect.corpus_build import build_corpus

    t0 = time.perf_counter()
    res = build_corpus(
        manifest,
        out,
        mirror_dir=mirror_dir,
        network=not offline,
        only_local=only_local,
        allow_reserved=allow_reserved,
        limit=limit,
        export=not no_export,
        write_commits=write_commits,
        merge_every=merge_every,
        only=only,
        log=lambda m: console.print(m, markup=False, highlight=False),
    )
    for name, reason in res.skipped:
        console.print(f"skipped {name}: {reason}", markup=False, highlight=False)
    rows = ", ".join(f"{v:,} {k}" for k, v in res.rows.items())
    console.print(
        f"built {len(res.built):,} repositories, skipped {len(res.skipped):,} "
        f"(listed in {out / 'skipped.csv'}); {rows or 'no export'} in {out} "
        f"({time.perf_counter() - t0:.1f} s)",
        markup=False,
        highlight=False,
    )

"""Commands: collect git."""

from __future__ import annotations

from pathlib import Path

import typer

from ossmetrics.cli._app import collect_app, console, open_store, state

__all__ = ["collect_git_command"]


def bot_setting() -> tuple[str, ...]:
    """The ``bots`` setting under the usual precedence (environment, then ossmetrics.toml)."""
    return tuple(state().settings().bots)


@collect_app.command("git")
def collect_git_command(
    path: Path = typer.Argument(..., help="A clone, a bare repository or a .git folder."),
    repo: str | None = typer.Option(
        None,
        "--repo",
        help="Store it as OWNER/REPO (default: from the github.com origin URL, else local/FOLDER).",
    ),
    all_refs: bool = typer.Option(
        False, "--all-refs", help="Every branch and tag, not only HEAD (never refs/pull/*)."
    ),
    jobs: str | None = typer.Option(
        None,
        "--jobs",
        help="git log processes sharing the history: auto (one per CPU, at most 4) or a number.",
    ),
) -> None:
    """Collect a git history (commits, files, identities) into the store, incrementally."""
    from ossmetrics.collect.git import collect_git, git_jobs, open_repository

    n_jobs = git_jobs(state().setting("git_jobs", jobs))
    open_repository(path)  # a bad path fails before the store is touched
    con = open_store()
    try:
        r = collect_git(
            con,
            path,
            repo,
            all_refs=all_refs,
            progress=console.is_terminal,
            extra_bots=bot_setting(),
            jobs=n_jobs,
        )
    finally:
        con.close()
    if r.unchanged:
        console.print(
            f"{r.repo}: unchanged, {r.commits_total:,} commits stored ({r.seconds:.2f} s)"
        )
        return
    console.print(
        f"{r.repo}: {r.commits_added:,} commits added, {r.commits_removed:,} removed, "
        f"{r.files_added:,} file changes, {r.people:,} people, "
        f"{r.commits_total:,} commits stored ({r.seconds:.1f} s)"
    )

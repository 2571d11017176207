"""Commands: nightly, track add|list|remove."""

from __future__ import annotations

from pathlib import Path

import typer

from ossmetrics import config
from ossmetrics.cli._app import app, console, err_console, out_option, state, track_app
from ossmetrics.privacy import scrub_text
from ossmetrics.tracking import TrackedRepo, add_tracked, load_tracked, remove_tracked

__all__: list[str] = []


def _store_and_config(config_file: Path | None) -> tuple[Path, Path]:
    """The config (``nightly --config`` wins over the global one) and the store it implies.

    A ``db`` in the nightly config's ``[settings]`` applies unless ``--db`` or
    ``$OSSMETRICS_DB`` chose the store already.
    """
    st = state()
    if config_file is None:
        return st.db, st.config
    default_db = Path(config.resolve("db", None, config.load_toml(st.config)))
    db = st.db
    if db == default_db:  # not chosen by --db: let the nightly config's [settings] decide
        db = Path(config.resolve("db", None, config.load_toml(config_file)))
    return db, config_file


@app.command("nightly")
def nightly(
    config_file: Path | None = typer.Option(
        None,
        "--config",
        help="Tracked repositories and settings (overrides the global --config).",
        show_default=False,
    ),
    jobs: int = typer.Option(
        1, "--jobs", "-j", min=1, help="Clone/fetch this many repositories at once."
    ),
    out: Path | None = out_option(),
    skip: list[str] | None = typer.Option(
        None,
        "--skip",
        metavar="STAGE",
        help="Leave out a stage this time (repeatable): git, github, identities, graphs, "
        "snapshots, risk, report.",
    ),
    publish: bool = typer.Option(
        False,
        "--publish",
        help="Publish-safe report: salted pseudonyms ($OSSMETRICS_PSEUDONYM_SALT) for everyone "
        "not in allow_names (default: setting `publish`).",
    ),
) -> None:
    """Collect every tracked repository, then graphs, metric snapshots, risk scores, reports.

    Exit status: 0 all ok, 1 some repository or stage failed, 75 only GitHub rate limits
    stopped some collection (the next run resumes).
    """
    from ossmetrics.nightly import run_nightly, summary_table

    db, cfg = _store_and_config(config_file)
    result = run_nightly(db, cfg, jobs=jobs, out_dir=out, skip=skip or (), publish=publish or None)
    for w in result.warnings:
        err_console.print(f"Warning: {scrub_text(w)}", markup=False)
    console.print(summary_table(result))
    if result.report is not None:
        console.print(f"report: {result.report}", markup=False)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@track_app.command("add")
def track_add(
    name: str | None = typer.Argument(
        None, metavar="OWNER/REPO", help="GitHub repository (optional when --git is given)."
    ),
    git: str | None = typer.Option(
        None, "--git", metavar="PATH_OR_URL", help="Local clone/bare repository, or a clone URL."
    ),
    stars: bool = typer.Option(False, "--stars", help="Also collect stargazers."),
    no_github: bool = typer.Option(
        False, "--no-github", help="Do not collect from the GitHub API (git only)."
    ),
    bot: list[str] | None = typer.Option(
        None, "--bot", metavar="NAME", help="Extra bot name or email (repeatable)."
    ),
    exclude: list[str] | None = typer.Option(
        None,
        "--exclude",
        metavar="GLOB",
        help="Path pattern left out of the truck factor (repeatable).",
    ),
) -> None:
    """Track a repository (replaces its entry if it is tracked already)."""
    repo = TrackedRepo(
        name=name,
        git=git,
        stars=stars,
        github=not no_github,
        bots=tuple(bot or ()),
        exclude=tuple(exclude or ()),
    )
    replaced = add_tracked(state().config, repo)
    what = "updated" if replaced else "tracking"
    console.print(f"{what} {repo.name or repo.git} in {state().config}", markup=False)


@track_app.command("list")
def track_list() -> None:
    """Show the tracked repositories and their options, one per line."""
    entries = load_tracked(state().config)
    if not entries:
        console.print(
            f"no repositories tracked in {state().config} — add one with `ossmetrics track add OWNER/REPO`",
            markup=False,
        )
        return
    for e in entries:
        parts = [e.name or "(no GitHub name)"]
        if e.git:
            parts.append(f"git={e.git}")
        parts.append("github=" + ("yes" if e.collects_github else "no"))
        if e.stars:
            parts.append("stars=yes")
        if e.bots:
            parts.append("bots=" + ",".join(e.bots))
        if e.exclude:
            parts.append("exclude=" + ",".join(e.exclude))
        console.print("  ".join(parts), markup=False)


@track_app.command("remove")
def track_remove(
    name: str = typer.Argument(
        ..., metavar="OWNER/REPO", help="Tracked name (or its --git source)."
    ),
) -> None:
    """Stop tracking a repository (its collected data stays in the store)."""
    removed = remove_tracked(state().config, name)
    console.print(f"removed {removed.label} from {state().config}", markup=False)

"""Commands: ``graph`` (compute and store contributor graphs and measures), ``graph export``.

Thin wrappers over :mod:`ossmetrics.graph`: parse the options, call one library function,
print the result. A bad date, kind or format is a UsageError (exit 2); an unknown repository
too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import typer

from ossmetrics.cli._app import app, console, err_console, open_store, state
from ossmetrics.errors import BadParameter

__all__ = ["graph_app", "graph_command", "graph_export_command", "parse_at"]

graph_app = typer.Typer(
    help="Contributor graphs: truck factor, core and periphery, brokers, communities.",
    invoke_without_command=True,
)
app.add_typer(graph_app, name="graph")

KINDS = ("collaboration", "authorship", "portfolio")
FORMATS = ("graphml", "gexf", "json")


def parse_at(value: str | None, option: str = "--at") -> date | datetime | None:
    """``YYYY-MM-DD`` (the whole day, UTC) or an ISO date-time (naive = UTC); a bad value is
    a one-line error naming ``option``."""
    if value is None:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(
            f"{option} '{value}' is not a date", "give YYYY-MM-DD or an ISO date-time"
        ) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _risk_snapshots(con: duckdb.DuckDBPyConnection, ids: list[int] | None) -> None:
    """The risk model's snapshot dates (``risk.dataset.snapshot_dates``), stored by the graph
    stage (``graph.series.store_truck_factors``): the CLI, above both stages, joins them."""
    import time

    from ossmetrics.graph.series import store_truck_factors
    from ossmetrics.risk.dataset import snapshot_dates

    t0 = time.perf_counter()
    wanted = {r: ds for r, ds in snapshot_dates(con).items() if ids is None or r in ids}
    rows = store_truck_factors(con, wanted)
    n_dates = sum(len(ds) for ds in wanted.values())
    console.print(
        f"truck factors at {n_dates:,} risk snapshot dates of {len(wanted):,} repositories "
        f"stored ({rows:,} rows, {time.perf_counter() - t0:.1f} s)",
        markup=False,
    )


def exclude_patterns(exclude: list[str] | None, no_defaults: bool) -> list[str] | None:
    from ossmetrics.graph import DEFAULT_EXCLUDE

    extra = list(exclude or [])
    if no_defaults:
        return extra
    return [*DEFAULT_EXCLUDE, *extra] if extra else None


@graph_app.callback()
def graph_command(
    ctx: typer.Context,
    repo: list[str] | None = typer.Option(
        None, "--repo", "-r", help="OWNER/REPO to compute (repeatable; default: every repository)."
    ),
    at: str | None = typer.Option(
        None, "--at", help="Cut date YYYY-MM-DD (that whole day, UTC); default: all history."
    ),
    window_days: int = typer.Option(
        90, "--window-days", min=1, help="Co-edit window: same file changed within N days."
    ),
    exclude: list[str] | None = typer.Option(
        None,
        "--exclude",
        help="Extra glob of files the truck factor and co-edits ignore (repeatable).",
    ),
    no_default_excludes: bool = typer.Option(
        False, "--no-default-excludes", help="Count docs, vendored and generated files too."
    ),
    seed: int = typer.Option(42, "--seed", help="Seed of Louvain and sampled betweenness."),
    risk_snapshots: bool = typer.Option(
        False,
        "--risk-snapshots",
        help="Instead: store the truck factor at every snapshot date the risk model trains on.",
    ),
) -> None:
    """Compute contributor graphs and measures for repositories and store them."""
    if ctx.invoked_subcommand is not None:
        return
    from ossmetrics.store import get_repo_id

    as_of = parse_at(at)  # bad input fails before the heavy imports
    con = open_store()
    try:
        ids = [get_repo_id(con, r) for r in repo] if repo else None
        if risk_snapshots:
            _risk_snapshots(con, ids)
            return
        from ossmetrics.pipeline.steps import compute_graph_step

        results = compute_graph_step(
            state().context(con),
            ids,
            as_of=as_of,
            progress=err_console.is_terminal,
            exclude=exclude_patterns(exclude, no_default_excludes),
            window_days=window_days,
            seed=seed,
        )
    finally:
        con.close()
    if not results:
        console.print(
            "no repositories in the store — collect one first, e.g. `ossmetrics collect git PATH`"
        )
        return
    for r in results:
        tf = r.truck
        key = ", ".join(str(p) for p in tf.key_people[:8]) + (
            " …" if len(tf.key_people) > 8 else ""
        )
        tf_text = "undefined" if tf.truck_factor is None else str(tf.truck_factor)
        bf_text = (
            "undefined" if tf.bus_factor_all_history is None else str(tf.bus_factor_all_history)
        )
        console.print(
            f"{r.repo} as of {r.as_of.isoformat()}: truck factor (Avelino) {tf_text}"
            + (f" [key people {key}]" if key else "")
            + f" over {tf.n_files:,} files; bus factor (CHAOSS, all history) {bf_text}; "
            f"{r.people:,} people, core {r.core_size}, {r.communities} communities, "
            f"key-people cross-load {r.key_people_cross_load} ({r.seconds:.1f} s)",
            markup=False,
        )
    console.print(
        "truck factor: fewest people whose loss leaves > 50% of files without an author "
        "(undefined: no human commits or no counted files); bus factor: fewest people with "
        ">= 50% of commits. Stored in graph_repo_measures / graph_person_measures.",
        markup=False,
    )


@graph_app.command("export")
def graph_export_command(
    output: Path = typer.Option(..., "--output", "-o", help="File to write."),
    repo: str | None = typer.Option(
        None, "--repo", "-r", help="OWNER/REPO (not needed for --kind portfolio)."
    ),
    fmt: str = typer.Option("graphml", "--format", "-f", help="graphml, gexf or json."),
    kind: str = typer.Option(
        "collaboration", "--kind", "-k", help="collaboration, authorship or portfolio."
    ),
    at: str | None = typer.Option(None, "--at", help="Cut date YYYY-MM-DD; default: all history."),
    window_days: int = typer.Option(90, "--window-days", min=1, help="Co-edit window in days."),
    publish: bool = typer.Option(
        False,
        "--publish",
        help="Label people by salted pseudonyms ($OSSMETRICS_PSEUDONYM_SALT) unless listed in "
        "allow_names (default: setting `publish`). Emails are never written.",
    ),
) -> None:
    """Write one contributor graph as GraphML/GEXF (Gephi, yEd, Cytoscape) or node-link JSON."""
    from ossmetrics.cli.report import privacy_options
    from ossmetrics.privacy import PeopleView
    from ossmetrics.store import get_repo_id

    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise BadParameter(f"unknown format '{fmt}'", f"use one of: {', '.join(FORMATS)}")
    if kind not in KINDS:
        raise BadParameter(f"unknown graph kind '{kind}'", f"use one of: {', '.join(KINDS)}")
    if kind != "portfolio" and not repo:
        raise BadParameter(f"the {kind} graph belongs to one repository", "give --repo OWNER/REPO")
    as_of = parse_at(at)
    privacy = privacy_options(publish)
    con = open_store(read_only=True)
    try:
        people = PeopleView(con, privacy)
        for w in people.warnings:
            err_console.print(f"Warning: {w}", markup=False)
        rid = get_repo_id(con, repo) if repo and kind != "portfolio" else None
        from ossmetrics.graph import ContributorGraph

        options = {"window_days": window_days} if kind == "collaboration" else {}
        g = ContributorGraph.build(con, kind, rid, as_of, **options)
    finally:
        con.close()
    path = g.export(output, fmt, people)
    console.print(
        f"wrote {path} ({fmt}, {kind}: {g.graph.number_of_nodes():,} nodes, {g.n_edges:,} edges)",
        markup=False,
    )

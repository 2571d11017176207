"""Commands: fund ingest|link|links|enrich|importance|select|plan (the funder's path)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import typer

from ossmetrics.cli._app import console, err_console, fund_app, open_store, state
from ossmetrics.cli.report import privacy_options, publish_option
from ossmetrics.errors import BadParameter

__all__ = ["fund_enrich", "fund_importance", "fund_ingest", "fund_link", "fund_plan", "fund_select"]

INCLUDE_DEV = typer.Option(
    False, "--include-dev", help="Count dev and test dependencies in the exposure lens too."
)


def _importance(con: object, include_dev: bool) -> None:
    from ossmetrics.fund.importance import compute_importance

    compute_importance(con, include_dev=include_dev)  # type: ignore[arg-type]


@fund_app.command("ingest")
def fund_ingest(
    paths: list[Path] = typer.Argument(..., help="SBOM files, purl lists or folders of them."),
    repo: str | None = typer.Option(
        None, "--repo", help="The organisation repository these files describe (OWNER/REPO)."
    ),
    include_dev: bool = INCLUDE_DEV,
) -> None:
    """Read CycloneDX JSON (1.4-1.6), SPDX 2.3 JSON, GitHub's dependency-graph export and purl lists."""
    from ossmetrics.fund.ingest import ingest
    from ossmetrics.fund.links import unresolved

    con = open_store()
    try:
        res = ingest(con, paths, org_repo=repo)
        _importance(con, include_dev)
        missing = len(unresolved(con))
    finally:
        con.close()
    console.print(
        f"ingested {res.documents} document(s) ({res.flat} without depth), {res.components} "
        f"components, {res.edges} edges, for {len(res.repos)} organisation repositories"
        + (f"; {res.replaced} earlier version(s) replaced" if res.replaced else "")
        + (
            f"; {res.skipped_components} components without a package URL skipped"
            if res.skipped_components
            else ""
        ),
        markup=False,
    )
    if missing:
        err_console.print(
            f"{missing} package(s) have no known repository yet: `ossmetrics fund enrich` looks "
            "them up; `ossmetrics fund links --unresolved` lists them",
            markup=False,
        )


@fund_app.command("link")
def fund_link(
    purl: str = typer.Argument(..., help="Package URL, e.g. pkg:npm/moment."),
    repo: str = typer.Argument(..., metavar="OWNER/REPO", help="Its source repository on GitHub."),
) -> None:
    """Pin (or correct) a package's source repository; the pin survives re-ingest."""
    from ossmetrics.fund.links import pin_link

    con = open_store()
    try:
        package, name = pin_link(con, purl, repo)
        _importance(con, False)
    finally:
        con.close()
    console.print(f"{package} -> {name} (pinned)", markup=False)


@fund_app.command("links")
def fund_links(
    unresolved_only: bool = typer.Option(
        False, "--unresolved", help="Only packages whose repository is unknown."
    ),
) -> None:
    """The repository read for each package (confidence, provenance), then the unresolved ones."""
    from ossmetrics.fund.links import best_links, unresolved

    con = open_store(read_only=True)
    try:
        best = best_links(con)
        missing = unresolved(con)
    finally:
        con.close()
    if not unresolved_only:
        for r in best.itertuples():
            typer.echo(f"{r.package}\t{r.repo}\t{r.confidence:.2f}\t{r.provenance}")
    for r in missing.itertuples():
        typer.echo(f"{r.package}\tunresolved\tused by {r.org_repos} repositories")
    err_console.print(
        f"{len(best)} linked, {len(missing)} unresolved "
        "(pin one with `ossmetrics fund link PURL OWNER/REPO`)",
        markup=False,
    )


@fund_app.command("enrich")
def fund_enrich(
    offline: bool = typer.Option(False, "--offline", help="Use only the cache; no network."),
    max_age: float = typer.Option(
        30.0, "--max-age", help="Days a cached answer stays fresh before it is fetched again."
    ),
    dependents: str = typer.Option(
        "portfolio",
        "--dependents",
        help="Whose deps.dev dependents to fetch (1-2 requests each): portfolio (packages of repositories in the store), all, none.",
    ),
    use_registries: bool = typer.Option(
        True,
        "--registries/--no-registries",
        help="Ask PyPI, npm, crates.io and RubyGems for the repositories of packages still without a good link.",
    ),
    depth: bool = typer.Option(
        True,
        "--depth/--no-depth",
        help="Fetch deps.dev dependency graphs for the direct packages of flat SBOMs.",
    ),
    include_dev: bool = INCLUDE_DEV,
) -> None:
    """Usage signals from deps.dev and ecosyste.ms (batched, cached with source and date),
    registry links for unresolved packages, and deps.dev graphs giving flat SBOMs depth."""
    from ossmetrics.fund.depth import describe_depth
    from ossmetrics.fund.enrich import enrich

    if dependents not in ("portfolio", "all", "none"):
        raise BadParameter(f"unknown --dependents {dependents!r}", "use portfolio, all or none")
    s = state()
    con = open_store()
    try:
        res = enrich(
            con,
            depsdev_url=s.setting("depsdev_url"),
            ecosystems_url=s.setting("ecosystems_url"),
            registry_urls={
                "pypi": s.setting("pypi_url"),
                "npm": s.setting("npm_url"),
                "crates": s.setting("crates_url"),
                "rubygems": s.setting("rubygems_url"),
            }
            if use_registries
            else None,
            mailto=s.setting("mailto") or None,
            offline=offline,
            max_age_days=max_age,
            dependents=dependents,
            graphs=depth,
        )
        _importance(con, include_dev)
        depth_line = describe_depth(con)
    finally:
        con.close()
    for line in res.warnings:
        err_console.print(f"warning: {line}", markup=False)
    reqs = ", ".join(f"{k} {v}" for k, v in res.requests.items()) or "none (offline)"
    unknown = ", ".join(f"{k} {v}" for k, v in res.unknown.items()) or "none"
    console.print(
        f"{res.packages} packages; requests: {reqs}; {res.signals} signals; unknown to: {unknown}",
        markup=False,
    )
    if depth_line:
        console.print(depth_line, markup=False)


@fund_app.command("importance")
def fund_importance(include_dev: bool = INCLUDE_DEV) -> None:
    """Recompute both importance lenses (reach, exposure) from the store and print them."""
    con = open_store()
    try:
        _importance(con, include_dev)
        rows = con.execute(
            "PIVOT (SELECT repo, lens, value FROM fund_importance) ON lens USING first(value) ORDER BY repo"
        ).fetchall()
        cols = [d[0] for d in con.description or []]
    finally:
        con.close()
    typer.echo("\t".join(cols))
    for r in rows:
        typer.echo(
            "\t".join(
                "" if v is None else (f"{v:.1f}" if isinstance(v, float) else str(v)) for v in r
            )
        )


@fund_app.command("select")
def fund_select(
    top: int = typer.Option(10, "--top", min=1, help="How many candidates to track."),
    lens: str = typer.Option("exposure", "--lens", help="Rank by exposure or reach."),
) -> None:
    """Track the most important candidates not tracked yet (then collect/nightly runs as usual)."""
    from ossmetrics.tracking import TrackedRepo, add_tracked, load_tracked

    if lens not in ("exposure", "reach"):
        raise BadParameter(f"unknown --lens {lens!r}", "use exposure or reach")
    con = open_store(read_only=True)
    try:
        ranked = con.execute(
            "SELECT repo, value FROM fund_importance WHERE lens = ? AND value IS NOT NULL "
            "ORDER BY value DESC, repo",
            [lens],
        ).fetchall()
    finally:
        con.close()
    tracked = {(e.name or "").lower() for e in load_tracked(state().config)}
    chosen = [(r, v) for r, v in ranked if r.lower() not in tracked][:top]
    for r, v in chosen:
        add_tracked(state().config, TrackedRepo(name=r))
        console.print(f"tracking {r} ({lens} {v:.1f})", markup=False)
    if not chosen:
        console.print("no new candidate to track", markup=False)


@fund_app.command("plan")
def fund_plan(
    budget: str = typer.Option(..., "--budget", help="The amount to split (e.g. 100000)."),
    floor: str = typer.Option(
        "50", "--floor", help="Smallest grant; projects below it are dropped."
    ),
    cap: float = typer.Option(0.10, "--cap", help="Largest share of the budget one project gets."),
    by: str = typer.Option("exposure", "--by", help="Importance lens: exposure or reach."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the plan to this file."),
    sponsors: Path | None = typer.Option(
        None, "--sponsors-csv", help="Also write a GitHub Sponsors bulk CSV (known sponsor links)."
    ),
    publish: bool = publish_option(),
) -> None:
    """Rank by P(dormant) x importance and split the budget (floor, cap; sums exactly).

    Key people are named (never emailed) by default; --publish gives pseudonyms to everyone not
    in allow_names, for a plan shared beyond the team.
    """
    from ossmetrics.fund.depth import describe_depth
    from ossmetrics.fund.plan import build_plan, save_plan, sponsors_rows, to_cents
    from ossmetrics.privacy import PeopleView
    from ossmetrics.report.funding import key_people_names

    if fmt not in ("table", "csv", "json"):
        raise BadParameter(f"unknown --format {fmt!r}", "use table, csv or json")
    budget_cents = to_cents(budget)
    floor_cents = 0 if str(floor).strip() in ("0", "0.0") else to_cents(floor)
    privacy = privacy_options(publish)
    con = open_store()
    try:
        plan = build_plan(
            con, budget_cents, lens=by, floor_cents=floor_cents, cap=cap,
            key_people=key_people_names(con, PeopleView(con, privacy)),
        )  # fmt: skip
        save_plan(con, plan, floor_cents=floor_cents, cap=cap)  # the report's plan page
        depth_line = describe_depth(con) if by == "exposure" else ""
    finally:
        con.close()
    rows = plan.rows.drop(columns=["amount_cents"])
    if fmt == "json":
        text = json.dumps(json.loads(rows.to_json(orient="records")), indent=2) + "\n"
    elif fmt == "csv":
        buf = io.StringIO()
        rows.assign(amount=rows["amount"].map("{:.2f}".format)).to_csv(
            buf, index=False, float_format="%.6g"
        )
        text = buf.getvalue()
    else:
        text = "\n".join(
            f"{r.repo:<32} priority {r.priority:.4f}  {r.amount:>12,.2f}  {r.why_critical}"
            for r in rows.itertuples()
        )
        text += f"\n{'total':<32} {'':17}{rows['amount'].sum():>12,.2f}\n"
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(str(output), markup=False)
    else:
        typer.echo(text, nl=False)
    for why in plan.left_out:
        err_console.print(f"left out: {why}", markup=False)
    if depth_line:
        err_console.print(depth_line, markup=False)
    if sponsors:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["Maintainer username", "Sponsorship amount in USD"])
        w.writerows(sponsors_rows(plan))
        sponsors.write_text(buf.getvalue(), encoding="utf-8")

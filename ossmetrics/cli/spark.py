"""``ossmetrics spark collect|backfill|metrics|graph``: the Spark jobs over a lake.

Thin commands: each parses options, starts (or joins, under spark-submit) a SparkSession and
calls one job in ``ossmetrics.spark``. ``--master local[N]`` runs on this machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ossmetrics.cli._app import app, console, err_console, state

__all__ = ["spark_app"]

spark_app = typer.Typer(
    help="Spark jobs over a Parquet lake (collect, GH Archive backfill, metrics, graph).",
    no_args_is_help=True,
)
app.add_typer(spark_app, name="spark")

_LAKE = typer.Option(
    ...,
    "--lake",
    help="Folder of the lake (ossmetrics export --lake); metrics and graph also take an "
    "s3://BUCKET/PREFIX (needs hadoop-aws in Spark: docs/scale.md).",
)
_MASTER = typer.Option(
    None, "--master", help="Spark master, e.g. local[4] or spark://host:7077 (default: local[*])."
)


def _session(master: str | None) -> Any:
    from ossmetrics.spark import get_spark

    s = get_spark(master, shuffle_partitions=state().setting("spark_partitions"))
    s.sparkContext.setLogLevel("ERROR")
    return s


def _lake_session(master: str | None, lake: str, *, job: str | None = None) -> Any:
    """The session, after checking that Spark can read ``lake`` (one line naming the jar to
    add when an object-store lake needs one). ``job``: a job that writes staging files beside
    the lake (collect, backfill), which therefore needs a folder -- refused before Spark
    starts, since no jar would help."""
    if "://" in lake and job is not None:
        from ossmetrics.errors import LakeError

        raise LakeError(
            f"`spark {job}` writes its staging files beside the lake and needs a folder, "
            f"not {lake}",
            "run it on a shared file system mounted on every executor (docs/scale.md), "
            "then publish with `ossmetrics export --lake s3://...`",
        )
    s = _session(master)
    if "://" in lake:
        from ossmetrics.spark.session import check_object_store

        check_object_store(s, lake)
    return s


def _where(lake: str) -> str | Path:
    return lake if "://" in lake else Path(lake)


@spark_app.command("backfill")
def backfill_cmd(
    files: list[str] = typer.Argument(..., help="GH Archive hour files (.json.gz paths or URLs)."),
    lake: str = _LAKE,
    master: str | None = _MASTER,
    all_repos: bool = typer.Option(
        False, "--all", help="Keep every repository's events (default: the lake's repositories)."
    ),
    force: bool = typer.Option(False, "--force", help="Re-read hours already read completely."),
) -> None:
    """GH Archive hour files into the lake's GitHub tables, one Spark task per file."""
    from ossmetrics.spark.backfill import backfill

    r = backfill(
        _lake_session(master, lake, job="backfill"),
        Path(lake),
        files,
        all_repos=all_repos,
        force=force,
    )
    for hour, why in r.incomplete:
        err_console.print(
            f"Warning: hour {hour} incomplete ({why}) — kept its good lines; "
            "the next run retries it",
            markup=False,
        )
    rate = r.events / r.parse_seconds if r.parse_seconds else 0.0
    console.print(
        f"{r.hours_read} hour(s) read, {r.hours_skipped} already complete; {r.events:,} events, "
        f"{r.kept:,} kept ({rate:,.0f} events/s); rows now {r.rows}",
        markup=False,
    )


@spark_app.command("collect")
def collect_cmd(
    repos: list[str] = typer.Argument(..., help="OWNER/NAME=PATH of each local clone."),
    lake: str = _LAKE,
    master: str | None = _MASTER,
) -> None:
    """Collect git histories, repositories fanned out over Spark tasks, into the lake."""
    from ossmetrics.errors import BadParameter
    from ossmetrics.spark.collect import collect_repos

    items = []
    for spec in repos:
        name, sep, path = spec.partition("=")
        if not sep or "/" not in name:
            raise BadParameter(f"'{spec}' is not OWNER/NAME=PATH", "e.g. pallets/flask=../flask")
        items.append((name, path))
    r = collect_repos(_lake_session(master, lake, job="collect"), Path(lake), items)
    for name, why in r.failed.items():
        err_console.print(
            f"Warning: {name} failed ({why}) — recorded; rerun to retry", markup=False
        )
    console.print(
        f"{len(r.ok)} collected ({r.commits_added:,} new commits), {len(r.unchanged)} unchanged, "
        f"{len(r.failed)} failed ({r.seconds:.1f} s)",
        markup=False,
    )


@spark_app.command("metrics")
def metrics_cmd(
    lake: str = _LAKE,
    master: str | None = _MASTER,
    metric: list[str] = typer.Option(None, "--metric", help="Only these metrics (repeatable)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Cut date for as_of metrics."),
) -> None:
    """Every metric as Spark SQL over the lake; results to DIR/metric_results/."""
    from ossmetrics.spark.jobs import spark_metrics

    out = spark_metrics(
        _lake_session(master, lake), _where(lake), names=metric or None, as_of=as_of
    )
    console.print(
        f"{len(out)} metrics, {sum(out.values()):,} rows written to {lake}/metric_results",
        markup=False,
    )


@spark_app.command("graph")
def graph_cmd(
    lake: str = _LAKE,
    master: str | None = _MASTER,
    as_of: str | None = typer.Option(
        None, "--as-of", help="Cut date YYYY-MM-DD (that whole day, UTC); default: all history."
    ),
    window_days: int = typer.Option(
        90, "--window-days", min=1, help="Co-edit window: same file changed within N days."
    ),
    exclude: list[str] | None = typer.Option(
        None, "--exclude", help="Extra glob of files the truck factor and co-edits ignore."
    ),
    no_default_excludes: bool = typer.Option(
        False, "--no-default-excludes", help="Count docs, vendored and generated files too."
    ),
    seed: int = typer.Option(42, "--seed", help="Seed of Louvain and sampled betweenness."),
) -> None:
    """Every graph measure per repository (as `ossmetrics graph`) as grouped pandas tasks."""
    from ossmetrics.cli.graph import exclude_patterns, parse_at
    from ossmetrics.spark.graph_job import spark_graph

    cut = parse_at(as_of, "--as-of")  # bad input fails before Spark starts
    out = spark_graph(
        _lake_session(master, lake),
        _where(lake),
        as_of=cut,
        exclude=exclude_patterns(exclude, no_default_excludes),
        window_days=window_days,
        seed=seed,
    )
    console.print(
        f"{len(out)} repositories measured; graph_repo_measures and graph_person_measures updated",
        markup=False,
    )

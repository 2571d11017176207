"""The steps of ``PIPELINE``, in order; each calls one stage's library API directly.

``identities`` (re-merge with the configured bot names) → ``metrics`` (install the SQL macros)
→ ``graphs`` (contributor graphs, truck factor; per repository) → ``snapshots`` (one
``metric_snapshots`` row per numeric ``health_summary`` cell) → ``risk`` (scores, then the
what-if of the riskiest projects) → ``report`` (the site, from the store only).

The graph, risk and report stages are imported inside the functions that call them (static
imports all the same: grep, mypy and tests/test_imports.py see them), so a night on which
nothing changed does not spend seconds loading NetworkX, PyTorch and Altair to skip them.

To add a stage: write ``def run_x(ctx: Context, todo: list[str]) -> int`` (and a digest of
what it reads, if a no-change night may skip it) and add one ``Step`` line to ``STEPS``.
``NIGHTLY`` and ``DEMO`` are this pipeline less the steps each leaves out.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from ossmetrics.collect.identities import merge_identities
from ossmetrics.metrics import install, run_metric
from ossmetrics.pipeline import fingerprint as fp
from ossmetrics.pipeline.core import Context, Pipeline, Step
from ossmetrics.store import transaction

if TYPE_CHECKING:
    from ossmetrics.graph import GraphSummary

__all__ = [
    "DEMO",
    "NIGHTLY",
    "PIPELINE",
    "STEPS",
    "build_report",
    "compute_graph_step",
    "score_risk",
]


# -- identities --------------------------------------------------------------------------------
def _identities_digest(ctx: Context) -> dict[str, str]:
    return {"portfolio": fp.portfolio_digest({}, fp.identity_digest(ctx.con), list(ctx.bots))}


def run_identities(ctx: Context, todo: list[str]) -> int:
    return merge_identities(ctx.con, extra_bots=ctx.bots)


def _no_bots(ctx: Context) -> str | None:
    return None if ctx.bots else "no extra bot names configured"


# -- metrics -----------------------------------------------------------------------------------
def run_metrics(ctx: Context, todo: list[str]) -> int:
    return install(ctx.con).installed


# -- graphs ------------------------------------------------------------------------------------
def _graphs_digest(ctx: Context) -> dict[str, str]:
    return {f"repo:{rid}": d for rid, d in ctx.repo_digests().items()}


def compute_graph_step(
    ctx: Context,
    repo_ids: list[int] | None,
    *,
    as_of: date | datetime | None = None,
    exclude: list[str] | None = None,
    window_days: int | None = None,
    seed: int = 42,
    progress: bool = False,
) -> list[GraphSummary]:
    """Graphs of ``repo_ids`` (all if None) — the step, and ``ossmetrics graph``.

    ``exclude`` applies to every repository; without it, a repository's configured exclusions
    (``ctx.exclude``, from its tracked entry) extend the defaults. ``window_days``: the
    co-edit window (default: the graph stage's).
    """
    from ossmetrics.graph import DEFAULT_EXCLUDE, compute_graphs

    options: dict[str, Any] = {} if window_days is None else {"window_days": window_days}
    per_repo = {
        rid: [*DEFAULT_EXCLUDE, *p]
        for rid, p in ctx.exclude.items()
        if repo_ids is None or rid in repo_ids
    }
    return compute_graphs(
        ctx.con,
        repo_ids,
        as_of,
        progress,
        exclude=exclude if exclude is not None else (per_repo or None),
        seed=seed,
        **options,
    )


def run_graphs(ctx: Context, todo: list[str]) -> int:
    ids = sorted(int(s.split(":", 1)[1]) for s in todo)
    compute_graph_step(ctx, ids)
    return len(ids)


# -- snapshots ---------------------------------------------------------------------------------
def run_snapshots(ctx: Context, todo: list[str]) -> int:
    """One ``metric_snapshots`` row per numeric ``health_summary`` column per repository.

    Written in one transaction (all repositories or none), after deleting any rows of this
    run, so the step is idempotent within a run.
    """
    run_id = ctx.run_id
    df = run_metric(ctx.con, "health_summary")
    df = df[df["repo_id"].isin(ctx.repo_ids)]
    skip = {"repo_id", "owner", "name", "run_id"}
    numeric = [
        c
        for c in df.columns
        if c not in skip
        and (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))
    ]
    long = df.melt(id_vars=["repo_id"], value_vars=numeric, var_name="metric", value_name="value")
    long["value"] = pd.to_numeric(long["value"], errors="coerce").astype("float64")
    tbl = pa.table(
        {
            "run_id": pa.array([run_id] * len(long), pa.int32()),
            "repo_id": pa.array(long["repo_id"].astype("int64").tolist(), pa.int32()),
            "metric": pa.array(long["metric"].astype(str).tolist(), pa.string()),
            "value": pa.array(long["value"].tolist(), pa.float64(), from_pandas=True),
        }
    )
    with transaction(ctx.con):
        ctx.con.execute("DELETE FROM metric_snapshots WHERE run_id = ?", [run_id])
        ctx.con.execute(
            "INSERT INTO metric_snapshots (run_id, repo_id, metric, value, computed_at)"
            " SELECT run_id, repo_id, metric, value, now() FROM tbl"
        )
    del tbl
    return len(long)


# -- risk --------------------------------------------------------------------------------------
def _risk_digest(ctx: Context) -> dict[str, str]:
    whole = fp.portfolio_digest(ctx.repo_digests(), ctx.settings.device, ctx.what_if)
    return {"portfolio": whole}


def score_risk(
    ctx: Context, *, as_of: date | None = None, model_path: str | None = None
) -> pd.DataFrame:
    """Score every project on the ``device`` setting, then store the what-if of the riskiest."""
    from ossmetrics.risk.score import score_projects
    from ossmetrics.risk.what_if import store_what_if

    df = score_projects(ctx.con, as_of=as_of, device=ctx.settings.device, model_path=model_path)
    if ctx.what_if > 0 and len(df):
        df.attrs["what_if"] = store_what_if(
            ctx.con,
            as_of=df.attrs["as_of"],
            model_version=str(df["model_version"].iloc[0]),
            top=ctx.what_if,
            model_path=model_path,
        )
    return df


def run_risk(ctx: Context, todo: list[str]) -> int:
    return len(score_risk(ctx))


# -- report ------------------------------------------------------------------------------------
def _report_digest(ctx: Context) -> dict[str, str]:
    index = ctx.out_dir / "index.html"
    site = fp.portfolio_digest(
        ctx.repo_digests(),
        str(ctx.out_dir.resolve()) + ctx.privacy.site_key(),
        index.exists(),
        ctx.ok_so_far("report"),
    )
    return {"portfolio": site}


def build_report(ctx: Context, repos: list[str] | None = None) -> Path:
    """The site for ``repos`` (default: the repositories in scope; all if none are)."""
    from ossmetrics.report import build_site

    if repos is None and ctx.repo_ids:
        rows = ctx.con.execute(
            "SELECT full_name FROM repos WHERE list_contains(?, repo_id) ORDER BY full_name",
            [sorted(ctx.repo_ids)],
        ).fetchall()
        repos = [r[0] for r in rows]
    return build_site(ctx.con, ctx.out_dir, repos=repos or None, privacy=ctx.privacy)


def run_report(ctx: Context, todo: list[str]) -> int:
    ctx.index = build_report(ctx)
    return 1


# -- funding (issue 18) -----------------------------------------------------------------------
def _funding_digest(ctx: Context) -> dict[str, str]:
    """Importance reads dependency data and (for the criticality baseline) activity."""
    row = ctx.con.execute(
        """SELECT (SELECT count(*) FROM fund_components), (SELECT count(*) FROM fund_edges),
                  (SELECT count(*) FROM fund_signals), (SELECT max(as_of)::VARCHAR FROM fund_signals),
                  (SELECT count(*) FROM fund_links), (SELECT count(*) FROM fund_link_pins)"""
    ).fetchone()
    return {"portfolio": fp.portfolio_digest(ctx.repo_digests(), repr(row))}


def run_funding(ctx: Context, todo: list[str]) -> int:
    """Both importance lenses and the criticality baseline into ``fund_importance``."""
    from ossmetrics.fund.importance import compute_importance

    imp = compute_importance(ctx.con)
    return int(imp["repo"].nunique()) if len(imp) else 0


def run_demo_funding(ctx: Context, todo: list[str]) -> int:
    """The demo's fictional organisation: bundled SBOMs, cached usage signals, an example plan."""
    from ossmetrics.fund.demo import load_demo_funding

    return load_demo_funding(ctx.con)


STEPS: tuple[Step, ...] = (
    Step("identities", run_identities, _identities_digest, digest_after=True, needs_data=False, skip_when=_no_bots),
    Step("metrics", run_metrics, needs_data=False),
    Step("graphs", run_graphs, _graphs_digest, needs=("identities",)),
    Step("snapshots", run_snapshots, needs=("identities", "metrics")),
    Step("risk", run_risk, _risk_digest, needs=("identities", "graphs")),
    Step("funding", run_funding, _funding_digest, needs_data=False),
    Step("report", run_report, _report_digest, digest_after=True),
)  # fmt: skip

PIPELINE = Pipeline(STEPS)
# nightly: snapshots run the metrics from their files; the CLI installs the macros on open
NIGHTLY = PIPELINE.without("metrics")
# demo: a fresh store of the sample, so no history of snapshots to chart
DEMO = Pipeline(
    tuple(
        Step("funding", run_demo_funding, needs=("risk",), needs_data=False)
        if s.name == "funding"
        else s
        for s in STEPS
    )
).without("snapshots")

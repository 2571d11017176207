"""The demo's funder path: a fictional organisation's SBOMs and a cached usage snapshot.

``load_demo_funding(con)`` is the one hook the demo (or a pipeline step) calls: it ingests the
bundled SBOMs of *Tidewater*, a small fictional organisation (five repositories: CycloneDX 1.4,
1.5 and 1.6, and SPDX 2.3), loads the bundled ``fund_cache`` rows (deps.dev and ecosyste.ms
answers in their documented shapes, dated 2025-08-31) and derives links, signals and both
importance lenses, without network. The usage figures are an illustrative snapshot of the
right order of magnitude for these packages, written by hand (``scripts/make_demo_funding.py``),
not a measurement; run ``ossmetrics fund enrich`` for real ones.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from ossmetrics.errors import FundError
from ossmetrics.fund.enrich import derive_signals
from ossmetrics.fund.importance import compute_importance
from ossmetrics.fund.ingest import ingest
from ossmetrics.fund.plan import build_plan, save_plan
from ossmetrics.resources import package_data
from ossmetrics.store import transaction

__all__ = ["load_demo_funding"]


def load_demo_funding(con: duckdb.DuckDBPyConnection) -> int:
    """Ingest the demo SBOMs and cached signals; return the number of projects with importance."""
    root = package_data("funding")
    ingest(con, [root / "sboms"])
    rows = json.loads((root / "cache.json").read_text(encoding="utf-8"))
    df = pd.DataFrame(
        [
            (
                r["source"],
                r["key"],
                int(r["status"]),
                None if r["payload"] is None else json.dumps(r["payload"]),
                pd.Timestamp(r["fetched_at"]),
            )
            for r in rows
        ],
        columns=["source", "key", "status", "payload", "fetched_at"],
    )
    with transaction(con):
        con.register("_demo_cache", df)
        try:
            con.execute("INSERT OR REPLACE INTO fund_cache SELECT * FROM _demo_cache")
        finally:
            con.unregister("_demo_cache")
    derive_signals(con)
    imp = compute_importance(con)
    _example_plan(con)
    return int(imp.loc[imp["lens"] != "criticality", "repo"].nunique())


def _example_plan(con: duckdb.DuckDBPyConnection) -> None:
    """An example plan for the report: 100,000 with a 50 floor; the cap is 25% because the demo
    has only a handful of candidates (10% needs at least ten). Skipped before risk is scored."""
    try:
        plan = build_plan(con, 10_000_000, floor_cents=5_000, cap=0.25, key_people=None)
    except FundError:
        return
    save_plan(con, plan, floor_cents=5_000, cap=0.25)

"""The funding decision: which candidates to track, and how to split a budget.

``split_budget`` is the arithmetic (integer cents, so the amounts sum exactly to the budget):

1. each project's share is proportional to its priority;
2. cap: no project gets more than ``cap`` x budget; what a capped project would have had goes
   to the others in proportion to their priorities (repeated until no one is over the cap);
3. floor: while some project would get less than ``floor``, the one of lowest priority among
   them is dropped and the split is made again without it;
4. cents: amounts are rounded down to cents and the cents left are given one each by largest
   remainder (then higher priority), never above the cap.

A cap that cannot be met (fewer than 1/cap projects left) is an error naming both numbers.

``build_plan`` ranks projects by priority = P(dormant) x importance, importance being the
organisation's exposure share (default) or ecosystem reach / 100, both read from the store.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from ossmetrics.errors import BadParameter, FundError

__all__ = [
    "PLAN_COLUMNS",
    "Plan",
    "build_plan",
    "depth_note",
    "save_plan",
    "split_budget",
    "sponsors_rows",
    "to_cents",
]

PLAN_COLUMNS = [
    "repo", "priority", "amount", "importance", "lens", "p_dormant", "risk",
    "why_critical", "why_fragile", "key_people", "funding_links",
]  # fmt: skip


def to_cents(amount: float | str) -> int:
    try:
        value = float(amount)
    except (TypeError, ValueError):
        raise BadParameter(f"'{amount}' is not an amount", "give a number, e.g. 10000") from None
    if not math.isfinite(value) or value <= 0:
        raise BadParameter(f"amount {amount} must be positive", "give a positive number")
    return round(value * 100)


def _waterfill(prio: dict[str, float], budget: float, cap: float) -> dict[str, float]:
    capped: set[str] = set()
    while True:
        rest = {k: v for k, v in prio.items() if k not in capped}
        left = budget - cap * len(capped)
        total = sum(rest.values())
        out = {k: cap for k in capped}
        over = set()
        for k, v in rest.items():
            out[k] = left * v / total if total > 0 else 0.0
            if out[k] > cap + 1e-9:
                over.add(k)
        if not over:
            return out
        capped |= over


def split_budget(
    priorities: dict[str, float], budget_cents: int, *, floor_cents: int = 0, cap: float = 1.0
) -> dict[str, int]:
    """Split ``budget_cents`` over ``priorities`` (see the module doc); returns cents each."""
    if not 0 < cap <= 1:
        raise BadParameter(f"--cap {cap} must be in (0, 1]", "e.g. 0.10 for at most 10% each")
    prio = {k: float(v) for k, v in priorities.items() if v is not None and float(v) > 0}
    if not prio:
        raise FundError(
            "no project has a priority above zero",
            "ingest SBOMs, enrich, and score risk first (`ossmetrics score`)",
        )
    cap_cents = math.floor(cap * budget_cents)
    while True:
        if cap_cents * len(prio) < budget_cents:
            raise BadParameter(
                f"a cap of {cap:.0%} over {len(prio)} project(s) cannot place the whole budget",
                "raise --cap or lower --floor so more projects stay in the plan",
            )
        exact = _waterfill(prio, float(budget_cents), float(cap_cents))
        below = [k for k, v in exact.items() if v < floor_cents]
        if not below:
            break
        drop = min(below, key=lambda k: (prio[k], k))
        del prio[drop]
        if not prio:
            raise BadParameter("the floor drops every project", "lower --floor or raise --budget")
    cents = {k: min(cap_cents, math.floor(v + 1e-9)) for k, v in exact.items()}
    left = budget_cents - sum(cents.values())
    # float error can round a hair too high: take those cents back from the smallest remainders
    for k in sorted(exact, key=lambda k: (exact[k] - cents[k], prio[k], k)):
        if left >= 0:
            break
        cents[k] -= 1
        left += 1
    order = sorted(exact, key=lambda k: (-(exact[k] - cents[k]), -prio[k], k))
    i = 0
    while left > 0:
        k = order[i % len(order)]
        if cents[k] < cap_cents:
            cents[k] += 1
            left -= 1
        i += 1
    return cents


@dataclass
class Plan:
    lens: str
    budget_cents: int
    rows: pd.DataFrame
    left_out: list[str] = field(default_factory=list)  # why projects are not in the plan


def _lens_frame(con: duckdb.DuckDBPyConnection, lens: str) -> pd.DataFrame:
    return con.execute(
        "SELECT repo, value, detail FROM fund_importance WHERE lens = ? AND value IS NOT NULL",
        [lens],
    ).df()


def build_plan(
    con: duckdb.DuckDBPyConnection,
    budget_cents: int,
    *,
    lens: str = "exposure",
    floor_cents: int = 5000,
    cap: float = 0.10,
    key_people: Callable[[int], list[str]] | None = None,
) -> Plan:
    """Rank by P(dormant) x importance and split the budget; people's names come through
    ``key_people`` (the report's display helpers, so pseudonymisation applies)."""
    if lens not in ("exposure", "reach"):
        raise BadParameter(f"unknown lens '{lens}'", "use exposure or reach")
    imp = _lens_frame(con, lens)
    risk = con.execute(
        """
        SELECT r.full_name AS repo, r.repo_id, s.p_dormant, s.risk, s.drivers
        FROM risk_scores s JOIN repos r USING (repo_id)
        QUALIFY row_number() OVER (PARTITION BY s.repo_id ORDER BY s.as_of DESC, s.scored_at DESC) = 1
        """
    ).df()
    risk["key"] = risk["repo"].str.lower()
    imp["key"] = imp["repo"].str.lower()
    df = imp.merge(risk.drop(columns=["repo"]), on="key", how="left")
    unscored = sorted(df.loc[df["p_dormant"].isna(), "repo"])
    left_out = []
    if unscored:
        shown = ", ".join(unscored[:5]) + (
            f" and {len(unscored) - 5} more" if len(unscored) > 5 else ""
        )
        left_out.append(
            f"{len(unscored)} candidate(s) without a risk score ({shown}): "
            "`ossmetrics fund select`, then collect and score them"
        )
    df = df[df["p_dormant"].notna()].copy()
    if df.empty:
        raise FundError(
            f"no project has both an importance ({lens}) and a risk score",
            "run `ossmetrics fund select`, collect and score the selected projects, then plan again",
        )
    df["importance"] = df["value"]
    scale = 100.0
    df["priority"] = df["p_dormant"].astype(float) * df["importance"].astype(float) / scale
    cents = split_budget(
        dict(zip(df["repo"], df["priority"], strict=True)),
        budget_cents,
        floor_cents=floor_cents,
        cap=cap,
    )
    for r in df["repo"]:
        if r not in cents:
            why = (
                f"priority 0 (its {lens} is 0)"
                if not df.loc[df["repo"] == r, "priority"].iloc[0] > 0
                else "below the floor after redistribution"
            )
            left_out.append(f"{r}: {why}")
    df = df[df["repo"].isin(list(cents))].copy()
    df["amount_cents"] = df["repo"].map(cents).astype(int)
    df["amount"] = df["amount_cents"] / 100
    df["lens"] = lens
    funding = con.execute(
        f"""
        SELECT b.repo, list(DISTINCT f.url ORDER BY f.url) AS urls
        FROM fund_funding f JOIN ({_best()}) b USING (package) GROUP BY b.repo
        """
    ).df()
    links = dict(zip(funding["repo"], funding["urls"], strict=True))
    df["funding_links"] = [" ".join(links.get(k, [])) for k in df["key"]]
    df["why_critical"] = [_why_critical(lens, d) for d in df["detail"]]
    df["why_fragile"] = [_why_fragile(d) for d in df["drivers"]]
    df["key_people"] = [
        ", ".join(key_people(int(rid))) if key_people and pd.notna(rid) else ""
        for rid in df["repo_id"]
    ]
    df = df.sort_values(["priority", "repo"], ascending=[False, True]).reset_index(drop=True)
    df["priority"] = df["priority"].round(6)
    df["p_dormant"] = df["p_dormant"].astype(float).round(4)
    return Plan(lens, budget_cents, df[[*PLAN_COLUMNS, "amount_cents"]], left_out)


def _best() -> str:
    from ossmetrics.fund.links import BEST_LINKS_SQL

    return BEST_LINKS_SQL


def depth_note(detail: dict[str, Any]) -> str:
    """Which flat SBOMs got depth from deps.dev and which fell back, from an exposure detail."""
    deep, flat = detail.get("depth_from_depsdev") or [], detail.get("without_depth") or []
    parts = []
    if deep:
        parts.append(f"depth from deps.dev for {', '.join(deep)}")
    if flat:
        parts.append(f"no depth for {', '.join(flat)}, so repository counts")
    return f" ({'; '.join(parts)})" if parts else ""


def _why_critical(lens: str, detail: Any) -> str:
    d = json.loads(detail) if isinstance(detail, str) else {}
    if lens == "exposure":
        how = "trickle share" if d.get("mode") == "trickle" else "share of repositories"
        share = d.get("share")
        return (
            f"{d.get('repos_reaching', 0)} of our {d.get('org_repos', 0)} repositories depend on it "
            f"({d.get('repos_direct', 0)} directly); {how} {share:.1%}{depth_note(d)}"
            if share is not None
            else "used by our repositories"
        )
    parts = [
        f"{i['signal']} {i['value']:,.0f} ({i['source']}, {i.get('as_of')})"
        for i in d.get("inputs", [])
    ]
    return f"reach in {d.get('ecosystem')}: " + "; ".join(parts)


def _why_fragile(drivers: Any) -> str:
    if drivers is None or (isinstance(drivers, float) and pd.isna(drivers)):
        return ""
    try:
        obj = json.loads(drivers) if isinstance(drivers, str) else drivers
    except ValueError:
        return str(drivers)
    if isinstance(obj, dict):
        obj = obj.get("drivers") or [obj]
    out = []
    for item in obj if isinstance(obj, list) else [obj]:
        if isinstance(item, dict):
            out.append(
                str(
                    item.get("text")
                    or item.get("description")
                    or item.get("label")
                    or item.get("factor")
                    or ""
                )
            )
        else:
            out.append(str(item))
    return "; ".join(t for t in out if t)


def sponsors_rows(plan: Plan) -> list[tuple[str, str]]:
    """(GitHub username, amount in USD) for projects with a github.com/sponsors/ link."""
    out = []
    for links, amount in zip(plan.rows["funding_links"], plan.rows["amount"], strict=True):
        for url in str(links).split():
            if url.startswith("https://github.com/sponsors/"):
                user = url.removeprefix("https://github.com/sponsors/").strip("/").split("/")[0]
                if user:
                    out.append((user, f"{amount:.2f}"))
                    break
    return out


def save_plan(con: duckdb.DuckDBPyConnection, plan: Plan, *, floor_cents: int, cap: float) -> None:
    """Replace the stored plan by ``plan`` (one transaction), for the report's plan page."""
    from datetime import UTC, datetime

    from ossmetrics.store import transaction

    df = plan.rows.reset_index(drop=True)
    out = pd.DataFrame(
        {
            "rank": range(1, len(df) + 1),
            "repo": df["repo"],
            "priority": df["priority"].astype(float),
            "amount_cents": df["amount_cents"].astype("int64"),
            "importance": df["importance"].astype(float),
            "lens": plan.lens,
            "p_dormant": df["p_dormant"].astype(float),
            "risk": df["risk"].astype(float),
            "why_critical": df["why_critical"],
            "why_fragile": df["why_fragile"],
            "funding_links": df["funding_links"],
            "budget_cents": plan.budget_cents,
            "floor_cents": floor_cents,
            "cap": cap,
            "created_at": pd.Timestamp(datetime.now(UTC)),
        }
    )
    with transaction(con):
        con.execute("DELETE FROM fund_plan")
        con.register("_fund_plan", out)
        try:
            con.execute("INSERT INTO fund_plan SELECT * FROM _fund_plan")
        finally:
            con.unregister("_fund_plan")

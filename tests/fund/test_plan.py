"""Budget arithmetic by hand (cents, floor, cap) and the plan from a store."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, datetime

import pytest

from ossmetrics.errors import BadParameter
from ossmetrics.fund.plan import build_plan, split_budget


def test_proportional_in_cents_sums_exactly() -> None:
    got = split_budget({"a": 1, "b": 1, "c": 1}, 10_000)  # 100.00 over three
    assert got == {"a": 3334, "b": 3333, "c": 3333} and sum(got.values()) == 10_000


def test_cap_redistributes_by_hand() -> None:
    # budget 1000.00, cap 40%: a would get 700 -> 400; the 300 goes to b, c by 2:1
    got = split_budget({"a": 7, "b": 2, "c": 1}, 100_000, cap=0.4)
    assert got == {"a": 40_000, "b": 40_000, "c": 20_000}
    # b now over the cap too -> both at 400, c gets the rest
    got = split_budget({"a": 7, "b": 2.5, "c": 0.5}, 100_000, cap=0.4)
    assert got == {"a": 40_000, "b": 40_000, "c": 20_000}


def test_floor_drops_lowest_and_redistributes_by_hand() -> None:
    # 100.00, floor 20: d (5%) and c (10%) are below; drop d first, then c (10/95 = 10.53 < 20)
    got = split_budget({"a": 50, "b": 35, "c": 10, "d": 5}, 10_000, floor_cents=2000)
    assert got == {"a": 5882, "b": 4118}  # 50/85 and 35/85 of 100.00
    assert sum(got.values()) == 10_000


def test_floor_and_cap_together_and_impossible_cap() -> None:
    prio = {f"p{i}": float(20 - i) for i in range(20)}
    got = split_budget(prio, 1_000_000, floor_cents=5000, cap=0.10)
    assert sum(got.values()) == 1_000_000
    assert max(got.values()) <= 100_000 and min(got.values()) >= 5000
    with pytest.raises(BadParameter, match="cap of 10% over 3"):
        split_budget({"a": 1, "b": 1, "c": 1}, 10_000, cap=0.10)


def _store(con) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for i, (repo, p, exp) in enumerate(
        [("o/a", 0.8, 50.0), ("o/b", 0.2, 50.0), ("o/c", 0.5, None)], 1
    ):
        con.execute(
            "INSERT INTO repos (repo_id, full_name, owner, name) VALUES (?, ?, 'o', ?)",
            [i, repo, repo[2:]],
        )
        con.execute(
            "INSERT INTO risk_scores VALUES (?, DATE '2025-12-01', 'test', ?, 0.1, ?, ?, ?)",
            [i, p, p * 100, json.dumps([{"text": f"driver of {repo}"}]), now],
        )
        con.execute(
            "INSERT INTO fund_importance VALUES (?, 'exposure', ?, NULL, NULL, ?, ?)",
            [
                repo,
                exp,
                json.dumps(
                    {
                        "mode": "trickle",
                        "org_repos": 4,
                        "repos_reaching": 2,
                        "repos_direct": 1,
                        "share": None if exp is None else exp / 100,
                    }
                ),
                now,
            ],
        )
    con.execute("INSERT INTO fund_link_pins VALUES ('pkg:npm/a', 'o/a', ?)", [now])
    con.execute(
        "INSERT INTO fund_funding VALUES ('pkg:npm/a', 'https://github.com/sponsors/alice', 'ecosystems')"
    )


def test_plan_priority_is_p_dormant_times_exposure(con) -> None:
    _store(con)
    plan = build_plan(
        con, 100_000, floor_cents=0, cap=1.0, key_people=lambda rid: [f"person of {rid}"]
    )
    rows = plan.rows
    assert list(rows["repo"]) == ["o/a", "o/b"]  # o/c has no exposure
    assert list(rows["priority"]) == pytest.approx([0.4, 0.1])
    assert list(rows["amount_cents"]) == [80_000, 20_000]
    assert rows["why_fragile"].iloc[0] == "driver of o/a"
    assert "2 of our 4 repositories depend on it (1 directly)" in rows["why_critical"].iloc[0]
    assert rows["key_people"].iloc[0] == "person of 1"
    assert rows["funding_links"].iloc[0] == "https://github.com/sponsors/alice"


def test_cli_plan_formats_and_sponsors_csv(con, db_path, cli, tmp_path) -> None:
    _store(con)
    con.close()
    r = cli(
        "--db",
        str(db_path),
        "fund",
        "plan",
        "--budget",
        "1000",
        "--floor",
        "0",
        "--cap",
        "1",
        "--format",
        "csv",
    )
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0])[:3] == ["repo", "priority", "amount"]
    assert [x["amount"] for x in rows] == ["800.00", "200.00"]
    sp = tmp_path / "sponsors.csv"
    r = cli("--db", str(db_path), "fund", "plan", "--budget", "1000", "--cap", "1", "--format", "json",
            "--sponsors-csv", str(sp))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert sum(x["amount"] for x in json.loads(r.stdout)) == pytest.approx(1000)
    assert sp.read_text() == "Maintainer username,Sponsorship amount in USD\nalice,800.00\n"
    r = cli("--db", str(db_path), "fund", "plan", "--budget", "-5")
    assert r.returncode == 2 and "must be positive" in r.stderr


def test_cents_always_sum_exactly_over_many_splits() -> None:
    import random

    rng = random.Random(18)
    for _ in range(300):
        n = rng.randint(1, 40)
        prio = {f"p{i}": rng.random() ** 3 + 1e-6 for i in range(n)}
        budget = rng.randint(100, 10_000_000)
        cap = max(rng.choice([0.1, 0.25, 0.5, 1.0]), 1 / n + 0.01)
        got = split_budget(prio, budget, cap=min(cap, 1.0))
        assert sum(got.values()) == budget
        assert max(got.values()) <= math.floor(min(cap, 1.0) * budget)

"""A step that fails mid-run: recorded with its traceback, shown as an error, exit code non-zero,
and only the steps that depend on it are left out (``Pipeline`` alone, ``demo``, ``nightly``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import torch

from ossmetrics.config import Settings
from ossmetrics.nightly import run_nightly
from ossmetrics.pipeline import DEMO, NIGHTLY, PIPELINE, Context, Pipeline, RunLog, Step
from ossmetrics.pipeline.demo import run_demo
from ossmetrics.store import connect
from tests.nightly.conftest import ALICE, BOB, make_repo

DAY = date(2026, 12, 1)


def _bad_query(ctx: Context, todo: list[str]) -> int:
    """A real failure: a query against a table the store does not have."""
    ctx.con.execute("SELECT count(*) FROM no_such_table")
    return 0


def _count(name: str) -> Step:
    def run(ctx: Context, todo: list[str]) -> int:
        row = ctx.con.execute(f"SELECT count(*) FROM {name}").fetchone()
        return int(row[0]) if row else 0

    return Step(name, run, needs_data=False)


def _broken(pipeline: Pipeline, name: str) -> Pipeline:
    """``pipeline`` with step ``name`` replaced by one that fails (same place, same needs)."""
    return Pipeline(
        tuple(
            Step(s.name, _bad_query, None, s.needs, needs_data=s.needs_data)
            if s.name == name
            else s
            for s in pipeline.steps
        )
    )


def _runs(db: Path, run_id: int) -> dict[str, tuple[str, str | None, str | None]]:
    con = connect(db, read_only=True)
    try:
        rows = con.execute(
            "SELECT stage, status, error, traceback FROM runs WHERE run_id = ? AND repo IS NULL",
            [run_id],
        ).fetchall()
    finally:
        con.close()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_a_failing_step_stops_only_its_dependants(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    con = connect(db)
    steps = Pipeline(
        (
            _count("repos"),
            Step("broken", _bad_query, needs_data=False),
            Step("after", _count("commits").run, needs=("broken",), needs_data=False),
            Step("after-after", _count("people").run, needs=("after",), needs_data=False),
            _count("people"),
        )
    )
    log = RunLog(con)
    log.start()
    recs = steps.run(Context(con, Settings(), tmp_path / "out"), log)
    con.close()
    assert [(r.stage, r.status) for r in recs] == [
        ("repos", "ok"),
        ("broken", "failed"),
        ("after", "skipped"),
        ("after-after", "skipped"),
        ("people", "ok"),
    ]
    rows = _runs(db, log.run_id)
    status, error, tb = rows["broken"]
    assert status == "failed" and error is not None and "no_such_table" in error
    assert tb is not None and "Traceback (most recent call last)" in tb and "_bad_query" in tb
    assert rows["after"][:2] == (
        "skipped",
        "not run: it needs the broken step, which did not complete",
    )
    assert rows["after-after"][1] == "not run: it needs the after step, which did not complete"
    assert rows["repos"] == ("ok", None, None)


def test_a_step_needing_a_later_one_is_refused() -> None:
    with pytest.raises(ValueError, match="needs b"):
        Pipeline((Step("a", _bad_query, needs=("b",)), _count("b")))


def test_the_pipelines_share_one_order() -> None:
    assert PIPELINE.names == (
        "identities", "metrics", "graphs", "snapshots", "risk", "funding", "report",
    )  # fmt: skip
    assert NIGHTLY.names == ("identities", "graphs", "snapshots", "risk", "funding", "report")
    assert DEMO.names == ("identities", "metrics", "graphs", "risk", "funding", "report")


def test_demo_with_a_failing_graphs_step(tmp_path: Path) -> None:
    """graphs fails: risk (which needs it) is not run; metrics and report are; exit code 1."""
    out = tmp_path / "site"
    result = run_demo(out, tmp_path / "demo.duckdb", pipeline=_broken(DEMO, "graphs"))
    assert result.exit_code == 1
    status = {r.stage: r.status for r in result.records}
    assert status == {
        "sample": "ok",
        "identities": "skipped",
        "metrics": "ok",
        "graphs": "failed",
        "risk": "skipped",
        "funding": "skipped",  # the demo's example plan needs the risk scores
        "report": "ok",
    }
    lines = result.lines()
    assert any(line.startswith("graphs: failed: ") and "no_such_table" in line for line in lines)
    assert "risk: skipped: not run: it needs the graphs step, which did not complete" in lines
    health = (out / "health.html").read_text()
    assert "Errors in the last run" in health and "no_such_table" in health
    assert "not available" not in health
    portfolio = json.loads((out / "data" / "portfolio.json").read_text())
    assert portfolio and all(p["risk_kind"] != "model" for p in portfolio)  # nothing scored


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")
def test_demo_cli_exits_1_when_the_risk_step_cannot_run(cli, tmp_path: Path) -> None:
    """A real bad input: ``device = "cuda"`` on a machine without a GPU fails the risk step."""
    (tmp_path / "ossmetrics.toml").write_text('[settings]\ndevice = "cuda"\n')
    out = tmp_path / "site"
    r = cli(
        "--db", str(tmp_path / "d.duckdb"), "demo", "--out", str(out),
        cwd=tmp_path, env={"OSSMETRICS_CONFIG": "", "OSSMETRICS_DEVICE": "", "OSSMETRICS_OUT": ""},
    )  # fmt: skip
    assert r.returncode == 1, r.stderr
    assert r.stdout.strip() == str(out / "index.html")
    assert "graphs: ok" in r.stderr and "report: ok" in r.stderr
    risk = next(line for line in r.stderr.splitlines() if line.startswith("risk: "))
    assert risk.startswith("risk: failed: ") and "no CUDA GPU" in risk
    assert "Traceback" not in r.stderr
    health = (out / "health.html").read_text()
    assert "Errors in the last run" in health and "no CUDA GPU" in health


def test_nightly_with_a_failing_graphs_step(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "src" / "one", [ALICE, BOB], 4)
    cfg = tmp_path / "ossmetrics.toml"
    cfg.write_text(
        f'[settings]\ncache_dir = "{tmp_path / "cache"}"\nout = "{tmp_path / "out"}"\n'
        f'device = "cpu"\n\n[[repos]]\nname = "acme/one"\ngit = "{repo}"\ngithub = false\n'
    )
    db = tmp_path / "s.duckdb"
    result = run_nightly(db, cfg, today=DAY, pipeline=_broken(NIGHTLY, "graphs"))
    assert result.exit_code == 1 and result.status == "failed"
    assert [(s.stage, s.status) for s in result.portfolio] == [
        ("identities", "skipped"),
        ("graphs", "failed"),
        ("snapshots", "ok"),
        ("risk", "skipped"),
        ("funding", "ok"),  # importance reads dependency data, not the graphs
        ("report", "ok"),
    ]
    rows = _runs(db, result.run_id)
    assert "no_such_table" in (rows["graphs"][1] or "")
    assert "Traceback" in (rows["graphs"][2] or "")
    assert rows["run"][0] == "failed"
    assert result.report is not None
    health = (result.report.parent / "health.html").read_text()
    assert "Errors in the last run" in health and "no_such_table" in health

    # the next night, with the step working again, reruns what was left out
    again = run_nightly(db, cfg, today=DAY)
    assert again.exit_code == 0
    assert {s.stage: s.status for s in again.portfolio}["graphs"] == "ok"
    assert {s.stage: s.status for s in again.portfolio}["risk"] == "ok"

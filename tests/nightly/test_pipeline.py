"""The nightly pipeline in-process on tiny real git repositories (one tracked by file:// URL)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from ossmetrics.nightly import run_nightly, summary_table
from ossmetrics.nightly.clones import clone_dir_for
from ossmetrics.store import connect
from tests.nightly.conftest import DAN, commit, write_config

DAY = date(2026, 12, 1)
PORTFOLIO = ["graphs", "snapshots", "risk", "report"]  # for tests about collection only


@pytest.fixture(autouse=True)
def _no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("OSSMETRICS_TOKEN_ENV", raising=False)


def _settings(tmp_path: Path) -> str:
    return f'[settings]\ncache_dir = "{tmp_path / "cache"}"\nout = "{tmp_path / "out"}"\n'


def _stage_rows(db: Path, run_id: int) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(
            "SELECT repo, stage, status, items FROM runs WHERE run_id = ? AND stage <> 'run'"
            " ORDER BY rowid",
            [run_id],
        ).fetchall()
    finally:
        con.close()


def _portfolio_status(stage: str) -> str:
    """What a portfolio stage must report on a first run: every stage is part of the pipeline."""
    return "ok"


def _check_snapshots(db: Path, run_id: int) -> None:
    """The run's snapshot rows are exactly health_summary's numeric cells, one per metric."""
    from ossmetrics.metrics import run_metric

    con = connect(db)
    try:
        df = run_metric(con, "health_summary")
        got = con.execute(
            "SELECT r.full_name, s.metric, s.value FROM metric_snapshots s JOIN repos r USING (repo_id)"
            " WHERE s.run_id = ? ORDER BY 1, 2",
            [run_id],
        ).fetchall()
    finally:
        con.close()
    import pandas as pd

    cols = [
        c
        for c in df.columns
        if c != "repo_id"
        and (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))
    ]
    want = [
        (row["repo"], c, None if pd.isna(row[c]) else float(row[c]))
        for _, row in df.iterrows()
        for c in cols
    ]
    assert sorted(got, key=str) == sorted(want, key=str)
    assert len({m for _, m, _ in got}) * 3 == len(got)


def test_first_run_then_no_change_then_one_change(tmp_path: Path, repos: dict[str, Path]) -> None:
    cfg = write_config(
        tmp_path / "ossmetrics.toml", repos, url=["acme/three"], extra=_settings(tmp_path)
    )
    db = tmp_path / "store.duckdb"

    first = run_nightly(db, cfg, skip=["risk"], today=DAY)
    assert [(r.repo, r.status, r.items, r.requests) for r in first.repos] == [
        ("acme/one", "ok", 4, 0),
        ("acme/two", "ok", 3, 0),
        ("acme/three", "ok", 2, 0),
    ]
    # without a token GitHub is skipped with one warning; git still ran, and that is not a failure
    assert first.warnings == [
        "$GITHUB_TOKEN is not set: GitHub collection skipped for 3 repositories (git collection "
        "still runs) — export a token to collect issues and pull requests"
    ]
    assert first.repos[0].notes == ["github: $GITHUB_TOKEN not set"]
    rows = _stage_rows(db, first.run_id)
    assert rows[:7] == [
        ("acme/one", "git", "ok", 4),
        ("acme/one", "github", "skipped", 0),
        ("acme/two", "git", "ok", 3),
        ("acme/two", "github", "skipped", 0),
        ("acme/three", "fetch", "ok", 0),
        ("acme/three", "git", "ok", 2),
        ("acme/three", "github", "skipped", 0),
    ]
    assert [r[1:3] for r in rows[7:]] == [
        ("identities", "skipped"),
        ("graphs", _portfolio_status("graphs")),
        ("snapshots", _portfolio_status("snapshots")),
        ("risk", "skipped"),
        ("funding", "ok"),
        ("report", _portfolio_status("report")),
    ]
    con = connect(db, read_only=True)
    counts = con.execute(
        "SELECT r.full_name, count(*) FROM commits c JOIN repos r USING (repo_id) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    con.close()
    assert counts == [("acme/one", 4), ("acme/three", 2), ("acme/two", 3)]

    if _portfolio_status("snapshots") == "ok":
        _check_snapshots(db, first.run_id)

    clone = clone_dir_for(tmp_path / "cache", f"file://{repos['acme/three']}")
    (clone / "kept-marker").write_text("a re-clone would delete this")

    second = run_nightly(db, cfg, skip=["risk"], today=DAY)
    assert [(r.status, r.items) for r in second.repos] == [("ok", 0)] * 3
    graphs = next(s for s in second.portfolio if s.stage == "graphs")
    assert (graphs.status, graphs.error) == ("skipped", "unchanged since the last run")
    assert second.exit_code == 0
    if _portfolio_status("snapshots") == "ok":
        _check_snapshots(db, second.run_id)  # every run adds its own full set

    # one new commit in the URL-tracked repository: fetched (not re-cloned), collected, and only
    # that repository's graphs recomputed
    commit(
        repos["acme/three"],
        {"new.txt": "x\n"},
        author=DAN[0],
        email=DAN[1],
        date="2024-02-01T00:00:00+00:00",
    )
    third = run_nightly(db, cfg, skip=["risk", "report"], today=DAY)
    assert [(r.repo, r.items) for r in third.repos] == [
        ("acme/one", 0),
        ("acme/two", 0),
        ("acme/three", 1),
    ]
    assert (clone / "kept-marker").exists()
    graphs = next(s for s in third.portfolio if s.stage == "graphs")
    assert (graphs.status, graphs.items) == ("ok", 1)


def test_one_broken_repository_does_not_stop_the_others(
    tmp_path: Path, repos: dict[str, Path]
) -> None:
    broken = {"acme/gone": tmp_path / "nowhere", **repos, "acme/url-gone": tmp_path / "nothing"}
    cfg = write_config(
        tmp_path / "ossmetrics.toml", broken, url=["acme/url-gone"], extra=_settings(tmp_path)
    )
    result = run_nightly(tmp_path / "store.duckdb", cfg, jobs=2, skip=PORTFOLIO, today=DAY)
    status = {r.repo: (r.status, r.items) for r in result.repos}
    assert status == {
        "acme/gone": ("failed", 0),
        "acme/one": ("ok", 4),
        "acme/two": ("ok", 3),
        "acme/three": ("ok", 2),
        "acme/url-gone": ("failed", 0),
    }
    gone = next(r for r in result.repos if r.repo == "acme/gone")
    assert gone.notes[0].startswith(f"git: {tmp_path / 'nowhere'}")
    url_gone = next(r for r in result.repos if r.repo == "acme/url-gone")
    assert url_gone.notes[0].startswith("fetch: git clone failed")
    assert url_gone.notes[1] == "git: no clone (the fetch failed)"
    assert result.exit_code == 1 and result.status == "failed"
    con = connect(tmp_path / "store.duckdb", read_only=True)
    run_row = con.execute("SELECT status FROM runs WHERE stage = 'run'").fetchall()
    con.close()
    assert run_row == [("failed",)]
    # no half clone is left where the next run would take it for a good one
    assert not clone_dir_for(tmp_path / "cache", f"file://{tmp_path / 'nothing'}").exists()


def test_rows_left_running_by_a_crash_are_marked_interrupted(
    tmp_path: Path, repos: dict[str, Path]
) -> None:
    cfg = write_config(
        tmp_path / "ossmetrics.toml", {"acme/one": repos["acme/one"]}, extra=_settings(tmp_path)
    )
    db = tmp_path / "store.duckdb"
    con = connect(db)
    con.execute(
        "INSERT INTO runs (run_id, started_at, repo, stage, status) VALUES"
        " (nextval('run_id_seq'), now(), NULL, 'run', 'running'),"
        " (currval('run_id_seq'), now(), 'acme/one', 'git', 'running')"
    )
    con.close()
    result = run_nightly(db, cfg, skip=PORTFOLIO, today=DAY)
    assert result.run_id == 2
    assert result.warnings[0] == (
        "the previous run was interrupted (2 unfinished steps marked 'interrupted'); "
        "this run completes its work"
    )
    con = connect(db, read_only=True)
    old = con.execute(
        "SELECT stage, status, error FROM runs WHERE run_id = 1 ORDER BY stage"
    ).fetchall()
    con.close()
    assert old == [
        ("git", "interrupted", "the process ended before this stage finished"),
        ("run", "interrupted", "the process ended before this stage finished"),
    ]


def test_extra_bots_from_the_config_are_applied(tmp_path: Path, repos: dict[str, Path]) -> None:
    extra = _settings(tmp_path)
    cfg = tmp_path / "ossmetrics.toml"
    cfg.write_text(
        extra
        + f'\n[[repos]]\nname = "acme/one"\ngit = "{repos["acme/one"]}"\nbots = ["bob@example.org"]\n'
    )
    db = tmp_path / "store.duckdb"
    result = run_nightly(db, cfg, skip=PORTFOLIO, today=DAY)
    ident = next(s for s in result.portfolio if s.stage == "identities")
    assert ident.status == "ok"
    con = connect(db, read_only=True)
    bots = con.execute("SELECT p.display_name, p.is_bot FROM people p ORDER BY 1").fetchall()
    con.close()
    assert bots == [("Alice Adams", False), ("Bob Brown", True)]
    again = run_nightly(db, cfg, skip=PORTFOLIO, today=DAY)
    ident = next(s for s in again.portfolio if s.stage == "identities")
    assert (ident.status, ident.error) == ("skipped", "unchanged since the last run")


def test_summary_renders_every_repository(tmp_path: Path, repos: dict[str, Path]) -> None:
    from rich.console import Console

    cfg = write_config(tmp_path / "ossmetrics.toml", repos, extra=_settings(tmp_path))
    result = run_nightly(tmp_path / "store.duckdb", cfg, skip=PORTFOLIO, today=DAY)
    console = Console(width=100, record=True)
    console.print(summary_table(result))
    text = console.export_text()
    assert f"nightly run {result.run_id}: ok" in text
    for line in ("acme/one", "acme/two", "acme/three", "(all) graphs", "(all) report"):
        assert line in text
    assert "(all) graphs: skipped by --skip graphs" in text
    assert "acme/one github: $GITHUB_TOKEN not set" in text
    assert os.path.exists(tmp_path / "store.duckdb.nightly.lock")


def test_risk_scores_and_report_then_skipped_when_nothing_changed(
    tmp_path: Path, repos: dict[str, Path]
) -> None:
    from ossmetrics.risk.modelfile import shipped_model_path

    if not shipped_model_path().exists():
        pytest.skip("no shipped risk model yet")
    cfg = write_config(tmp_path / "ossmetrics.toml", repos, extra=_settings(tmp_path))
    db = tmp_path / "store.duckdb"
    # risk reads its key people from the graph stage, so the graphs run first
    first = run_nightly(db, cfg, skip=["snapshots"], today=DAY)
    risk = next(s for s in first.portfolio if s.stage == "risk")
    assert risk.status == "ok", risk.error
    assert first.report == tmp_path / "out" / "index.html" and first.report.exists()
    con = connect(db, read_only=True)
    scored = con.execute(
        "SELECT r.full_name FROM risk_scores s JOIN repos r USING (repo_id) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    con.close()
    assert scored == [("acme/one",), ("acme/three",), ("acme/two",)]
    again = run_nightly(db, cfg, skip=["snapshots"], today=DAY)
    assert [
        (s.stage, s.status, s.error) for s in again.portfolio if s.stage in ("risk", "report")
    ] == [
        ("risk", "skipped", "unchanged since the last run"),
        ("report", "skipped", "unchanged since the last run"),
    ]


def test_a_local_repository_without_a_github_name(tmp_path: Path, repos: dict[str, Path]) -> None:
    cfg = tmp_path / "ossmetrics.toml"
    cfg.write_text(_settings(tmp_path) + f'\n[[repos]]\ngit = "{repos["acme/one"]}"\n')
    db = tmp_path / "store.duckdb"
    first = run_nightly(db, cfg, skip=PORTFOLIO, today=DAY)
    (one,) = first.repos
    assert (one.repo, one.status, one.items, one.notes) == (str(repos["acme/one"]), "ok", 4, [])
    assert first.warnings == []  # nothing to collect from GitHub: no token needed
    second = run_nightly(db, cfg, skip=PORTFOLIO, today=DAY)
    con = connect(db, read_only=True)
    rows = con.execute(
        "SELECT r.full_name, u.stage, u.status FROM runs u JOIN repos r USING (repo_id)"
        " WHERE u.run_id = ? ORDER BY u.rowid",
        [second.run_id],
    ).fetchall()
    con.close()
    assert rows == [("local/one", "git", "ok")]  # named from its folder, linked to its repo_id

"""``ossmetrics graph`` and ``ossmetrics graph export`` run as a user would, in a subprocess."""

from __future__ import annotations

import json

import pytest

from ossmetrics.store import connect
from tests.graph.history import History


@pytest.fixture
def store(db_path):
    con = connect(db_path)
    h = History(con)
    alice, (a,) = h.person("alice")
    _bob, (b,) = h.person("bob")
    h.commit(a, [("a.py", 10, 0), ("b.py", 10, 0)], day=1)
    h.commit(b, [("a.py", 1, 1)], day=5)
    h.save()
    con.close()
    return db_path, alice


def test_graph_computes_and_stores(cli, store):
    db, alice = store
    r = cli("--db", str(db), "graph", "--repo", "acme/widget", "--at", "2020-02-01")
    assert r.returncode == 0, r.stderr
    assert (
        f"acme/widget as of 2020-02-01: truck factor (Avelino) 1 [key people {alice}] over 2 files; "
        "bus factor (CHAOSS, all history) 1" in r.stdout
    )
    con = connect(db, read_only=True)
    try:
        n = con.execute(
            "SELECT count(*) FROM graph_repo_measures WHERE as_of = DATE '2020-02-01'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert n >= 6


def test_graph_export_json(cli, store, tmp_path):
    db, _alice = store
    out = tmp_path / "g.json"
    r = cli(
        "--db",
        str(db),
        "graph",
        "export",
        "--repo",
        "acme/widget",
        "--format",
        "json",
        "-o",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert len(data["nodes"]) == 2 and len(data["edges"]) == 1
    assert "wrote" in r.stdout


def test_graph_bad_input(cli, store, tmp_path):
    db, _alice = store
    r = cli("--db", str(db), "graph", "--at", "yesterday")
    assert r.returncode == 2 and "is not a date" in r.stderr and "Traceback" not in r.stderr
    r = cli("--db", str(db), "graph", "--repo", "acme/nothing")
    assert r.returncode == 2 and "not in the store" in r.stderr
    r = cli(
        "--db",
        str(db),
        "graph",
        "export",
        "--format",
        "dot",
        "--repo",
        "acme/widget",
        "-o",
        str(tmp_path / "x"),
    )
    assert r.returncode == 2 and "unknown format" in r.stderr
    r = cli("--db", str(db), "graph", "export", "-o", str(tmp_path / "x.json"))
    assert r.returncode == 2 and "give --repo" in r.stderr
    r = cli(
        "--db",
        str(db),
        "graph",
        "export",
        "--repo",
        "acme/widget",
        "-o",
        str(tmp_path / "no" / "x.json"),
    )
    assert r.returncode == 1 and "does not exist" in r.stderr and "Traceback" not in r.stderr


def test_graph_risk_snapshots_stores_the_truck_factor_series(cli, tmp_path) -> None:
    """``graph --risk-snapshots`` stores what the risk model reads: one truck factor per
    repository per snapshot date of the training grid, and nothing else."""
    from datetime import date

    from ossmetrics.risk.dataset import snapshot_dates
    from ossmetrics.store import connect
    from tests.risk.tiny import standard_store

    db = tmp_path / "s.duckdb"
    con = connect(db)
    standard_store(con)
    want = snapshot_dates(con)
    con.close()
    r = cli("--db", str(db), "graph", "--risk-snapshots")
    assert r.returncode == 0, r.stderr
    n = sum(len(v) for v in want.values())
    assert r.stdout.startswith(
        f"truck factors at {n} risk snapshot dates of {len(want)} repositories"
    )
    con = connect(db, read_only=True)
    got = con.execute(
        "SELECT repo_id, as_of FROM graph_repo_measures WHERE measure = 'truck_factor' ORDER BY ALL"
    ).fetchall()
    other = con.execute(
        "SELECT count(*) FROM graph_repo_measures WHERE measure NOT IN "
        "('truck_factor', 'bus_factor_all_history')"
    ).fetchone()
    con.close()
    assert got == sorted((rid, d) for rid, ds in want.items() for d in ds)
    assert other == (0,) and all(isinstance(d, date) for _, d in got)

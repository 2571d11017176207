"""The risk commands as a user runs them (``python cli.py ...`` in a subprocess)."""

from __future__ import annotations

import json

import pytest
import torch

from ossmetrics.graph import compute_graphs
from ossmetrics.risk.modelfile import FORMAT_VERSION
from ossmetrics.store import connect
from tests.risk.tiny import standard_store, store_truck_factors


@pytest.fixture
def store(db_path):
    con = connect(db_path)
    standard_store(con)
    compute_graphs(con)  # `ossmetrics graph`: the truck factors of today's scoring
    store_truck_factors(con)  # `ossmetrics graph --risk-snapshots`: those training reads
    con.close()
    return db_path


def test_score_writes_risk_scores_with_model_version(cli, store) -> None:
    r = cli("--db", str(store), "score", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    assert "scored 3 projects as of 2022-12-15" in r.stdout
    # the shipped model is named for what it is: no graph since issue 19
    assert "model: tabular network (no graph)" in r.stdout
    con = connect(store, read_only=True)
    rows = con.execute(
        "SELECT r.full_name, s.as_of::VARCHAR, s.model_version, s.p_dormant, s.risk, s.drivers "
        "FROM risk_scores s JOIN repos r USING (repo_id) ORDER BY 1"
    ).fetchall()
    con.close()
    assert [x[0] for x in rows] == ["acme/fading", "acme/side", "acme/steady"]
    assert {x[1] for x in rows} == {"2022-12-15"} and all(
        x[2].startswith((f"gnn-f{FORMAT_VERSION}-", f"tab-f{FORMAT_VERSION}-")) for x in rows
    )
    assert all(0 <= x[3] <= 1 and 0 <= x[4] <= 100 for x in rows)
    drivers = json.loads(rows[0][5])
    assert len(drivers) == 4 and all(d["text"].endswith("risk)") for d in drivers[:3])
    # acme/fading has no commits in its last 12 months: flagged as outside the training range
    assert drivers[-1]["feature"] == "eligibility"


def test_explain_and_what_if(cli, store) -> None:
    r = cli(
        "--db",
        str(store),
        "risk",
        "explain",
        "acme/fading",
        "--at",
        "2020-12-15",
        "--without",
        "bob",
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "acme/fading as of 2020-12-15" in out and "Top drivers:" in out
    assert "alice (id 1)" in out and "also in 1 other tracked project" in out
    assert "Without bob:" in out
    bad = cli("--db", str(store), "risk", "explain", "acme/fading", "--without", "nobody")
    assert bad.returncode == 2 and "no person 'nobody'" in bad.stderr


def test_train_with_too_little_history_names_the_shipped_model(cli, store, tmp_path) -> None:
    # one project only (the standard store's three give 20+ snapshots on the young-project grid)
    con = connect(store)
    con.execute(
        "DELETE FROM commits WHERE repo_id <> (SELECT repo_id FROM repos WHERE full_name = 'acme/fading')"
    )
    store_truck_factors(con)  # the grid moved with the data: `graph --risk-snapshots` again
    con.close()
    r = cli("--db", str(store), "train", "--device", "cpu", "--output", str(tmp_path / "m.pt"))
    assert r.returncode == 1
    assert "too few to train" in r.stderr and "shipped model is used" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU error")
def test_cuda_without_gpu_is_a_clear_error(cli, store) -> None:
    r = cli("--db", str(store), "score", "--device", "cuda")
    assert r.returncode == 2
    assert "no CUDA GPU" in r.stderr and "--device auto" in r.stderr


def test_scoring_without_the_graph_stage_names_the_command(cli, db_path) -> None:
    """No truck factors stored: risk stops with one line naming what to run, and writes nothing
    (no commit-share stand-in for the key people)."""
    con = connect(db_path)
    standard_store(con)
    con.close()
    r = cli("--db", str(db_path), "score", "--device", "cpu")
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert lines[0].startswith("Error: the graph stage has not stored the truck factor of acme/")
    assert "run `ossmetrics graph --risk-snapshots`" in lines[0]
    con = connect(db_path, read_only=True)
    assert con.execute("SELECT count(*) FROM risk_scores").fetchone() == (0,)
    con.close()

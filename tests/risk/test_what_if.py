"""The risk step's stored what-if: the riskiest projects rescored without their first key person,
with the very numbers ``explain --without`` gives, so the report can show them from the store."""

from __future__ import annotations

import json

import pytest

from ossmetrics.graph import compute_graphs
from ossmetrics.risk.explanation import explain
from ossmetrics.risk.score import score_projects
from ossmetrics.risk.what_if import first_key_person, store_what_if
from ossmetrics.store import connect
from tests.risk.tiny import standard_store


@pytest.fixture
def scored(db_path):
    con = connect(db_path)
    standard_store(con)
    compute_graphs(con)
    df = score_projects(con, device="cpu")
    yield con, df
    con.close()


def test_first_key_person_reads_both_detail_shapes() -> None:
    assert first_key_person('{"key_people": [7, 3]}') == 7
    assert first_key_person('{"key_people": [{"person_id": 4}]}') == 4
    assert first_key_person('{"key_people": []}') is None
    assert first_key_person(None) is None


def test_store_what_if_matches_explain(scored) -> None:
    con, df = scored
    as_of, version = df.attrs["as_of"], str(df["model_version"].iloc[0])
    n = store_what_if(con, as_of=as_of, model_version=version, top=2)
    rows = con.execute(
        "SELECT r.full_name, w.person_id, w.risk, w.without_risk, w.without_p_dormant, w.people"
        " FROM risk_what_if w JOIN repos r USING (repo_id) ORDER BY w.risk DESC"
    ).fetchall()
    assert n == len(rows) == 2
    # the two riskiest projects of the scoring, by the scores just written
    top2 = df.sort_values(["risk", "repo"], ascending=[False, True])["repo"].head(2).tolist()
    assert [r[0] for r in rows] == top2
    for repo, pid, risk, without_risk, without_pd, people in rows:
        detail = con.execute(
            "SELECT detail FROM graph_repo_measures g JOIN repos r USING (repo_id)"
            " WHERE r.full_name = ? AND measure = 'truck_factor'",
            [repo],
        ).fetchone()
        assert detail is not None and pid == json.loads(detail[0])["key_people"][0]
        ex = explain(con, repo, without=str(pid), as_of=as_of)
        assert risk == pytest.approx(ex.risk)
        assert without_risk == pytest.approx(ex.without_risk)
        assert without_pd == pytest.approx(ex.without_p_dormant)
        assert [p["name"] for p in json.loads(people)] == [p.name for p in ex.people]
    # a second run replaces the rows of that date and model, it does not add to them
    assert store_what_if(con, as_of=as_of, model_version=version, top=1) == 1
    assert con.execute("SELECT count(*) FROM risk_what_if").fetchone() == (1,)

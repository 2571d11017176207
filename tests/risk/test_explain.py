"""``explain`` on a tiny store: its fast path gives the numbers of the slow, one-at-a-time path.

``explain`` batches the occlusion of every candidate contributor into one forward pass and runs
torch on one thread; these tests recompute each number the slow way — one graph at a time,
``score_projects`` for the score, a fresh scoring set without the person for the what-if — and
require the same results.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import torch

from ossmetrics.risk.batching import collate
from ossmetrics.risk.dataset import build_scoring_set
from ossmetrics.risk.explanation import explain
from ossmetrics.risk.features import FEATURES
from ossmetrics.risk.modelfile import load_model
from ossmetrics.risk.score import calibrated, risk_index, score_dataset, score_projects
from ossmetrics.risk.train import cpu_threads
from ossmetrics.store import connect, get_repo_id
from tests.risk.tiny import standard_store

AS_OF = date(2020, 12, 15)


@pytest.fixture
def tiny(db_path):
    c = connect(db_path)
    standard_store(c)
    yield c
    c.close()


def _one_at_a_time(con, repo: str) -> dict[int, float]:
    """p_dormant with each of the first five contributors removed, one graph per forward pass."""
    lm = load_model()
    ds = build_scoring_set(con, AS_OF, repo_ids=[get_repo_id(con, repo)])
    x = ds.rows[list(FEATURES)].to_numpy(np.float32)
    g = ds.graphs[0]
    out = {}
    for pid in g.person_ids[:5]:
        with torch.no_grad():
            logit = lm.model.eval()(collate(x, [g.without(int(pid))], lm.norm)).numpy()
        out[int(pid)] = float(calibrated(lm, logit)[0, 0])
    return out


def test_explain_matches_the_slow_path(tiny) -> None:
    con = tiny
    ex = explain(con, "acme/fading", as_of=AS_OF, without="bob")
    # the score is the one score_projects stores
    df = score_projects(con, as_of=AS_OF, device="cpu", repos=["acme/fading"])
    assert ex.p_dormant == pytest.approx(float(df["p_dormant"].iloc[0]), abs=1e-6)
    assert ex.p_core_loss == pytest.approx(float(df["p_core_loss"].iloc[0]), abs=1e-6)
    assert ex.risk == pytest.approx(float(df["risk"].iloc[0]), abs=0.051)
    # occlusion: alice and bob are fading's two contributors; batched == one at a time
    alone = _one_at_a_time(con, "acme/fading")
    assert sorted(alone) == sorted(p.person_id for p in ex.people) == [1, 2]
    for p in ex.people:
        assert p.delta_p_dormant == pytest.approx(alone[p.person_id] - ex.p_dormant, abs=1e-6)
    # the year before the cut 2020-12-16: alice 2 a month in 2020 (days 10, 11) = 24 commits;
    # bob on day 20 of 2019-12 and of 2020-01..06 = 7 (hand count from tiny.py)
    share = {p.person_id: p.share_12m for p in ex.people}
    assert share == pytest.approx({1: 24 / 31, 2: 7 / 31})
    # what-if: a scoring set built without bob's commits, scored from scratch
    lm = load_model()
    ds2 = build_scoring_set(
        con, AS_OF, repo_ids=[get_repo_id(con, "acme/fading")], exclude_people=[2]
    )
    s2 = score_dataset(lm, ds2)
    assert ex.without == "bob"
    assert ex.without_p_dormant == pytest.approx(float(s2["p_dormant"].iloc[0]), abs=1e-6)
    assert ex.without_risk == pytest.approx(
        float(risk_index(s2[["p_dormant", "p_core_loss"]].to_numpy())[0]), abs=1e-9
    )
    # same call twice: same drivers, same numbers
    again = explain(con, "acme/fading", as_of=AS_OF, without="bob")
    assert [d.text for d in again.drivers] == [d.text for d in ex.drivers]
    assert again.p_dormant == ex.p_dormant and again.without_risk == ex.without_risk


def test_explain_leaves_the_thread_setting_as_it_found_it(tiny) -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        seen = []
        with cpu_threads(1):
            seen.append(torch.get_num_threads())
        assert seen == [1] and torch.get_num_threads() == 2
        explain(tiny, "acme/steady", as_of=AS_OF)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)

"""``explain`` on a tiny store: its numbers are the ones the scoring path gives.

``explain`` runs torch on one thread and reuses one rescoring for a person who is both among the
contributors it ranks and the ``--without`` person; these tests recompute each number the plain
way — ``score_projects`` for the score, a fresh scoring set without the person, scored with
``score_dataset``, for every what-if — and require the same results.
"""

from __future__ import annotations

from datetime import date

import pytest
import torch

from ossmetrics.risk.dataset import build_scoring_set
from ossmetrics.risk.device import cpu_threads
from ossmetrics.risk.explanation import explain
from ossmetrics.risk.modelfile import load_model
from ossmetrics.risk.score import risk_index, score_dataset, score_projects
from ossmetrics.store import connect, get_repo_id
from tests.risk.tiny import standard_store, store_truck_factors

AS_OF = date(2020, 12, 15)


@pytest.fixture
def tiny(db_path):
    c = connect(db_path)
    standard_store(c)
    store_truck_factors(c, [AS_OF])
    yield c
    c.close()


def _rescored_without(con, repo: str, people: list[int]) -> dict[int, float]:
    """p_dormant with each person's commits removed from the store, one fresh scoring set each."""
    lm = load_model()
    out = {}
    for pid in people:
        ds = build_scoring_set(con, AS_OF, repo_ids=[get_repo_id(con, repo)], exclude_people=[pid])
        out[pid] = float(score_dataset(lm, ds)["p_dormant"].iloc[0])
    return out


def test_explain_matches_the_slow_path(tiny) -> None:
    con = tiny
    ex = explain(con, "acme/fading", as_of=AS_OF, without="bob")
    # the score is the one score_projects stores
    df = score_projects(con, as_of=AS_OF, device="cpu", repos=["acme/fading"])
    assert ex.p_dormant == pytest.approx(float(df["p_dormant"].iloc[0]), abs=1e-6)
    assert ex.p_core_loss == pytest.approx(float(df["p_core_loss"].iloc[0]), abs=1e-6)
    assert ex.risk == pytest.approx(float(df["risk"].iloc[0]), abs=0.051)
    # people: alice and bob are fading's two contributors, each rescored without them
    assert sorted(p.person_id for p in ex.people) == [1, 2]
    alone = _rescored_without(con, "acme/fading", [1, 2])
    for p in ex.people:
        assert p.delta_p_dormant == pytest.approx(alone[p.person_id] - ex.p_dormant, abs=1e-6)
    # ranked by the size of the change, and alice (24 of 31 commits) moves the score
    deltas = [abs(p.delta_p_dormant) for p in ex.people]
    assert deltas == sorted(deltas, reverse=True) and abs(alone[1] - ex.p_dormant) > 1e-3
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
    # people=0 skips the per-person rescoring, not the what-if
    quick = explain(con, "acme/fading", as_of=AS_OF, without="bob", people=0)
    assert quick.people == [] and quick.without_risk == ex.without_risk
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


def test_losing_the_main_contributor_raises_risk_with_the_shipped_model(tiny) -> None:
    """The shipped model's sign bounds make the funder's what-if read the way maintainers do:
    taking out the person who made most of last year's commits raises p_dormant, and in a
    project of two people the one with twice the commits matters more. (The unbounded
    fourth-round model ranked acme/steady's 33% contributor above its 67% one.)"""
    con = tiny
    for repo in ("acme/fading", "acme/steady", "acme/side"):
        ex = explain(con, repo, as_of=AS_OF)
        top = max(ex.people, key=lambda p: p.share_12m)
        assert top.share_12m > 0.5
        assert top.delta_p_dormant > 0.01, (repo, top)
    steady = explain(con, "acme/steady", as_of=AS_OF)
    assert [round(p.share_12m, 2) for p in steady.people] == [0.67, 0.33]
    assert steady.people[0].delta_p_dormant > steady.people[1].delta_p_dormant > 0


def test_an_explanation_without_one_probability_prints_a_dash() -> None:
    """A what-if with one probability missing prints a dash for it, not a formatting error."""
    from ossmetrics.risk.explanation import Explanation

    ex = Explanation(
        repo="acme/rocket",
        as_of=date(2024, 6, 30),
        model_version="m",
        p_dormant=0.2,
        p_core_loss=0.4,
        risk=30,
        without="alice",
        without_p_dormant=0.5,
        without_risk=55,
    )
    assert ex.lines()[-1] == (
        "Without alice: risk 55/100 (p_dormant 0.50, p_core_loss —; +25 points)"
    )

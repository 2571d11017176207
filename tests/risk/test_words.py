"""The plain-words sentences state the snapshot's facts, including the empty year."""

from __future__ import annotations

from ossmetrics.risk.features import FEATURES, GRAPH_FEATURES
from ossmetrics.risk.words import FACTS, describe_feature, drivers

BUSY = {
    "commits_12m": 62,
    "top1_share": 0.71,
    "top1_other_projects": 3,
    "bus_factor_12m": 1,
    "shared_people_share": 0.25,
    "key_share_12m": 0.8,
    "newcomers_12m": 4,
}


def test_concentration_sentences_from_the_row() -> None:
    assert describe_feature("top1_share", BUSY, 0.4) == (
        "71% of last year's commits came from one person who also carries "
        "3 other tracked projects (raises risk)"
    )
    assert describe_feature("log_bus_factor_12m", BUSY, -0.1) == (
        "half of last year's commits came from 1 person (lowers risk)"
    )


def test_no_commit_last_year_is_said_once_not_as_shares_of_nothing() -> None:
    idle = {**BUSY, "commits_12m": 0, "top1_share": 0.0, "bus_factor_12m": 0}
    texts = {
        describe_feature(f, idle, 1.0)
        for f in ("top1_share", "hhi", "log_bus_factor_12m", "key_share_12m", "newcomer_share")
    }
    assert texts == {"nobody committed in the last 12 months (raises risk)"}
    # facts that do not divide last year's commits keep their sentence
    assert describe_feature("log_commits_3m", {"commits_3m": 0}, 1.0) == (
        "0 commits in the last 3 months (raises risk)"
    )


def test_every_feature_has_a_sentence() -> None:
    row = {
        k: 1
        for k in (
            "commits_12m",
            "commits_prev_12m",
            "commits_3m",
            "authors_12m",
            "authors_prev_12m",
            "newcomers_12m",
            "retained",
            "top1_share",
            "top1_other_projects",
            "bus_factor_12m",
            "months_active",
            "days_since_last",
            "age_years",
            "lines_12m",
            "top1_tenure_years",
            "top1_days_since",
            "shared_people_share",
            "truck_factor",
            "key_share_12m",
            "key_active_3m",
            "key_max_days_since",
            "key_other_projects",
            "median_tenure_years",
            "commits_6m",
            "commits_prev_6m",
            "monthly_slope",
            "longest_gap_12m",
            "authors_90d",
            "key_c12",
            "key_cprev",
            "key_recent_share",
            *GRAPH_FEATURES,
        )
    }
    for f in FEATURES:
        text = describe_feature(f, row, 1.0)
        assert text.endswith("(raises risk)") and not text.startswith(f), f


def _attr(**effects: float) -> list[float]:
    return [effects.get(f, 0.0) for f in FEATURES]


SLOWING = {
    **BUSY,
    "commits_3m": 0,
    "commits_12m": 10,
    "commits_prev_12m": 48,
    "days_since_last": 1,
    "bus_factor_12m": 4,
    "top1_share": 0.2,
    "top1_other_projects": 0,
}


def test_a_fact_is_stated_once_with_the_sum_of_its_features_attributions() -> None:
    """Collinear twins split one fact's effect: +1.0 on the 3-month count and -0.4 on the
    3-month/12-month ratio is one fact that raises the logit by 0.6, not two facts of opposite
    signs."""
    out = drivers(
        SLOWING,
        _attr(
            log_commits_3m=1.0,
            recent_trend=-0.4,
            top1_share=-0.1,
            hhi=-0.05,
            log_bus_factor_12m=-0.1,
            log_days_since_last=0.3,
        ),
        FEATURES,
        top=5,
    )
    assert [(k, round(e, 6)) for k, e, _ in out] == [
        ("recent_commits", 0.6),
        ("last_commit", 0.3),
        ("concentration", -0.25),
    ]
    assert out[0][2] == "0 commits in the last 3 months, 10 in the last 12 (raises risk)"
    assert out[1][2] == "last commit 1 day before the score date (raises risk)"
    assert out[2][2] == (
        "half of last year's commits came from 4 people, 20% from the most active one (lowers risk)"
    )
    # only the largest facts, largest first
    assert [
        k
        for k, _, _ in drivers(
            SLOWING,
            _attr(log_commits_3m=1.0, recent_trend=-0.4, log_days_since_last=0.3),
            FEATURES,
            top=1,
        )
    ] == ["recent_commits"]


def test_an_idle_year_is_one_fact_carrying_every_activity_attribution() -> None:
    idle = {**SLOWING, "commits_12m": 0, "commits_3m": 0, "days_since_last": 391}
    a = _attr(
        log_commits_3m=0.9,
        log_commits_12m=0.5,
        months_active_12m=0.4,
        top1_share=-0.2,
        log_days_since_last=0.3,
        top1_tenure_years=-0.1,
    )
    out = drivers(idle, a, FEATURES, top=5)
    assert out[0][0] == "idle_year" and round(out[0][1], 6) == 1.9
    assert out[0][2] == (
        "nobody committed in the last 12 months; last commit 391 days before the score date (raises risk)"
    )
    assert sum(k == "idle_year" for k, _, _ in out) == 1


def test_every_feature_belongs_to_exactly_one_fact() -> None:
    members = [f for _, fs in FACTS for f in fs]
    assert sorted(members) == sorted(FEATURES)
    # a feature the facts do not know (a newer model's) is its own fact, not dropped
    out = drivers(BUSY, [0.0] * len(FEATURES) + [2.0], [*FEATURES, "new_signal"], top=1)
    assert out == [("new_signal", 2.0, "new_signal (raises risk)")]


def test_zero_other_projects_is_said_in_words() -> None:
    assert describe_feature("log_key_other_projects", {"key_other_projects": 0}, -1.0) == (
        "no key person works on another tracked project (lowers risk)"
    )
    assert describe_feature("log_top1_other_projects", {"top1_other_projects": 2}, 1.0) == (
        "the main author is also active in 2 other tracked projects (raises risk)"
    )

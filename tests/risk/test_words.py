"""The plain-words sentences state the snapshot's facts, including the empty year."""

from __future__ import annotations

from ossmetrics.risk.features import FEATURES
from ossmetrics.risk.words import describe_feature

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
        )
    }
    for f in FEATURES:
        text = describe_feature(f, row, 1.0)
        assert text.endswith("(raises risk)") and not text.startswith(f), f

"""The risk model's features: which, in what order, and which way each may move a label.

The definitions only; ``feature_tables`` computes them from the store in DuckDB SQL. Apart so
the model file, the network, the explanation and the card read the feature list without the
SQL that builds the tables.
"""

from __future__ import annotations

from ossmetrics.risk.graph_features import GRAPH_FEATURES

__all__ = [
    "FEATURES",
    "GRAPH_FEATURES",
    "OTHER_PROJECT_FEATURES",
    "SIGN_PRIORS",
    "TRAJECTORY_FEATURES",
    "sign_priors",
]

#: Trajectory (issue 19; Mujahid et al. 2021's 6-month slope, Coelho et al. 2018's activity
#: features): chosen by repository-disjoint CV inside each leave-one-ecosystem-out training
#: side, never on a held-out ecosystem (docs/model-history.md, docs/risk.md for definitions).
TRAJECTORY_FEATURES: tuple[str, ...] = (
    "log_commits_6m",
    "half_trend",
    "monthly_slope",
    "log_longest_gap_12m",
    "log_authors_3m",
    "key_trend",
    "key_recent_share",
)

#: The model's project features, in order (all computed from data before the cut).
FEATURES: tuple[str, ...] = (
    "log_commits_12m",
    "log_commits_prev_12m",
    "log_commits_3m",
    "commit_trend",
    "recent_trend",
    "log_authors_12m",
    "author_trend",
    "newcomer_share",
    "retention",
    "top1_share",
    "hhi",
    "log_bus_factor_12m",
    "months_active_12m",
    "log_days_since_last",
    "log_age_years",
    "log_lines_12m",
    "top1_tenure_years",
    "log_top1_days_since_last",
    "log_top1_other_projects",
    "log_mean_other_projects",
    "shared_people_share",
    "log_truck_factor",
    "key_share_12m",
    "key_active_3m",
    "log_key_max_days_since",
    "log_key_other_projects",
    "median_tenure_years",
    *TRAJECTORY_FEATURES,
    # What only the store-wide contributor graph knows (issue 19): ``graph_features``.
    *GRAPH_FEATURES,
)


#: Which way a feature may move each label's logit in the model's linear path, as
#: ``(dormant, core_loss)``: ``-1`` more of it never *raises* that risk, ``+1`` never lowers
#: it, features not named are free. Why: on ~124 dormant snapshots of collinear features an
#: unconstrained regression gave, e.g., a higher truck factor and an active key person a
#: *positive* dormant weight, so `explain` would say "3 key people (raises risk)" and a what-if
#: that removed a key person read as lower risk. Only directions the health literature and
#: common sense agree on, *other things equal*, are fixed: activity and spread of work lower
#: dormancy; silence, concentration and idle key people raise it. A bound only stops a wrong
#: sign — where the data disagree the weight becomes 0, it is never pushed the other way
#: (`TrainConfig.sign_priors`; measured in docs/model-history.md, fifth round).
SIGN_PRIORS: dict[str, tuple[int, int]] = {
    "log_commits_12m": (-1, 0),
    "log_commits_3m": (-1, 0),
    "log_authors_12m": (-1, 0),
    "retention": (-1, 0),
    "top1_share": (1, 0),
    "hhi": (1, 0),
    "log_bus_factor_12m": (-1, 0),
    "months_active_12m": (-1, 0),
    "log_days_since_last": (1, 1),
    "log_lines_12m": (-1, 0),
    "log_top1_days_since_last": (1, 0),
    "log_truck_factor": (-1, -1),
    "key_share_12m": (0, -1),
    "key_active_3m": (-1, -1),
    "log_key_max_days_since": (1, 1),
    "log_commits_6m": (-1, 0),
    "log_longest_gap_12m": (1, 0),
    "log_authors_3m": (-1, 0),
}


def sign_priors(label: int) -> list[int]:
    """The ``SIGN_PRIORS`` of label ``label`` (0 dormant, 1 core loss), in ``FEATURES`` order."""
    return [SIGN_PRIORS.get(f, (0, 0))[label] for f in FEATURES]


#: Features of a neighbouring project node in the portfolio graph.
OTHER_PROJECT_FEATURES: tuple[str, ...] = (
    "log_commits_12m",
    "commit_trend",
    "log_authors_12m",
    "top1_share",
    "log_days_since_last",
)

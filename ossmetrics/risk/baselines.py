"""Baselines the GNN must beat, re-implemented from their documentation on the store's signals.

Every baseline is a *score* (higher = riskier) computed from the same snapshot row the GNN
sees; ``evaluate`` turns a score into a probability with a one-feature logistic fit on the
training folds only (ranking metrics are unchanged by it; the Brier score needs it).

* **Activity trend**: the fall in commits, last 12 months against the 12 before.
* **CHAOSS bus factor** (https://chaoss.community/kb/metric-bus-factor/): fewest people making
  50% of the commits up to T (the graph stage's ``bus_factor_all_history``); fewer = riskier.
* **OpenSSF criticality_score** (github.com/ossf/criticality_score, README and
  ``config/scorer/original_pike.yml``, Rob Pike's algorithm): weighted arithmetic mean of
  ``log(1 + S_i) / log(1 + max(S_i, T_i))`` with the published weights α_i and thresholds T_i;
  a signal where smaller is better enters as ``1 - normalised``. Signals: created_since (1,
  120 months), updated_since (1, 120, smaller better), contributor_count (2, 5000),
  org_count (1, 10), commit_frequency (1, 1000 commits/week over the last year),
  recent_release_count (0.5, 26), updated_issues_count (0.5, 5000), closed_issues_count
  (0.5, 5000), issue_comment_frequency (1, 15), github_mention_count (2, 500000). The store has
  no mention or dependents count (0) and, for git-only stores, no issues or releases (0); the
  score is critical-ness, so risk = 1 - score.
* **LFX Insights-style dependency** (insights.linuxfoundation.org: "N contributors account for
  51%+ of contributions", and the same for organisations): the fewest contributors making 51%
  of the last 12 months' commits; organisations likewise where ``people.organization`` is known,
  else each person counts as their own organisation. Risk = mean of 1/contributor dependency and
  1/organisation dependency.
* **OSS Compass-style activity** (oss-compass/docs, metrics-models/robustness/activity.md): the
  AHP weights of its Activity model over the metrics we can compute — contributor count 90 days
  (18.01%, 2000), commit frequency per week over 90 days (18.01%, 1000), updated since in months
  (12.74%, 0.25, smaller better), organisation count 90 days (11.50%, 10), created since months
  (7.77%, 120), issue comment frequency (7.77%, 5), code review count (4.92%, 8), updated issues
  90 days (4.92%, 2500), recent releases one year (3.18%, 12) — normalised like criticality_score.
  Risk = 1 - activity.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = ["SCORE_BASELINES", "compass_activity", "criticality_score", "lfx_dependency"]


def _norm(s: np.ndarray, threshold: float, smaller_is_better: bool = False) -> np.ndarray:
    s = np.clip(np.nan_to_num(s.astype(float)), 0, None)
    v: np.ndarray = np.log1p(s) / np.log1p(np.maximum(s, threshold))
    return 1 - v if smaller_is_better else v


def _weighted(parts: list[tuple[float, np.ndarray]]) -> np.ndarray:
    total = sum(w for w, _ in parts)
    return sum(w * v for w, v in parts) / total  # type: ignore[return-value]


def criticality_score(r: pd.DataFrame) -> np.ndarray:
    months = 365.25 / 12
    orgs = r["orgs_12m"].to_numpy(float)
    comments = r["comments_90d"].to_numpy(float)
    issues = r["updated_issues_90d"].to_numpy(float)
    return _weighted(
        [
            (1, _norm(r["age_years"].to_numpy(float) * 12, 120)),
            (1, _norm(r["days_since_last"].to_numpy(float) / months, 120, True)),
            (2, _norm(r["authors_all"].to_numpy(float), 5000)),
            (1, _norm(orgs, 10)),
            (1, _norm(r["commits_12m"].to_numpy(float) / 52.18, 1000)),
            (0.5, _norm(r["releases_12m"].to_numpy(float), 26)),
            (0.5, _norm(issues, 5000)),
            (0.5, _norm(r["closed_issues_90d"].to_numpy(float), 5000)),
            (1, _norm(np.where(issues > 0, comments / np.maximum(issues, 1), 0), 15)),
            (2, _norm(np.zeros(len(r)), 500000)),
        ]
    )


def compass_activity(r: pd.DataFrame) -> np.ndarray:
    months = 365.25 / 12
    issues = r["updated_issues_90d"].to_numpy(float)
    pulls = r["pulls_90d"].to_numpy(float)
    return _weighted(
        [
            (18.009, _norm(r["authors_90d"].to_numpy(float), 2000)),
            (18.009, _norm(r["commits_3m"].to_numpy(float) / 13.0, 1000)),
            (12.742, _norm(r["days_since_last"].to_numpy(float) / months, 0.25, True)),
            (11.501, _norm(r["orgs_12m"].to_numpy(float), 10)),
            (7.768, _norm(r["age_years"].to_numpy(float) * 12, 120)),
            (7.768, _norm(np.where(issues > 0, r["comments_90d"] / np.maximum(issues, 1), 0), 5)),
            (
                4.919,
                _norm(np.where(pulls > 0, r["review_comments_90d"] / np.maximum(pulls, 1), 0), 8),
            ),
            (4.919, _norm(issues, 2500)),
            (3.177, _norm(r["releases_12m"].to_numpy(float), 12)),
        ]
    )


def lfx_dependency(r: pd.DataFrame) -> np.ndarray:
    contrib = np.maximum(r["dependency_51_12m"].to_numpy(float), 1)
    orgs = r["orgs_12m"].to_numpy(float)
    org_dep = np.where(orgs > 0, np.maximum(orgs, 1), contrib)
    return np.asarray(0.5 * (1 / contrib + 1 / org_dep), dtype=float)


SCORE_BASELINES: dict[str, Callable[[pd.DataFrame], np.ndarray]] = {
    "Activity trend (12 m vs prior 12 m)": lambda r: -r["commit_trend"].to_numpy(float),
    "CHAOSS bus factor": lambda r: (
        -r["bus_factor_all_history"].fillna(r["bus_factor_12m"]).to_numpy(float)
    ),
    "OpenSSF criticality_score": lambda r: 1 - criticality_score(r),
    "LFX Insights-style dependency": lfx_dependency,
    "OSS Compass-style activity": lambda r: 1 - compass_activity(r),
}

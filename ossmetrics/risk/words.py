"""Plain-words sentences for the model's features, from a snapshot's raw numbers.

A funder reads "71% of last year's commits came from one person who also carries 3 other
tracked projects", not "top1_share = 0.71". Each feature has one sentence built from the raw
signals of the same snapshot row, so the sentence states facts and the attribution only decides
which facts are shown and whether they raise or lower the risk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["describe_feature"]


def _n(x: Any) -> int:
    try:
        return round(float(x))
    except (TypeError, ValueError):
        return 0


def _f(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return 0.0


def _people(k: int) -> str:
    return f"{k} person" if k == 1 else f"{k} people"


def _projects(k: int) -> str:
    return f"{k} other tracked project" + ("" if k == 1 else "s")


def _top1(r: Mapping[str, Any]) -> str:
    text = f"{_f(r['top1_share']):.0%} of last year's commits came from one person"
    k = _n(r.get("top1_other_projects"))
    return text + (f" who also carries {_projects(k)}" if k else "")


_TEXT: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "log_commits_12m": lambda r: f"{_n(r['commits_12m'])} commits in the last 12 months",
    "log_commits_prev_12m": lambda r: (
        f"{_n(r['commits_prev_12m'])} commits in the 12 months before that"
    ),
    "log_commits_3m": lambda r: f"{_n(r['commits_3m'])} commits in the last 3 months",
    "commit_trend": lambda r: (
        f"commits went from {_n(r['commits_prev_12m'])} to {_n(r['commits_12m'])} a year"
    ),
    "recent_trend": lambda r: (
        f"{_n(r['commits_3m'])} commits in the last 3 months against {_n(r['commits_12m'])} in the last 12"
    ),
    "log_authors_12m": lambda r: f"{_people(_n(r['authors_12m']))} committed in the last year",
    "author_trend": lambda r: (
        f"{_people(_n(r['authors_12m']))} committed in the last year, {_n(r['authors_prev_12m'])} the year before"
    ),
    "newcomer_share": lambda r: f"{_n(r['newcomers_12m'])} newcomers in the last year",
    "retention": lambda r: (
        f"{_n(r['retained'])} of the {_n(r['authors_prev_12m'])} people active the year before stayed"
    ),
    "top1_share": _top1,
    "hhi": _top1,
    "log_bus_factor_12m": lambda r: (
        f"half of last year's commits came from {_people(_n(r['bus_factor_12m']))}"
    ),
    "months_active_12m": lambda r: f"commits in {_n(r['months_active'])} of the last 12 months",
    "log_days_since_last": lambda r: (
        f"last commit {_n(r['days_since_last'])} days before the score date"
    ),
    "log_age_years": lambda r: f"the project is {_f(r['age_years']):.1f} years old",
    "log_lines_12m": lambda r: f"{_n(r['lines_12m']):,} lines changed in the last year",
    "top1_tenure_years": lambda r: (
        f"the main author has been committing for {_f(r['top1_tenure_years']):.1f} years"
    ),
    "log_top1_days_since_last": lambda r: (
        f"the main author's last commit was {_n(r['top1_days_since'])} days before the score date"
    ),
    "log_top1_other_projects": lambda r: (
        f"the main author is also active in {_projects(_n(r['top1_other_projects']))}"
    ),
    "log_mean_other_projects": lambda r: (
        f"{_f(r['shared_people_share']):.0%} of last year's commits came from people who also work on other tracked projects"
    ),
    "shared_people_share": lambda r: (
        f"{_f(r['shared_people_share']):.0%} of last year's commits came from people who also work on other tracked projects"
    ),
    "log_truck_factor": lambda r: (
        f"truck factor {_n(r['truck_factor'])}: {_people(_n(r['truck_factor']))} know most of the code"
    ),
    "key_share_12m": lambda r: (
        f"the key people made {_f(r['key_share_12m']):.0%} of last year's commits"
    ),
    "key_active_3m": lambda r: (
        f"{_f(r['key_active_3m']):.0%} of the key people committed in the last 3 months"
    ),
    "log_key_max_days_since": lambda r: (
        f"the least active key person last committed {_n(r['key_max_days_since'])} days before the score date"
    ),
    "log_key_other_projects": lambda r: (
        f"a key person also works on {_projects(_n(r['key_other_projects']))}"
    ),
    "median_tenure_years": lambda r: (
        f"the median active contributor started {_f(r['median_tenure_years']):.1f} years ago"
    ),
}


#: Shares of last year's commits: with no commit in the last year there is nothing to share out,
#: and "half of last year's commits came from 0 people" would be nonsense.
_SHARE_OF_LAST_YEAR = frozenset(
    {
        "top1_share",
        "hhi",
        "log_bus_factor_12m",
        "log_mean_other_projects",
        "shared_people_share",
        "key_share_12m",
        "newcomer_share",
    }
)


def describe_feature(name: str, row: Mapping[str, Any], contribution: float) -> str:
    """``"<fact> (raises risk)"`` or ``"(lowers risk)"`` by the sign of ``contribution``."""
    fn = _TEXT.get(name)
    try:
        if name in _SHARE_OF_LAST_YEAR and _n(row["commits_12m"]) == 0:
            fact = "nobody committed in the last 12 months"
        else:
            fact = fn(row) if fn else name
    except KeyError:
        fact = name
    return f"{fact} ({'raises' if contribution > 0 else 'lowers'} risk)"

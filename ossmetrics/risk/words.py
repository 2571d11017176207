"""Plain-words sentences for the model's features, from a snapshot's raw numbers.

A funder reads "71% of last year's commits came from one person who also carries 3 other
tracked projects", not "top1_share = 0.71". Each feature has one sentence built from the raw
signals of the same snapshot row, so the sentence states facts and the attribution only decides
which facts are shown and whether they raise or lower the risk.

**Facts, not features.** Several features describe one fact (commits in the last 3 months,
and their ratio to the 12-month pace; top-person share, HHI and bus factor). Their
attributions split that fact's effect between them arbitrarily — a regression on collinear
inputs can give one a large positive weight and its twin a smaller negative one — so listing
them one by one printed "0 commits in the last 3 months (raises risk)" next to "0 commits in the
last 3 months against 10 in the last 12 (lowers risk)". ``drivers`` therefore sums the
integrated-gradient attributions over each fact's features (they are additive, so the sum is
the fact's exact share of the logit) and states each fact once, with the sign of the sum. A
project with no commit in the last year has one fact where its activity and share features
were: nobody committed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["FACTS", "describe_feature", "drivers"]


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


def _days(x: Any) -> str:
    k = _n(x)
    return f"{k} day" if k == 1 else f"{k} days"


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
        f"last commit {_days(r['days_since_last'])} before the score date"
    ),
    "log_age_years": lambda r: f"the project is {_f(r['age_years']):.1f} years old",
    "log_lines_12m": lambda r: f"{_n(r['lines_12m']):,} lines changed in the last year",
    "top1_tenure_years": lambda r: (
        f"the main author has been committing for {_f(r['top1_tenure_years']):.1f} years"
    ),
    "log_top1_days_since_last": lambda r: (
        f"the main author's last commit was {_days(r['top1_days_since'])} before the score date"
    ),
    "log_top1_other_projects": lambda r: (
        f"the main author is also active in {_projects(_n(r['top1_other_projects']))}"
        if _n(r["top1_other_projects"])
        else "the main author works on no other tracked project"
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
        f"the least active key person last committed {_days(r['key_max_days_since'])} before the score date"
    ),
    "log_key_other_projects": lambda r: (
        f"a key person also works on {_projects(_n(r['key_other_projects']))}"
        if _n(r["key_other_projects"])
        else "no key person works on another tracked project"
    ),
    "median_tenure_years": lambda r: (
        f"the median active contributor started {_f(r['median_tenure_years']):.1f} years ago"
    ),
    "log_commits_6m": lambda r: f"{_n(r['commits_6m'])} commits in the last 6 months",
    "half_trend": lambda r: (
        f"{_n(r['commits_6m'])} commits in the last 6 months, {_n(r['commits_prev_6m'])} in the 6 before"
    ),
    "monthly_slope": lambda r: (
        "monthly commits "
        + ("rose" if _f(r["monthly_slope"]) > 0 else "fell")
        + " over the last year"
    ),
    "log_longest_gap_12m": lambda r: (
        f"the longest stretch without a commit in the last year was {_days(r['longest_gap_12m'])}"
    ),
    "log_authors_3m": lambda r: f"{_people(_n(r['authors_90d']))} committed in the last 3 months",
    "key_trend": lambda r: (
        f"the key people made {_n(r['key_c12'])} commits here in the last year, {_n(r['key_cprev'])} the year before"
    ),
    "key_recent_share": lambda r: (
        f"the key people made {_f(r['key_recent_share']):.0%} of the last 3 months' commits"
    ),
    "key_other_load": lambda r: (
        f"the key people make about {_n(np.expm1(_f(r['key_other_load'])))} commits a year each on other tracked projects"
    ),
    "key_other_trend": lambda r: (
        f"the key people's commits to other tracked projects changed ×{np.exp(_f(r['key_other_trend'])):.1f} on the year before"
    ),
    "top1_focus_shift": lambda r: (
        f"the main author's share of their own work going to this project moved {_f(r['top1_focus_shift']):+.0%} in a year"
    ),
    "arrivals_from_neighbours": lambda r: (
        f"{_f(r['arrivals_from_neighbours']):.0%} of last year's newcomers came from other tracked projects"
    ),
    "leavers_to_neighbours": lambda r: (
        f"{_f(r['leavers_to_neighbours']):.0%} of the year before's people left for other tracked projects"
    ),
    "source_trend": lambda r: (
        f"the other projects this project's people work on changed their commits ×{np.exp(_f(r['source_trend'])):.1f} in a year"
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


#: Facts a driver can state, each with the features whose attributions it sums (every feature
#: is in exactly one fact; ``tests/risk/test_words.py`` checks). The first feature's sentence
#: is the one shown, except where ``_FACT_TEXT`` words the fact as a whole.
FACTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("recent_commits", ("log_commits_3m", "recent_trend")),
    ("half_year", ("log_commits_6m", "half_trend", "monthly_slope")),
    ("longest_silence", ("log_longest_gap_12m",)),
    ("yearly_commits", ("log_commits_12m", "log_commits_prev_12m", "commit_trend")),
    ("last_commit", ("log_days_since_last",)),
    ("active_months", ("months_active_12m",)),
    ("people", ("log_authors_12m", "author_trend", "log_authors_3m")),
    ("newcomers", ("newcomer_share",)),
    ("retention", ("retention",)),
    ("concentration", ("top1_share", "hhi", "log_bus_factor_12m")),
    ("lines", ("log_lines_12m",)),
    ("age", ("log_age_years",)),
    ("main_author_tenure", ("top1_tenure_years",)),
    ("main_author_idle", ("log_top1_days_since_last",)),
    ("main_author_elsewhere", ("log_top1_other_projects",)),
    ("shared_people", ("log_mean_other_projects", "shared_people_share")),
    ("truck_factor", ("log_truck_factor",)),
    ("key_share", ("key_share_12m",)),
    ("key_activity", ("key_active_3m", "log_key_max_days_since", "key_trend", "key_recent_share")),
    ("key_elsewhere", ("log_key_other_projects",)),
    ("median_tenure", ("median_tenure_years",)),
    ("key_people_elsewhere", ("key_other_load", "key_other_trend")),
    ("main_author_focus", ("top1_focus_shift",)),
    ("arrivals", ("arrivals_from_neighbours",)),
    ("leavers", ("leavers_to_neighbours",)),
    ("neighbour_health", ("source_trend",)),
)


def _concentration(r: Mapping[str, Any]) -> str:
    k = _n(r["bus_factor_12m"])
    if k <= 1:  # one person made half or more: the share says it all
        return _top1(r)
    text = (
        f"half of last year's commits came from {_people(k)}, "
        f"{_f(r['top1_share']):.0%} from the most active one"
    )
    other = _n(r.get("top1_other_projects"))
    return text + (f", who also carries {_projects(other)}" if other else "")


_FACT_TEXT: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "recent_commits": lambda r: (
        f"{_n(r['commits_3m'])} commits in the last 3 months, {_n(r['commits_12m'])} in the last 12"
    ),
    "half_year": lambda r: (
        f"{_n(r['commits_6m'])} commits in the last 6 months, {_n(r['commits_prev_6m'])} in the 6 before"
    ),
    "yearly_commits": lambda r: (
        f"{_n(r['commits_12m'])} commits in the last 12 months, {_n(r['commits_prev_12m'])} in the 12 before"
    ),
    "concentration": lambda r: _concentration(r),
    "key_activity": lambda r: (
        f"{_f(r['key_active_3m']):.0%} of the key people committed in the last 3 months; the least "
        f"active last committed {_days(r['key_max_days_since'])} before the score date"
    ),
}

#: With no commit in the last 12 months these facts all say the same thing.
_IDLE_YEAR = frozenset(
    {
        "recent_commits",
        "half_year",
        "longest_silence",
        "yearly_commits",
        "last_commit",
        "active_months",
        "people",
        "newcomers",
        "retention",
        "concentration",
        "lines",
        "shared_people",
        "key_share",
    }
)


def _fact_sentence(
    key: str, features: tuple[str, ...], row: Mapping[str, Any], effect: float
) -> str:
    fn = _FACT_TEXT.get(key)
    if fn is None:
        return describe_feature(features[0], row, effect)
    try:
        fact = fn(row)
    except KeyError:
        return describe_feature(features[0], row, effect)
    return f"{fact} ({'raises' if effect > 0 else 'lowers'} risk)"


def drivers(
    row: Mapping[str, Any],
    attribution: Sequence[float] | np.ndarray,
    features: Sequence[str],
    top: int,
) -> list[tuple[str, float, str]]:
    """The ``top`` facts with the largest summed attribution: ``(fact, effect, sentence)``.

    A fact whose attribution is 0 neither raises nor lowers the risk and is never shown.

    ``attribution[j]`` belongs to ``features[j]``; a feature in no fact is its own fact.
    """
    index = {f: j for j, f in enumerate(features)}
    attr = np.asarray(attribution, dtype=float)
    groups: list[tuple[str, tuple[str, ...]]] = [
        (k, tuple(f for f in fs if f in index)) for k, fs in FACTS
    ]
    known = {f for _, fs in groups for f in fs}
    groups += [(f, (f,)) for f in features if f not in known]
    idle = _n(row.get("commits_12m")) == 0
    out: list[tuple[str, float, str]] = []
    if idle:
        merged = tuple(f for k, fs in groups if k in _IDLE_YEAR for f in fs)
        groups = [("idle_year", merged)] + [(k, fs) for k, fs in groups if k not in _IDLE_YEAR]
    for key, fs in groups:
        if not fs:
            continue
        effect = float(sum(attr[index[f]] for f in fs))
        if abs(effect) < 1e-9:  # e.g. every weight of the fact pinned at 0 by a sign bound
            continue
        if key == "idle_year":
            text = (
                f"nobody committed in the last 12 months; last commit "
                f"{_days(row.get('days_since_last'))} before the score date "
                f"({'raises' if effect > 0 else 'lowers'} risk)"
            )
        else:
            text = _fact_sentence(key, fs, row, effect)
        out.append((key, effect, text))
    out.sort(key=lambda t: -abs(t[1]))
    return out[:top]

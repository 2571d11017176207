"""When a project is scored, and until when the store can tell what happened next.

The prediction task (docs/risk.md) scores a project at a date T from what was known at T and
labels it from the 12 months after T. Three questions need one answer each, here:

* **The cut.** T is a calendar date; "known at T" means committed on or before that day (UTC),
  i.e. ``committed_at < cut`` with ``cut = T + 1 day`` — the same rule as the graph stage's
  ``truck_factor(as_of=date)``.
* **The snapshot grid.** Every 6 months, anchored on the store's data end E:
  ``T_k = E - 12 months - 6k months``, so the most recent labelled snapshot uses all the data.
  All projects share the grid, so the portfolio graph at T links projects at the same date.
* **The data end.** Which 12-month windows lie inside the data. A repository's last commit is
  *not* its data end: a dormant project's last commit is exactly the thing we must not mistake
  for the end of observation. We use the **global** data end (the newest non-bot commit in the
  store) for every repository, except one whose history stops abruptly while it was busy
  (≥ ``TRUNCATION_COMMITS_90D`` non-bot commits in the 90 days before its last commit, and that
  last commit more than 30 days before the global end): such a stop is a snapshot taken early
  (corpus README caveat 2: cli/cli and facebook/zstd end 2024-10-24), not a project going quiet,
  so its data end is its last commit. Busy projects do not fall silent overnight; projects that
  are archived taper first (measured on the corpus: the flagged ones are listed by
  ``repo_data_ends``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import duckdb

__all__ = [
    "HORIZON_MONTHS",
    "MIN_COMMITS_AFTER",
    "MIN_COMMITS_BEFORE",
    "STEP_MONTHS",
    "TRUNCATION_COMMITS_90D",
    "YOUNG_STEP_MONTHS",
    "YOUNG_YEARS",
    "DataEnds",
    "add_months",
    "repo_data_ends",
    "snapshot_grid",
]

#: Eligibility: at least this many non-bot commits in the 12 months before T.
MIN_COMMITS_BEFORE = 10
#: Dormant: fewer than this many non-bot commits in the 12 months after T.
MIN_COMMITS_AFTER = 5
HORIZON_MONTHS = 12
STEP_MONTHS = 6
#: A project is *young* at T when its first non-bot commit is less than this many years before
#: T. Young projects get snapshots every ``YOUNG_STEP_MONTHS`` (a finer grid that contains the
#: 6-month one), so that they make up about a quarter or more of the labelled snapshots: funders
#: meet most projects young, and a 6-month grid gives a project at most 4 young snapshots
#: against ~20 older ones (17.7% young on the shared corpus).
YOUNG_YEARS = 2.0
YOUNG_STEP_MONTHS = 3
#: A repository this busy in the 90 days before its last commit is taken to end early.
TRUNCATION_COMMITS_90D = 90

#: The store's ``human_commits`` view (migration 0210: the metrics' and graphs' definition of
#: a non-bot person's commit), merges kept — the labels count "non-bot commits" and a merge is
#: maintainer work — and the corpus' bogus 1970 dates left out.
NONBOT_COMMITS_SQL = """
SELECT c.repo_id, c.person_id, c.committed_at AS ts, c.sha,
       coalesce(c.lines_added, 0) + coalesce(c.lines_deleted, 0) AS lines
FROM human_commits c
WHERE c.committed_at > TIMESTAMPTZ '1990-01-01'
"""


def add_months(d: date, months: int) -> date:
    """``d`` shifted by whole months, clamped to the month's last day (Aug 31 - 6 = Feb 28)."""
    m = d.month - 1 + months
    y = d.year + m // 12
    m = m % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(y, m, min(d.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class DataEnds:
    """The global data end and each repository's own (``per_repo[repo_id]``), as dates."""

    global_end: date | None
    per_repo: dict[int, date]
    truncated: dict[int, date]

    def for_repo(self, repo_id: int) -> date | None:
        return self.per_repo.get(repo_id, self.global_end)


def repo_data_ends(con: duckdb.DuckDBPyConnection) -> DataEnds:
    """Global end, and the repositories whose snapshot ends early (see module doc)."""
    rows = con.execute(
        f"""
        WITH c AS ({NONBOT_COMMITS_SQL}),
        l AS (SELECT repo_id, max(ts) AS last FROM c GROUP BY 1),
        g AS (SELECT max(last) AS g FROM l)
        SELECT l.repo_id, l.last::DATE, g.g::DATE,
               count(*) FILTER (WHERE c.ts > l.last - INTERVAL 90 DAY) AS n90
        FROM l JOIN c USING (repo_id), g
        GROUP BY ALL
        """
    ).fetchall()
    if not rows:
        return DataEnds(None, {}, {})
    global_end = rows[0][2]
    per_repo: dict[int, date] = {}
    truncated: dict[int, date] = {}
    for repo_id, last, g, n90 in rows:
        per_repo[int(repo_id)] = g
        if n90 >= TRUNCATION_COMMITS_90D and (g - last) > timedelta(days=30):
            per_repo[int(repo_id)] = last
            truncated[int(repo_id)] = last
    return DataEnds(global_end, per_repo, truncated)


def snapshot_grid(end: date, first: date, *, step_months: int = STEP_MONTHS) -> list[date]:
    """Labelled snapshot dates ``end - 12m - k*step`` back to ``first``, oldest first."""
    out = []
    d = add_months(end, -HORIZON_MONTHS)
    k = 0
    while d >= first:
        out.append(d)
        k += 1
        d = add_months(add_months(end, -HORIZON_MONTHS), -step_months * k)
    return sorted(out)


def cut_of(as_of: date) -> datetime:
    """The exclusive upper bound on ``committed_at`` for "known at ``as_of``" (UTC midnight)."""
    from datetime import time

    return datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC)

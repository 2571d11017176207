"""The OpenSSF criticality_score, computed from our store, shown as a baseline beside our lenses.

Its published formula (Rob Pike's, as the ``criticality_score`` project documents it) is
``C = 1/Σα_i · Σ α_i · log(1+S_i) / log(1+max(S_i, T_i))`` with these signals, weights α and
thresholds T:

====================== ====== ========= ==============================================
signal                 weight threshold  from our store
====================== ====== ========= ==============================================
created_since (months)    1      120     first commit
updated_since (months)   -1      120     last commit
contributor_count         2     5000     distinct human authors, all time
org_count                 1       10     distinct organisations of those authors
commit_frequency          1     1000     commits a week over the last year
recent_releases_count    0.5      26     releases in the last year (GitHub collected)
closed_issues_count      0.5    5000     issues closed in the last 90 days (GitHub)
updated_issues_count     0.5    5000     issues updated in the last 90 days (GitHub)
comment_frequency         1       15     comments per issue, last 90 days (GitHub)
dependents_count          2   500000     not in our store: left out with its weight
====================== ====== ========= ==============================================

Signals a repository has no data for are left out with their weight (Σα over those present),
and the result is clipped to [0, 1] and shown x100. "Now" is the newest commit in the store,
so a historical sample is scored as of its own end. It measures activity and attention — the
point of printing it is that readers see it is not our importance.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

__all__ = ["PARAMS", "criticality_scores"]

PARAMS = {
    "created_since": (1.0, 120.0),
    "updated_since": (-1.0, 120.0),
    "contributor_count": (2.0, 5000.0),
    "org_count": (1.0, 10.0),
    "commit_frequency": (1.0, 1000.0),
    "recent_releases_count": (0.5, 26.0),
    "closed_issues_count": (0.5, 5000.0),
    "updated_issues_count": (0.5, 5000.0),
    "comment_frequency": (1.0, 15.0),
}


def score(signals: dict[str, float | None]) -> float | None:
    """criticality_score (0-100) of one repository's signals; None when none is known."""
    num = den = 0.0
    for name, (alpha, threshold) in PARAMS.items():
        v = signals.get(name)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        v = max(float(v), 0.0)
        num += alpha * math.log1p(v) / math.log1p(max(v, threshold))
        den += abs(alpha)
    if den == 0:
        return None
    return round(100 * min(1.0, max(0.0, num / den)), 2)


def criticality_scores(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """repo, criticality (0-100) and its signals, for every repository with commits."""
    df = con.execute(
        """
        WITH ref AS (SELECT max(authored_at) AS now FROM human_commits),
        c AS (
            SELECT repo_id,
                   datediff('day', min(authored_at), (SELECT now FROM ref)) / 30.44 AS created_since,
                   datediff('day', max(authored_at), (SELECT now FROM ref)) / 30.44 AS updated_since,
                   count(DISTINCT person_id) AS contributor_count,
                   count(DISTINCT organization) AS org_count,
                   count(*) FILTER (WHERE authored_at > (SELECT now FROM ref) - INTERVAL 365 DAY) / 52.0
                       AS commit_frequency
            FROM human_commits WHERE NOT is_merge GROUP BY repo_id
        ),
        gh AS (SELECT DISTINCT repo_id FROM sync_state WHERE source = 'github'),
        rel AS (
            SELECT repo_id, count(*) AS n FROM releases
            WHERE published_at > (SELECT now FROM ref) - INTERVAL 365 DAY GROUP BY repo_id
        ),
        iss AS (
            SELECT repo_id,
                   count(*) FILTER (WHERE closed_at > (SELECT now FROM ref) - INTERVAL 90 DAY) AS closed,
                   count(*) FILTER (WHERE updated_at > (SELECT now FROM ref) - INTERVAL 90 DAY) AS updated,
                   sum(comments) FILTER (WHERE updated_at > (SELECT now FROM ref) - INTERVAL 90 DAY) AS cm
            FROM issues WHERE NOT is_pull GROUP BY repo_id
        )
        SELECT r.full_name AS repo, c.*,
               CASE WHEN gh.repo_id IS NOT NULL THEN coalesce(rel.n, 0) END AS recent_releases_count,
               CASE WHEN gh.repo_id IS NOT NULL THEN coalesce(iss.closed, 0) END AS closed_issues_count,
               CASE WHEN gh.repo_id IS NOT NULL THEN coalesce(iss.updated, 0) END AS updated_issues_count,
               CASE WHEN gh.repo_id IS NOT NULL AND iss.updated > 0 THEN iss.cm / iss.updated END
                   AS comment_frequency
        FROM c JOIN repos r USING (repo_id)
        LEFT JOIN gh USING (repo_id) LEFT JOIN rel USING (repo_id) LEFT JOIN iss USING (repo_id)
        ORDER BY repo
        """
    ).df()
    if df.empty:
        return pd.DataFrame(columns=["repo", "criticality"])
    df["criticality"] = [
        score({k: (None if pd.isna(r[k]) else float(r[k])) for k in PARAMS})
        for _, r in df.iterrows()
    ]
    return df

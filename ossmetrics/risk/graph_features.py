"""Project features that only the store-wide contributor graph knows (issue 19).

A project's own history says how busy it is; these say what its people are doing *elsewhere*,
read from the ``_rk_*`` temp tables ``feature_tables.build_project_table`` leaves (same cut: nothing
at or after T). They are appended to ``features.FEATURES``; only the GNN sees them (the network
without the graph has them masked to zero by its normaliser), so the paired GNN − no-graph
difference of the evaluation measures them together with message passing. All six were written
down before the first run; none was selected on a result.
"""

from __future__ import annotations

__all__ = ["GRAPH_FEATURES", "GRAPH_SQL"]

#: The project features read from *other* projects through shared people — the portfolio
#: graph at T, not the project's own history: its key people's load on their other projects
#: (mean log1p commits there in the last 12 months) and its trajectory (log ratio of those
#: commits, last 12 months against the 12 before); the top person's focus shift (share of
#: their own commits going to this project now minus a year before); the share of last year's
#: newcomers who came from another project of the store, and of the year before's people who
#: stopped here but are active elsewhere; and the health of the projects the people come from
#: (commit-weighted mean commit trend of the other projects they work on). The network without
#: the graph does not see them (``TrainConfig.use_graph=False`` zeroes them), so the paired
#: GNN − no-graph difference measures them together with message passing.
GRAPH_FEATURES: tuple[str, ...] = (
    "key_other_load",
    "key_other_trend",
    "top1_focus_shift",
    "arrivals_from_neighbours",
    "leavers_to_neighbours",
    "source_trend",
)


GRAPH_SQL = """
WITH rt AS (  -- each project's own commit trend at T (context for its neighbours)
    SELECT repo_id, as_of, ln((sum(n12) + 1) / (sum(nprev) + 1)) AS trend
    FROM _rk_sp GROUP BY ALL
),
arrivals AS (  -- newcomers of the last 12 months who had committed to another project before
    SELECT sp.repo_id, sp.as_of,
           count(*) AS newcomers,
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM _rk_first f2 WHERE f2.person_id = sp.person_id
                 AND f2.repo_id <> sp.repo_id AND f2.first_ts < sp.first_ts)) AS from_neighbours
    FROM _rk_sp sp
    WHERE sp.n12 > 0 AND sp.first_ts >= sp.cut - INTERVAL 12 MONTH
    GROUP BY ALL
),
leavers AS (  -- last year's people who stopped here, and those of them active elsewhere now
    SELECT sp.repo_id, sp.as_of,
           count(*) FILTER (WHERE sp.nprev > 0) AS prev_people,
           count(*) FILTER (WHERE sp.nprev > 0 AND sp.n12 = 0 AND x.other12 > 0) AS to_neighbours
    FROM _rk_sp sp JOIN _rk_spx x USING (repo_id, as_of, person_id)
    GROUP BY ALL
),
source AS (  -- trend of the other projects this project's active people work on, by their commits here
    SELECT a.repo_id, a.as_of, sum(a.n12 * rt.trend) / sum(a.n12) AS source_trend
    FROM _rk_sp a
    JOIN _rk_sp b ON b.as_of = a.as_of AND b.person_id = a.person_id AND b.repo_id <> a.repo_id
                 AND (b.n12 > 0 OR b.nprev > 0)
    JOIN rt ON rt.repo_id = b.repo_id AND rt.as_of = b.as_of
    WHERE a.n12 > 0
    GROUP BY ALL
),
keyload AS (  -- key people's work on their other projects: how much, and which way it moves
    SELECT k.repo_id, k.as_of,
           avg(ln(1 + coalesce(x.other_commits12, 0))) AS key_other_load,
           avg(ln((coalesce(x.other_commits12, 0) + 1) / (coalesce(x.other_commits_prev12, 0) + 1))) AS key_other_trend
    FROM _rk_keys k LEFT JOIN _rk_spx x USING (repo_id, as_of, person_id)
    GROUP BY ALL
),
focus AS (  -- the top person's share of their own work that goes to this project, now vs a year before
    SELECT sp.repo_id, sp.as_of,
           sp.n12 / (sp.n12 + x.other_commits12 + 1e-9)
             - CASE WHEN sp.nprev + x.other_commits_prev12 > 0
                    THEN sp.nprev / (sp.nprev + x.other_commits_prev12) ELSE 1.0 END AS top1_focus_shift
    FROM _rk_sp sp JOIN _rk_spx x USING (repo_id, as_of, person_id)
    QUALIFY row_number() OVER (PARTITION BY sp.repo_id, sp.as_of ORDER BY sp.n12 DESC, sp.nprev DESC, sp.first_ts, sp.person_id) = 1
)
SELECT s.repo_id, s.as_of,
       coalesce(kl.key_other_load, 0) AS key_other_load,
       coalesce(kl.key_other_trend, 0) AS key_other_trend,
       coalesce(fo.top1_focus_shift, 0) AS top1_focus_shift,
       coalesce(ar.from_neighbours / nullif(ar.newcomers, 0), 0) AS arrivals_from_neighbours,
       coalesce(le.to_neighbours / nullif(le.prev_people, 0), 0) AS leavers_to_neighbours,
       coalesce(so.source_trend, 0) AS source_trend
FROM _rk_s s
LEFT JOIN keyload kl ON kl.repo_id = s.repo_id AND kl.as_of = s.as_of
LEFT JOIN focus fo ON fo.repo_id = s.repo_id AND fo.as_of = s.as_of
LEFT JOIN arrivals ar ON ar.repo_id = s.repo_id AND ar.as_of = s.as_of
LEFT JOIN leavers le ON le.repo_id = s.repo_id AND le.as_of = s.as_of
LEFT JOIN source so ON so.repo_id = s.repo_id AND so.as_of = s.as_of
"""

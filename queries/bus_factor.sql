-- name: bus_factor
-- description: Contributor absence factor (the CHAOSS "bus factor"): the smallest number of
--   non-bot persons who together authored at least 50% of the commits (non-merge, by
--   committed_at) in the window (as_of - $months months, as_of]. Persons are ranked by their
--   commits in the window; ties do not change the count. One row per repository; bus_factor is
--   NULL when the window has no commits.
-- params: $repo VARCHAR, $as_of TIMESTAMPTZ = current_timestamp, $months INTEGER = 12
-- returns: repo, window_start, window_end, commits, contributors, bus_factor
-- grain: repo
-- reference: https://chaoss.community/kb/metric-contributor-absence-factor/

WITH a AS (
    SELECT $as_of AS t, timezone('UTC', timezone('UTC', $as_of) - to_months($months)) AS t0
),
r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
w AS (
    SELECT c.repo_id, c.person_id, count(*) AS n
    FROM human_commits c
    JOIN r ON r.repo_id = c.repo_id
    WHERE NOT c.is_merge
      AND c.committed_at > timezone('UTC', timezone('UTC', $as_of) - to_months($months)) AND c.committed_at <= $as_of
    GROUP BY c.repo_id, c.person_id
),
ranked AS (
    SELECT repo_id, n,
           row_number() OVER (PARTITION BY repo_id ORDER BY n DESC, person_id) AS rk,
           sum(n) OVER (PARTITION BY repo_id ORDER BY n DESC, person_id ROWS UNBOUNDED PRECEDING) AS cum,
           sum(n) OVER (PARTITION BY repo_id) AS total
    FROM w
),
agg AS (
    SELECT repo_id, max(total) AS commits, count(*) AS contributors,
           min(rk) FILTER (WHERE 2 * cum >= total) AS bus_factor
    FROM ranked GROUP BY repo_id
)
SELECT r.full_name AS repo, a.t0 AS window_start, a.t AS window_end,
       CAST(coalesce(agg.commits, 0) AS BIGINT) AS commits,
       coalesce(agg.contributors, 0) AS contributors,
       agg.bus_factor
FROM r CROSS JOIN a LEFT JOIN agg ON agg.repo_id = r.repo_id
ORDER BY repo

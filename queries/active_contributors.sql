-- name: active_contributors
-- description: Active contributors per UTC calendar month: the number of distinct non-bot
--   persons (merged identities) who authored at least one commit (non-merge, dated by
--   committed_at in UTC) in the month. Months with none between a repository's first and last
--   commit month are included with 0. $since keeps months on or after the month of that date.
-- params: $repo VARCHAR, $since DATE = NULL
-- returns: repo, month, active_contributors, commits
-- grain: repo, month
-- reference: https://chaoss.community/kb/metric-contributors/

WITH r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
c AS (
    SELECT c.repo_id, c.person_id,
           CAST(date_trunc('month', make_timestamp(epoch_us(c.committed_at))) AS DATE) AS month
    FROM human_commits c
    JOIN r ON r.repo_id = c.repo_id
    WHERE NOT c.is_merge AND c.committed_at IS NOT NULL
),
pm AS (  -- one row per person and month: counting them needs no count(DISTINCT), which Spark
          -- runs as an expansion of every commit row and two more aggregations (2x slower)
    SELECT repo_id, month, person_id, count(*) AS n FROM c GROUP BY repo_id, month, person_id
),
m AS (
    SELECT repo_id, month, count(*) AS active_contributors, sum(n) AS commits
    FROM pm GROUP BY repo_id, month
),
-- The months between a repository's first and last commit month come from m in the same pass:
-- each month with commits also stands for the empty months up to the next one (lead). Reading m
-- a second time for min/max would, on Spark, which does not reuse a CTE named twice, aggregate
-- every commit twice.
g AS (
    SELECT repo_id, month AS m0, active_contributors, commits,
           lead(month) OVER (PARTITION BY repo_id ORDER BY month) AS next_m
    FROM m
),
months AS (
    SELECT repo_id, m0, next_m, active_contributors, commits,
           CAST(unnest(generate_series(m0, coalesce(next_m, m0), INTERVAL 1 MONTH)) AS DATE) AS month
    FROM g
)
SELECT r.full_name AS repo, months.month,
       CASE WHEN months.month = months.m0 THEN months.active_contributors ELSE 0 END AS active_contributors,
       CASE WHEN months.month = months.m0 THEN months.commits ELSE 0 END AS commits
FROM months
JOIN r ON r.repo_id = months.repo_id
WHERE (months.next_m IS NULL OR months.month < months.next_m)
  AND ($since IS NULL OR months.month >= date_trunc('month', $since))
ORDER BY repo, months.month

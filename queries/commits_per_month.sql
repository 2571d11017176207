-- name: commits_per_month
-- description: Commits per UTC calendar month. A commit is a non-merge commit (at most one
--   parent) whose author is a known, non-bot person, counted in the month of its committed_at
--   (UTC). Months with no commits between a repository's first and last commit month are
--   included with 0, so the series has no gaps; lines_added and lines_deleted are git numstat
--   sums. $since keeps months on or after the month of that date.
-- params: $repo VARCHAR, $since DATE = NULL
-- returns: repo, month, commits, lines_added, lines_deleted
-- grain: repo, month
-- reference: https://chaoss.community/kb/metric-code-changes-commits/

WITH r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
c AS (
    SELECT c.repo_id, CAST(date_trunc('month', make_timestamp(epoch_us(c.committed_at))) AS DATE) AS month,
           c.lines_added, c.lines_deleted
    FROM human_commits c
    JOIN r ON r.repo_id = c.repo_id
    WHERE NOT c.is_merge AND c.committed_at IS NOT NULL
),
m AS (
    SELECT repo_id, month, count(*) AS commits,
           coalesce(sum(lines_added), 0) AS lines_added, coalesce(sum(lines_deleted), 0) AS lines_deleted
    FROM c GROUP BY repo_id, month
),
-- The months between a repository's first and last commit month come from m in the same pass:
-- each month with commits also stands for the empty months up to the next one (lead). Reading m
-- a second time for min/max would, on Spark, which does not reuse a CTE named twice, aggregate
-- every commit twice.
g AS (
    SELECT repo_id, month AS m0, commits, lines_added, lines_deleted,
           lead(month) OVER (PARTITION BY repo_id ORDER BY month) AS next_m
    FROM m
),
months AS (
    SELECT repo_id, m0, next_m, commits, lines_added, lines_deleted,
           CAST(unnest(generate_series(m0, coalesce(next_m, m0), INTERVAL 1 MONTH)) AS DATE) AS month
    FROM g
)
SELECT r.full_name AS repo, months.month,
       CASE WHEN months.month = months.m0 THEN months.commits ELSE 0 END AS commits,
       CAST(CASE WHEN months.month = months.m0 THEN months.lines_added ELSE 0 END AS BIGINT) AS lines_added,
       CAST(CASE WHEN months.month = months.m0 THEN months.lines_deleted ELSE 0 END AS BIGINT) AS lines_deleted
FROM months
JOIN r ON r.repo_id = months.repo_id
WHERE (months.next_m IS NULL OR months.month < months.next_m)
  AND ($since IS NULL OR months.month >= date_trunc('month', $since))
ORDER BY repo, months.month

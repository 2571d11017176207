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
m AS (
    SELECT repo_id, month, count(DISTINCT person_id) AS active_contributors, count(*) AS commits
    FROM c GROUP BY repo_id, month
),
months AS (
    SELECT repo_id, CAST(unnest(generate_series(min(month), max(month), INTERVAL 1 MONTH)) AS DATE) AS month
    FROM m GROUP BY repo_id
)
SELECT r.full_name AS repo, months.month,
       coalesce(m.active_contributors, 0) AS active_contributors,
       coalesce(m.commits, 0) AS commits
FROM months
JOIN r ON r.repo_id = months.repo_id
LEFT JOIN m ON m.repo_id = months.repo_id AND m.month = months.month
WHERE $since IS NULL OR months.month >= date_trunc('month', $since)
ORDER BY repo, months.month

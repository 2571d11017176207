-- name: new_contributors
-- description: New contributors per UTC calendar month: the number of non-bot persons whose
--   first commit in the repository (non-merge, by committed_at in UTC) falls in the month.
--   A person is new once per repository, however many identities they used. Months with none
--   between the repository's first and last commit month are included with 0. $since keeps
--   months on or after the month of that date (first commits are still found in all history).
-- params: $repo VARCHAR, $since DATE = NULL
-- returns: repo, month, new_contributors, total_contributors
-- grain: repo, month
-- reference: https://chaoss.community/kb/metric-new-contributors/

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
firsts AS (
    SELECT repo_id, person_id, min(month) AS month FROM c GROUP BY repo_id, person_id
),
m AS (
    SELECT repo_id, month, count(*) AS new_contributors FROM firsts GROUP BY repo_id, month
),
span AS (
    SELECT repo_id, min(month) AS lo, max(month) AS hi FROM c GROUP BY repo_id
),
months AS (
    SELECT repo_id, CAST(unnest(generate_series(lo, hi, INTERVAL 1 MONTH)) AS DATE) AS month FROM span
),
-- The running total needs every month, so the $since filter applies after it (a plain WHERE on
-- the outer query: QUALIFY has no Spark SQL twin, and the metric runs on both engines).
-- Columns are qualified (o.repo): inside the installed macro an unqualified `repo` would be
-- taken for the macro's parameter of that name.
out AS (
    SELECT r.full_name AS repo, months.month,
           coalesce(m.new_contributors, 0) AS new_contributors,
           CAST(sum(coalesce(m.new_contributors, 0)) OVER (
               PARTITION BY months.repo_id ORDER BY months.month ROWS UNBOUNDED PRECEDING) AS BIGINT)
               AS total_contributors
    FROM months
    JOIN r ON r.repo_id = months.repo_id
    LEFT JOIN m ON m.repo_id = months.repo_id AND m.month = months.month
)
SELECT o.repo, o.month, o.new_contributors, o.total_contributors
FROM out o
WHERE $since IS NULL OR o.month >= date_trunc('month', $since)
ORDER BY o.repo, o.month

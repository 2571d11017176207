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
-- Every figure comes from one aggregation of the commits per person: Spark computes a CTE again
-- for every reference, so taking the months' span from the commits beside the first commits
-- aggregated every commit twice.
persons AS (
    SELECT repo_id, person_id, min(month) AS first_m, max(month) AS last_m FROM c GROUP BY repo_id, person_id
),
m AS (  -- months with new contributors; hi: the repository's last commit month
    SELECT repo_id, first_m AS month, count(*) AS new_contributors, max(hi) AS hi
    FROM (SELECT repo_id, first_m, max(last_m) OVER (PARTITION BY repo_id) AS hi FROM persons) p
    GROUP BY repo_id, first_m
),
-- Each such month also stands for the months without new contributors up to the next one (or
-- to the last commit month), and carries the running total.
g AS (
    SELECT repo_id, month AS m0, new_contributors, hi,
           lead(month) OVER (PARTITION BY repo_id ORDER BY month) AS next_m,
           sum(new_contributors) OVER (PARTITION BY repo_id ORDER BY month ROWS UNBOUNDED PRECEDING) AS total
    FROM m
),
months AS (
    SELECT repo_id, m0, next_m, new_contributors, total,
           CAST(unnest(generate_series(m0, coalesce(next_m, hi), INTERVAL 1 MONTH)) AS DATE) AS month
    FROM g
)
SELECT r.full_name AS repo, months.month,
       CASE WHEN months.month = months.m0 THEN months.new_contributors ELSE 0 END AS new_contributors,
       CAST(months.total AS BIGINT) AS total_contributors
FROM months
JOIN r ON r.repo_id = months.repo_id
WHERE (months.next_m IS NULL OR months.month < months.next_m)
  AND ($since IS NULL OR months.month >= date_trunc('month', $since))
ORDER BY repo, months.month

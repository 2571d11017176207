-- name: time_to_merge
-- description: Hours from a pull request being opened to being merged, by the UTC month it
--   was merged: median and 90th percentile (continuous quantiles) over the pull requests
--   merged that month. Pull requests opened by bots are left out. $since keeps months on or
--   after the month of that date.
-- params: $repo VARCHAR, $since DATE = NULL
-- returns: repo, month, merged, median_hours, p90_hours
-- grain: repo, month
-- reference: https://chaoss.community/kb/metric-change-request-duration/

WITH r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
it AS (
    SELECT i.repo_id, CAST(date_trunc('month', make_timestamp(epoch_us(i.merged_at))) AS DATE) AS month,
           (epoch(i.merged_at) - epoch(i.created_at)) / 3600.0 AS hours
    FROM human_issues i
    JOIN r ON r.repo_id = i.repo_id
    WHERE i.is_pull AND i.merged_at IS NOT NULL AND i.created_at IS NOT NULL
),
agg AS (
    SELECT repo_id, month, count(*) AS merged,
           quantile_cont(hours, [0.5, 0.9]) AS q  -- one sort for both quantiles
    FROM it
    WHERE $since IS NULL OR month >= date_trunc('month', $since)
    GROUP BY repo_id, month
)
SELECT r.full_name AS repo, agg.month, agg.merged, agg.q[1] AS median_hours, agg.q[2] AS p90_hours
FROM agg JOIN r ON r.repo_id = agg.repo_id
ORDER BY repo, agg.month

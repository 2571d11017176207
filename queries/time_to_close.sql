-- name: time_to_close
-- description: Hours from an issue (not a pull request) being opened to being closed, by the
--   UTC month it was closed: median and 90th percentile (continuous quantiles) over the issues
--   closed that month, whatever the close reason. Issues opened by bots are left out; an issue
--   reopened and closed again counts with its last closing time. $since keeps months on or
--   after the month of that date.
-- params: $repo VARCHAR, $since DATE = NULL
-- returns: repo, month, closed, median_hours, p90_hours
-- grain: repo, month
-- reference: https://chaoss.community/kb/metric-issue-resolution-duration/

WITH r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
it AS (
    SELECT i.repo_id, CAST(date_trunc('month', make_timestamp(epoch_us(i.closed_at))) AS DATE) AS month,
           (epoch(i.closed_at) - epoch(i.created_at)) / 3600.0 AS hours
    FROM human_issues i
    JOIN r ON r.repo_id = i.repo_id
    WHERE NOT i.is_pull AND i.closed_at IS NOT NULL AND i.created_at IS NOT NULL
),
agg AS (
    SELECT repo_id, month, count(*) AS closed,
           quantile_cont(hours, [0.5, 0.9]) AS q  -- one sort for both quantiles
    FROM it
    WHERE $since IS NULL OR month >= date_trunc('month', $since)
    GROUP BY repo_id, month
)
SELECT r.full_name AS repo, agg.month, agg.closed, agg.q[1] AS median_hours, agg.q[2] AS p90_hours
FROM agg JOIN r ON r.repo_id = agg.repo_id
ORDER BY repo, agg.month

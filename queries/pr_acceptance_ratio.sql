-- name: pr_acceptance_ratio
-- description: Share of the pull requests closed in a UTC month that were merged: merged
--   counts pull requests merged in the month, closed_unmerged those closed in the month without
--   being merged, acceptance_ratio = merged / (merged + closed_unmerged). Pull requests opened
--   by bots are left out. $since keeps months on or after the month of that date.
-- params: $repo VARCHAR, $since DATE = NULL
-- returns: repo, month, merged, closed_unmerged, acceptance_ratio
-- grain: repo, month
-- reference: https://chaoss.community/kb/metric-change-requests-accepted/

WITH r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
it AS (
    SELECT i.repo_id, i.merged_at IS NOT NULL AS merged,
           CAST(date_trunc('month', make_timestamp(epoch_us(coalesce(i.merged_at, i.closed_at)))) AS DATE) AS month
    FROM human_issues i
    JOIN r ON r.repo_id = i.repo_id
    WHERE i.is_pull AND (i.merged_at IS NOT NULL OR i.closed_at IS NOT NULL)
)
SELECT r.full_name AS repo, it.month,
       count(*) FILTER (WHERE it.merged) AS merged,
       count(*) FILTER (WHERE NOT it.merged) AS closed_unmerged,
       count(*) FILTER (WHERE it.merged) / count(*) AS acceptance_ratio
FROM it JOIN r ON r.repo_id = it.repo_id
WHERE $since IS NULL OR it.month >= date_trunc('month', $since)
GROUP BY r.full_name, it.month
ORDER BY repo, it.month

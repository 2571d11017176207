-- name: open_issue_age
-- description: How long the items open at $as_of have been open, as a distribution. An item
--   (issue or pull request) is open at as_of when it was created at or before as_of and was not
--   closed by then (closed_at NULL or later; an item marked closed without a closed_at counts as
--   closed). Its age is as_of - created_at in days; buckets are [0, 7), [7, 30), [30, 90),
--   [90, 365) and 365+ days. Items opened by bots are left out. Every bucket of both item types
--   appears (0 when empty) for a repository with GitHub issue data; none for one without.
-- params: $repo VARCHAR, $as_of TIMESTAMPTZ = current_timestamp
-- returns: repo, item_type, age_bucket, min_days, open_items, median_age_days
-- grain: repo, item_type, age_bucket
-- reference: https://chaoss.community/kb/metric-issue-age/

WITH r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
has_data AS (
    SELECT DISTINCT i.repo_id FROM issues i JOIN r ON r.repo_id = i.repo_id
),
buckets(age_bucket, min_days, max_days) AS (
    VALUES ('0-7 days', 0, 7), ('7-30 days', 7, 30), ('30-90 days', 30, 90),
           ('90-365 days', 90, 365), ('365+ days', 365, NULL)
),
types(item_type) AS (VALUES ('issue'), ('pull_request')),
it AS (
    SELECT i.repo_id, CASE WHEN i.is_pull THEN 'pull_request' ELSE 'issue' END AS item_type,
           (epoch($as_of) - epoch(i.created_at)) / 86400.0 AS age_days
    FROM human_issues i
    JOIN r ON r.repo_id = i.repo_id
    WHERE i.created_at <= $as_of
      AND (i.closed_at > $as_of OR (i.closed_at IS NULL AND coalesce(i.state, 'open') <> 'closed'))
),
counted AS (
    SELECT it.repo_id, it.item_type, b.age_bucket, count(*) AS n,
           quantile_cont(it.age_days, 0.5) AS med
    FROM it JOIN buckets b ON it.age_days >= b.min_days AND (b.max_days IS NULL OR it.age_days < b.max_days)
    GROUP BY it.repo_id, it.item_type, b.age_bucket
)
SELECT r.full_name AS repo, t.item_type, b.age_bucket, b.min_days,
       coalesce(counted.n, 0) AS open_items, counted.med AS median_age_days
FROM has_data h
JOIN r ON r.repo_id = h.repo_id
CROSS JOIN types t
CROSS JOIN buckets b
LEFT JOIN counted ON counted.repo_id = h.repo_id AND counted.item_type = t.item_type
                 AND counted.age_bucket = b.age_bucket
ORDER BY repo, t.item_type, b.min_days

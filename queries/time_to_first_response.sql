-- name: time_to_first_response
-- description: Hours from an issue or pull request being opened to its first response, by
--   the UTC month it was opened. A response is the earliest comment, review or inline review
--   comment on the item, at or after its creation, by someone other than the item's author
--   (compared as merged persons, else by GitHub login) who is not a bot. Items opened by bots
--   are left out. median_hours and p90_hours (continuous quantiles) are over the items that got
--   a response; items counts all opened, responded those with a response so far. $since keeps
--   months on or after the month of that date. With $by_type false, issues and pull requests
--   are taken together, as one item_type 'all' (the report's monthly chart).
-- params: $repo VARCHAR, $since DATE = NULL, $by_type BOOLEAN = true
-- returns: repo, item_type, month, items, responded, median_hours, p90_hours
-- grain: repo, item_type, month
-- reference: https://chaoss.community/kb/metric-time-to-first-response/

WITH r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
it AS (
    SELECT i.repo_id, i.number, i.is_pull, i.created_at,
           i.author_person, i.author_login_lc AS author_login
    FROM human_issues i
    JOIN r ON r.repo_id = i.repo_id
    WHERE i.created_at IS NOT NULL
      AND ($since IS NULL OR make_timestamp(epoch_us(i.created_at)) >= date_trunc('month', $since))
),
resp AS (
    SELECT it.repo_id, it.number, min(cm.created_at) AS first_at
    FROM it
    JOIN comments cm ON cm.repo_id = it.repo_id AND cm.issue_number = it.number
    LEFT JOIN identities ci ON ci.identity_id = cm.author_identity
    LEFT JOIN people cp ON cp.person_id = ci.person_id
    WHERE cm.created_at >= it.created_at
      AND coalesce(cm.review_state, '') <> 'PENDING'
      AND NOT coalesce(cp.is_bot OR ci.is_bot, false)
      AND NOT coalesce(ends_with(lower(cm.author_login), '[bot]'), false)
      AND NOT coalesce(ci.person_id = it.author_person, lower(cm.author_login) = it.author_login, false)
    GROUP BY it.repo_id, it.number
),
h AS (
    SELECT it.repo_id,
           CASE WHEN NOT $by_type THEN 'all' WHEN it.is_pull THEN 'pull_request' ELSE 'issue' END AS item_type,
           CAST(date_trunc('month', make_timestamp(epoch_us(it.created_at))) AS DATE) AS month,
           (epoch(resp.first_at) - epoch(it.created_at)) / 3600.0 AS hours
    FROM it LEFT JOIN resp ON resp.repo_id = it.repo_id AND resp.number = it.number
),
agg AS (
    SELECT repo_id, item_type, month, count(*) AS items, count(hours) AS responded,
           quantile_cont(hours, [0.5, 0.9]) AS q  -- one sort for both quantiles
    FROM h GROUP BY repo_id, item_type, month
)
SELECT r.full_name AS repo, agg.item_type, agg.month, agg.items, agg.responded,
       agg.q[1] AS median_hours, agg.q[2] AS p90_hours
FROM agg JOIN r ON r.repo_id = agg.repo_id
ORDER BY repo, agg.item_type, agg.month

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
    SELECT i.repo_id, i.number, i.created_at, i.author_person, i.author_login_lc AS author_login,
           CASE WHEN NOT $by_type THEN 'all' WHEN i.is_pull THEN 'pull_request' ELSE 'issue' END AS item_type,
           CAST(date_trunc('month', make_timestamp(epoch_us(i.created_at))) AS DATE) AS month
    FROM human_issues i
    JOIN r ON r.repo_id = i.repo_id
    WHERE i.created_at IS NOT NULL
      AND ($since IS NULL OR make_timestamp(epoch_us(i.created_at)) >= date_trunc('month', $since))
),
cmt AS (  -- comments that may be a response: not pending, not by a bot
    SELECT cm.repo_id, cm.issue_number, cm.created_at,
           ci.person_id AS author_person, lower(cm.author_login) AS author_login
    FROM comments cm
    LEFT JOIN identities ci ON ci.identity_id = cm.author_identity
    LEFT JOIN people cp ON cp.person_id = ci.person_id
    WHERE coalesce(cm.review_state, '') <> 'PENDING'
      AND NOT coalesce(cp.is_bot OR ci.is_bot, false)
      AND NOT coalesce(ends_with(lower(cm.author_login), '[bot]'), false)
),
-- Each item with its first response, in one join: Spark computes a CTE again for every
-- reference, so joining the responses back onto the items read and joined them twice.
h AS (
    SELECT it.repo_id, it.item_type, it.month,
           (epoch(min(cmt.created_at) FILTER (
                WHERE cmt.created_at >= it.created_at
                  AND NOT coalesce(cmt.author_person = it.author_person, cmt.author_login = it.author_login, false)))
            - epoch(it.created_at)) / 3600.0 AS hours
    FROM it LEFT JOIN cmt ON cmt.repo_id = it.repo_id AND cmt.issue_number = it.number
    GROUP BY it.repo_id, it.number, it.item_type, it.month, it.created_at
),
-- Continuous quantiles by rank (as quantile_cont interpolates: the value at 0-based position
-- (n - 1) * p, between the two nearest ranks): Spark's percentile keeps every value of every
-- group in a hash map of objects (12 s of task time per 2.5 M items); a sort is a fraction.
ranked AS (
    SELECT repo_id, item_type, month, hours,
           row_number() OVER (PARTITION BY repo_id, item_type, month ORDER BY hours) - 1 AS k,
           count(hours) OVER (PARTITION BY repo_id, item_type, month) - 1 AS n1
    FROM h
),
agg AS (
    SELECT repo_id, item_type, month, count(*) AS items, count(hours) AS responded,
           min(hours) FILTER (WHERE k = floor(n1 * 0.5e0)) AS lo50, min(hours) FILTER (WHERE k = ceil(n1 * 0.5e0)) AS hi50,
           min(hours) FILTER (WHERE k = floor(n1 * 0.9e0)) AS lo90, min(hours) FILTER (WHERE k = ceil(n1 * 0.9e0)) AS hi90,
           max(n1 * 0.5e0 - floor(n1 * 0.5e0)) AS f50, max(n1 * 0.9e0 - floor(n1 * 0.9e0)) AS f90
    FROM ranked GROUP BY repo_id, item_type, month
)
SELECT r.full_name AS repo, agg.item_type, agg.month, agg.items, agg.responded,
       agg.lo50 + agg.f50 * (agg.hi50 - agg.lo50) AS median_hours,
       agg.lo90 + agg.f90 * (agg.hi90 - agg.lo90) AS p90_hours
FROM agg JOIN r ON r.repo_id = agg.repo_id
ORDER BY repo, agg.item_type, agg.month

-- name: review_coverage
-- description: Share of the pull requests merged in a UTC month that were reviewed before
--   they were merged: reviewed counts merged pull requests with at least one submitted review
--   (comments.kind = 'review', not PENDING) created at or before merged_at by a non-bot other
--   than the pull request's author (compared as merged persons, else by GitHub login);
--   review_coverage = reviewed / merged. Pull requests opened by bots are left out. $since keeps
--   months on or after the month of that date.
-- params: $repo VARCHAR, $since DATE = NULL
-- returns: repo, month, merged, reviewed, review_coverage
-- grain: repo, month
-- reference: https://chaoss.community/kb/metric-code-review-iteration/ (CHAOSS review metrics; coverage as defined here)

WITH r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
pr AS (
    SELECT i.repo_id, i.number, i.merged_at,
           i.author_person, i.author_login_lc AS author_login
    FROM human_issues i
    JOIN r ON r.repo_id = i.repo_id
    WHERE i.is_pull AND i.merged_at IS NOT NULL
),
rev AS (
    SELECT DISTINCT pr.repo_id, pr.number
    FROM pr
    JOIN comments cm ON cm.repo_id = pr.repo_id AND cm.issue_number = pr.number AND cm.kind = 'review'
    LEFT JOIN identities ci ON ci.identity_id = cm.author_identity
    LEFT JOIN people cp ON cp.person_id = ci.person_id
    WHERE cm.created_at <= pr.merged_at
      AND coalesce(cm.review_state, '') <> 'PENDING'
      AND NOT coalesce(cp.is_bot OR ci.is_bot, false)
      AND NOT coalesce(ends_with(lower(cm.author_login), '[bot]'), false)
      AND NOT coalesce(ci.person_id = pr.author_person, lower(cm.author_login) = pr.author_login, false)
),
m AS (
    SELECT pr.repo_id, CAST(date_trunc('month', make_timestamp(epoch_us(pr.merged_at))) AS DATE) AS month,
           rev.number IS NOT NULL AS reviewed
    FROM pr LEFT JOIN rev ON rev.repo_id = pr.repo_id AND rev.number = pr.number
)
SELECT r.full_name AS repo, m.month, count(*) AS merged,
       count(*) FILTER (WHERE m.reviewed) AS reviewed,
       count(*) FILTER (WHERE m.reviewed) / count(*) AS review_coverage
FROM m JOIN r ON r.repo_id = m.repo_id
WHERE $since IS NULL OR m.month >= date_trunc('month', $since)
GROUP BY r.full_name, m.month
ORDER BY repo, m.month

-- name: top_contributor_share
-- description: Share of the commits (non-merge, non-bot, by committed_at) in the window
--   (as_of - $months months, as_of] authored by the single most active person:
--   top_commits / commits. One row per repository; top_share is NULL when the window has no
--   commits. top_person_id names that person (the lowest person_id on a tie).
-- params: $repo VARCHAR, $as_of TIMESTAMPTZ = current_timestamp, $months INTEGER = 12
-- returns: repo, commits, contributors, top_person_id, top_commits, top_share
-- grain: repo
-- reference: https://chaoss.community/kb/metric-contributor-absence-factor/ (the first step of it)

WITH r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
w AS (
    SELECT c.repo_id, c.person_id, count(*) AS n
    FROM human_commits c
    JOIN r ON r.repo_id = c.repo_id
    WHERE NOT c.is_merge
      AND c.committed_at > timezone('UTC', timezone('UTC', $as_of) - to_months($months)) AND c.committed_at <= $as_of
    GROUP BY c.repo_id, c.person_id
),
agg AS (
    SELECT repo_id, sum(n) AS commits, count(*) AS contributors,
           arg_max(person_id, n * 1e12 - person_id) AS top_person_id, max(n) AS top_commits
    FROM w GROUP BY repo_id
)
SELECT r.full_name AS repo,
       CAST(coalesce(agg.commits, 0) AS BIGINT) AS commits,
       coalesce(agg.contributors, 0) AS contributors,
       agg.top_person_id,
       agg.top_commits,
       agg.top_commits / agg.commits AS top_share
FROM r LEFT JOIN agg ON agg.repo_id = r.repo_id
ORDER BY repo

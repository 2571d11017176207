-- name: new_returning_by_quarter
-- description: The people active in the repository in each UTC calendar quarter (a non-merge,
--   non-bot commit by committed_at, up to as_of), split by whether that quarter holds their
--   first commit there: new_contributors are people whose first commit falls in the quarter,
--   returning_contributors those whose first commit came in an earlier quarter. A person counts
--   once per quarter, however many identities they used. Commits after as_of are ignored. Only
--   quarters with activity appear.
-- params: $repo VARCHAR, $as_of TIMESTAMPTZ = current_timestamp
-- returns: repo, quarter, new_contributors, returning_contributors
-- grain: repo, quarter
-- reference: https://chaoss.community/kb/metric-new-contributors/ (CHAOSS New Contributors; the quarterly new-vs-returning split is ours)

WITH r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
c AS (  -- each person's active quarters, in UTC, beside the first one (a window over the
        -- person's quarters, not a join with their minimum: Spark computes a CTE again for every
        -- reference, so that join aggregated every commit twice)
    SELECT repo_id, person_id, quarter, min(quarter) OVER (PARTITION BY repo_id, person_id) AS first_quarter
    FROM (
        SELECT c.repo_id, c.person_id,
               CAST(date_trunc('quarter', make_timestamp(epoch_us(c.committed_at))) AS DATE) AS quarter
        FROM human_commits c
        JOIN r ON r.repo_id = c.repo_id
        WHERE NOT c.is_merge AND c.committed_at <= $as_of
        GROUP BY c.repo_id, c.person_id, CAST(date_trunc('quarter', make_timestamp(epoch_us(c.committed_at))) AS DATE)
    ) q
)
SELECT r.full_name AS repo,
       c.quarter,
       count(*) FILTER (WHERE c.quarter = c.first_quarter) AS new_contributors,
       count(*) FILTER (WHERE c.quarter > c.first_quarter) AS returning_contributors
FROM c
JOIN r ON r.repo_id = c.repo_id
GROUP BY r.full_name, c.quarter
ORDER BY repo, quarter

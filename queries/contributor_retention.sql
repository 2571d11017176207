-- name: contributor_retention
-- description: Retention of newcomers, by cohort. A cohort is the non-bot persons whose first
--   commit in the repository (non-merge, by committed_at, UTC months) falls in cohort_month.
--   retained_3m counts cohort members with at least one commit in the three months after the
--   cohort month (months +1 to +3); retained_6m those with a commit in months +4 to +6 ("still
--   active six months later"). Retention is retained / newcomers. A window that has not ended
--   before the month of $as_of is not yet observable: its counts and share are NULL. Commits
--   after $as_of are ignored. Only months with newcomers appear.
-- params: $repo VARCHAR, $as_of TIMESTAMPTZ = current_timestamp
-- returns: repo, cohort_month, newcomers, retained_3m, retention_3m, retained_6m, retention_6m
-- grain: repo, cohort_month
-- reference: https://chaoss.community/kb/metric-contributor-retention/ (CHAOSS Contributor Retention; 3/6-month windows are ours)

WITH a AS (
    SELECT CAST(date_trunc('month', timezone('UTC', $as_of)) AS DATE) AS am
),
r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
c AS (  -- each non-merge commit's month
    SELECT c.repo_id, c.person_id,
           CAST(date_trunc('month', make_timestamp(epoch_us(c.committed_at))) AS DATE) AS month
    FROM human_commits c
    JOIN r ON r.repo_id = c.repo_id
    WHERE NOT c.is_merge
      AND c.committed_at <= $as_of
),
-- The cohort is each person's first month; the months after it come from joining the person's
-- commits of the first seven months with it (on Spark a hash table of the persons per partition).
-- Both engines did more work with one row per person and month and a window for the first:
-- 9 M rows aggregated and sorted at 20 M commits.
firsts AS (
    SELECT repo_id, person_id, min(month) AS cohort_month FROM c GROUP BY repo_id, person_id
),
flags AS (
    SELECT /*+ SHUFFLE_HASH(f) */ c.repo_id, c.person_id, f.cohort_month,
           bool_or(date_diff('month', f.cohort_month, c.month) BETWEEN 1 AND 3) AS r3,
           bool_or(date_diff('month', f.cohort_month, c.month) BETWEEN 4 AND 6) AS r6
    FROM c JOIN firsts f ON f.repo_id = c.repo_id AND f.person_id = c.person_id
     AND c.month < f.cohort_month + INTERVAL 7 MONTH
    GROUP BY c.repo_id, c.person_id, f.cohort_month
),
cohorts AS (
    SELECT repo_id, cohort_month, count(*) AS newcomers,
           count(*) FILTER (WHERE r3) AS r3, count(*) FILTER (WHERE r6) AS r6
    FROM flags GROUP BY repo_id, cohort_month
)
SELECT r.full_name AS repo, k.cohort_month, k.newcomers,
       CASE WHEN date_diff('month', k.cohort_month, a.am) >= 4 THEN k.r3 END AS retained_3m,
       CASE WHEN date_diff('month', k.cohort_month, a.am) >= 4 THEN k.r3 / k.newcomers END AS retention_3m,
       CASE WHEN date_diff('month', k.cohort_month, a.am) >= 7 THEN k.r6 END AS retained_6m,
       CASE WHEN date_diff('month', k.cohort_month, a.am) >= 7 THEN k.r6 / k.newcomers END AS retention_6m
FROM cohorts k JOIN r ON r.repo_id = k.repo_id CROSS JOIN a
ORDER BY repo, k.cohort_month

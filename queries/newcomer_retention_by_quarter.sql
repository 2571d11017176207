-- name: newcomer_retention_by_quarter
-- description: The cohorts behind newcomer_retention, by the UTC quarter of each newcomer's
--   first commit in the repository (non-merge, non-bot, by committed_at). newcomers counts the
--   cohort; retained those who committed again between 30 and 365 days after their first
--   commit (commits after as_of are ignored); complete is true when the year after every
--   member's first commit has ended by as_of (a cohort that is not complete may still grow its
--   retained count). Only quarters with newcomers appear.
-- params: $repo VARCHAR, $as_of TIMESTAMPTZ = current_timestamp
-- returns: repo, quarter, newcomers, retained, complete
-- grain: repo, quarter
-- reference: https://chaoss.community/kb/metric-contributor-retention/ (CHAOSS Contributor Retention; the 30-365-day window is ours)

WITH a AS (
    SELECT timezone('UTC', $as_of) AS t
),
r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
c AS (  -- non-merge, non-bot commits up to as_of, in naive UTC
    SELECT c.repo_id, c.person_id, make_timestamp(epoch_us(c.committed_at)) AS ts
    FROM human_commits c
    JOIN r ON r.repo_id = c.repo_id
    WHERE NOT c.is_merge AND c.committed_at <= $as_of
),
firsts AS (
    SELECT repo_id, person_id, min(ts) AS first_ts FROM c GROUP BY repo_id, person_id
),
kept AS (  -- each person's commits of the year after the first joined with the first (on Spark
           -- a hash table of the persons per partition: no sort of every commit)
    SELECT /*+ SHUFFLE_HASH(f) */ f.repo_id, f.person_id, f.first_ts,
           bool_or(c.ts >= f.first_ts + INTERVAL 30 DAY AND c.ts <= f.first_ts + INTERVAL 365 DAY) AS retained
    FROM firsts f
    JOIN c ON c.repo_id = f.repo_id AND c.person_id = f.person_id
     AND c.ts <= f.first_ts + INTERVAL 365 DAY
    GROUP BY f.repo_id, f.person_id, f.first_ts
)
SELECT r.full_name AS repo,
       CAST(date_trunc('quarter', kept.first_ts) AS DATE) AS quarter,
       count(*) AS newcomers,
       count(*) FILTER (WHERE kept.retained) AS retained,
       max(kept.first_ts) + INTERVAL 365 DAY <= any_value(a.t) AS complete
FROM kept JOIN r ON r.repo_id = kept.repo_id CROSS JOIN a
GROUP BY r.full_name, CAST(date_trunc('quarter', kept.first_ts) AS DATE)
ORDER BY repo, quarter

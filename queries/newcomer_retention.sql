-- name: newcomer_retention
-- description: Year-long retention of newcomers, one row per repository. The newcomers are the
--   non-bot persons whose first commit in the repository (non-merge, by committed_at in UTC)
--   falls in the year before the last, (as_of - 24 months, as_of - 12 months], so every
--   newcomer's following year has ended by as_of. A newcomer is retained when they committed
--   again between 30 and 365 days after that first commit (commits after as_of are ignored).
--   retention is retained / newcomers, NULL when there were no newcomers. The report's
--   portfolio table shows it as "newcomer retention".
-- params: $repo VARCHAR, $as_of TIMESTAMPTZ = current_timestamp
-- returns: repo, newcomers, retained, retention
-- grain: repo
-- reference: https://chaoss.community/kb/metric-contributor-retention/ (CHAOSS Contributor Retention; the 30-365-day window is ours)

WITH a AS (
    SELECT timezone('UTC', $as_of) AS t,
           timezone('UTC', $as_of) - INTERVAL 12 MONTH AS y1,
           timezone('UTC', $as_of) - INTERVAL 24 MONTH AS y2
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
nc AS (
    SELECT f.repo_id, f.person_id,
           bool_or(c.ts >= f.first_ts + INTERVAL 30 DAY AND c.ts <= f.first_ts + INTERVAL 365 DAY) AS retained
    FROM firsts f
    JOIN c ON c.repo_id = f.repo_id AND c.person_id = f.person_id
    CROSS JOIN a
    WHERE f.first_ts > a.y2 AND f.first_ts <= a.y1
    GROUP BY f.repo_id, f.person_id
),
agg AS (
    SELECT repo_id, count(*) AS newcomers, count(*) FILTER (WHERE retained) AS retained
    FROM nc GROUP BY repo_id
)
SELECT r.full_name AS repo,
       coalesce(agg.newcomers, 0) AS newcomers,
       coalesce(agg.retained, 0) AS retained,
       agg.retained / nullif(agg.newcomers, 0) AS retention
FROM r LEFT JOIN agg ON agg.repo_id = r.repo_id
ORDER BY repo

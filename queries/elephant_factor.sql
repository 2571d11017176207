-- name: elephant_factor
-- description: Elephant factor: the smallest number of organisations whose members authored
--   at least 50% of the affiliated commits (non-merge, non-bot, by committed_at) in the window
--   (as_of - $months months, as_of]. A person's organisation is people.organization, derived
--   from email domains with free-mail domains ignored; commits by persons without one are
--   left out of the ranking and reported in affiliated_share (affiliated / all commits in the
--   window). One row per repository; elephant_factor is NULL when no commit in the window is
--   affiliated.
-- params: $repo VARCHAR, $as_of TIMESTAMPTZ = current_timestamp, $months INTEGER = 12
-- returns: repo, commits, affiliated_commits, affiliated_share, organizations, elephant_factor, top_organization
-- grain: repo
-- reference: https://chaoss.community/kb/metric-elephant-factor/

WITH r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
c AS (
    SELECT c.repo_id, nullif(trim(c.organization), '') AS org
    FROM human_commits c
    JOIN r ON r.repo_id = c.repo_id
    WHERE NOT c.is_merge
      AND c.committed_at > timezone('UTC', timezone('UTC', $as_of) - to_months($months)) AND c.committed_at <= $as_of
),
tot AS (
    SELECT repo_id, count(*) AS commits, count(org) AS affiliated FROM c GROUP BY repo_id
),
w AS (
    SELECT repo_id, org, count(*) AS n FROM c WHERE org IS NOT NULL GROUP BY repo_id, org
),
ranked AS (
    SELECT repo_id, org, n,
           row_number() OVER (PARTITION BY repo_id ORDER BY n DESC, org) AS rk,
           sum(n) OVER (PARTITION BY repo_id ORDER BY n DESC, org ROWS UNBOUNDED PRECEDING) AS cum,
           sum(n) OVER (PARTITION BY repo_id) AS total
    FROM w
),
agg AS (
    SELECT repo_id, count(*) AS organizations,
           min(rk) FILTER (WHERE 2 * cum >= total) AS elephant_factor,
           min(org) FILTER (WHERE rk = 1) AS top_organization
    FROM ranked GROUP BY repo_id
)
SELECT r.full_name AS repo,
       coalesce(tot.commits, 0) AS commits,
       coalesce(tot.affiliated, 0) AS affiliated_commits,
       tot.affiliated / nullif(tot.commits, 0) AS affiliated_share,
       coalesce(agg.organizations, 0) AS organizations,
       agg.elephant_factor,
       agg.top_organization
FROM r
LEFT JOIN tot ON tot.repo_id = r.repo_id
LEFT JOIN agg ON agg.repo_id = r.repo_id
ORDER BY repo

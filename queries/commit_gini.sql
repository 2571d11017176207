-- name: commit_gini
-- description: Gini coefficient of commits per person in the window (as_of - $months months,
--   as_of]: over the n non-bot persons with at least one commit (non-merge, by committed_at),
--   with counts x sorted ascending (i = 1..n), G = sum((2i - n - 1) * x_i) / (n * sum(x)).
--   0 means everyone committed equally (also for a single contributor); values near 1 mean one
--   person made nearly all commits. One row per repository; NULL when the window has no
--   commits.
-- params: $repo VARCHAR, $as_of TIMESTAMPTZ = current_timestamp, $months INTEGER = 12
-- returns: repo, commits, contributors, gini
-- grain: repo
-- reference: https://en.wikipedia.org/wiki/Gini_coefficient (commit inequality, as in CHAOSS work on contributor concentration)

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
ranked AS (
    SELECT repo_id, n, row_number() OVER (PARTITION BY repo_id ORDER BY n, person_id) AS i,
           count(*) OVER (PARTITION BY repo_id) AS k
    FROM w
),
agg AS (
    SELECT repo_id, sum(n) AS commits, max(k) AS contributors,
           sum((2 * i - k - 1) * n) / (max(k) * sum(n)) AS gini
    FROM ranked GROUP BY repo_id
)
SELECT r.full_name AS repo,
       CAST(coalesce(agg.commits, 0) AS BIGINT) AS commits,
       coalesce(agg.contributors, 0) AS contributors,
       CAST(agg.gini AS DOUBLE) AS gini
FROM r LEFT JOIN agg ON agg.repo_id = r.repo_id
ORDER BY repo

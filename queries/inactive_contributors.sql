-- name: inactive_contributors
-- description: Contributors who went quiet: non-bot persons with at least one commit
--   (non-merge, by committed_at) in the $prior_months months before the last $silent_months
--   months, i.e. in (as_of - silent_months - prior_months, as_of - silent_months], and none in
--   (as_of - silent_months, as_of]. One row per such person, with their commits in that prior
--   window and the time of their last commit. Defaults: active in the prior year, silent for
--   the last 6 months.
-- params: $repo VARCHAR, $as_of TIMESTAMPTZ = current_timestamp, $silent_months INTEGER = 6, $prior_months INTEGER = 12
-- returns: repo, person_id, display_name, prior_commits, last_commit_at
-- grain: repo, person_id
-- reference: https://chaoss.community/kb/metric-inactive-contributors/

WITH a AS (
    SELECT timezone('UTC', $as_of) AS t, $silent_months AS s
),
r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
c AS (
    SELECT c.repo_id, c.person_id, c.committed_at, make_timestamp(epoch_us(c.committed_at)) AS ts
    FROM human_commits c
    JOIN r ON r.repo_id = c.repo_id
    WHERE NOT c.is_merge
      AND c.committed_at <= $as_of
      AND c.committed_at > timezone('UTC', timezone('UTC', $as_of) - to_months($silent_months + $prior_months))
),
per AS (
    SELECT c.repo_id, c.person_id, max(c.committed_at) AS last_commit_at,
           count(*) FILTER (WHERE c.ts <= a.t - to_months(a.s)) AS prior_commits,
           count(*) FILTER (WHERE c.ts > a.t - to_months(a.s)) AS recent_commits
    FROM c CROSS JOIN a
    GROUP BY c.repo_id, c.person_id
)
SELECT r.full_name AS repo, per.person_id, p.display_name, per.prior_commits, per.last_commit_at
FROM per
JOIN r ON r.repo_id = per.repo_id
JOIN people p ON p.person_id = per.person_id
WHERE per.prior_commits > 0 AND per.recent_commits = 0
ORDER BY repo, per.last_commit_at DESC, per.person_id

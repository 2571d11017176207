-- name: person_commit_share
-- description: Each person's part of the repository's work in the window
--   (as_of - $months months, as_of]: commits counts the person's non-merge, non-bot commits
--   there (by committed_at), share divides it by all such commits of the repository in the
--   window. One row per repository and person with at least one commit in the window (so the
--   shares of a repository sum to 1); a repository without commits in the window has no rows.
--   The report's key-people table reads it for the other projects a key person works on.
-- params: $repo VARCHAR, $as_of TIMESTAMPTZ = current_timestamp, $months INTEGER = 12
-- returns: repo, person_id, commits, share
-- grain: repo, person_id
-- reference: https://chaoss.community/kb/metric-contributor-absence-factor/ (the per-person shares it is built on)

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
t AS (
    SELECT repo_id, sum(n) AS total FROM w GROUP BY repo_id
)
SELECT r.full_name AS repo,
       w.person_id,
       CAST(w.n AS BIGINT) AS commits,
       CAST(w.n AS DOUBLE) / CAST(t.total AS DOUBLE) AS share
FROM w
JOIN t ON t.repo_id = w.repo_id
JOIN r ON r.repo_id = w.repo_id
ORDER BY repo, commits DESC, person_id

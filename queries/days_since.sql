-- name: days_since
-- description: Whole days (floor) from the last activity of three kinds to $as_of, one row
--   per repository; events after as_of are ignored, NULL when there is none. Last commit: any
--   commit by a non-bot author, merges included, by committed_at. Last release: a published,
--   non-draft, non-prerelease release, by published_at. Last maintainer response: the latest
--   comment, review or inline review comment by a maintainer (author_association OWNER, MEMBER
--   or COLLABORATOR; not a bot) on an issue or pull request opened by someone else (items opened
--   by bots count).
-- params: $repo VARCHAR, $as_of TIMESTAMPTZ = current_timestamp
-- returns: repo, last_commit_at, days_since_last_commit, last_release_at, days_since_last_release, last_maintainer_response_at, days_since_last_maintainer_response
-- grain: repo
-- reference: https://chaoss.community/kb/metric-activity-dates-and-times/

WITH a AS (SELECT $as_of AS t),
r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
lc AS (
    SELECT c.repo_id, max(c.committed_at) AS last_at
    FROM human_commits c
    JOIN r ON r.repo_id = c.repo_id
    WHERE c.committed_at <= $as_of
    GROUP BY c.repo_id
),
lr AS (
    SELECT rl.repo_id, max(rl.published_at) AS last_at
    FROM releases rl JOIN r ON r.repo_id = rl.repo_id
    WHERE rl.published_at IS NOT NULL AND rl.published_at <= $as_of
      AND NOT coalesce(rl.draft, false) AND NOT coalesce(rl.prerelease, false)
    GROUP BY rl.repo_id
),
lm AS (
    SELECT cm.repo_id, max(cm.created_at) AS last_at
    FROM comments cm
    JOIN r ON r.repo_id = cm.repo_id
    JOIN issues i ON i.repo_id = cm.repo_id AND i.number = cm.issue_number
    LEFT JOIN identities ci ON ci.identity_id = cm.author_identity
    LEFT JOIN people cp ON cp.person_id = ci.person_id
    LEFT JOIN identities ai ON ai.identity_id = i.author_identity
    WHERE cm.created_at <= $as_of
      AND upper(cm.author_association) IN ('OWNER', 'MEMBER', 'COLLABORATOR')
      AND NOT coalesce(cp.is_bot OR ci.is_bot, false)
      AND NOT coalesce(ends_with(lower(cm.author_login), '[bot]'), false)
      AND NOT coalesce(ci.person_id = ai.person_id, lower(cm.author_login) = lower(i.author_login), false)
    GROUP BY cm.repo_id
)
SELECT r.full_name AS repo,
       lc.last_at AS last_commit_at,
       CAST(floor((epoch(a.t) - epoch(lc.last_at)) / 86400) AS BIGINT) AS days_since_last_commit,
       lr.last_at AS last_release_at,
       CAST(floor((epoch(a.t) - epoch(lr.last_at)) / 86400) AS BIGINT) AS days_since_last_release,
       lm.last_at AS last_maintainer_response_at,
       CAST(floor((epoch(a.t) - epoch(lm.last_at)) / 86400) AS BIGINT) AS days_since_last_maintainer_response
FROM r CROSS JOIN a
LEFT JOIN lc ON lc.repo_id = r.repo_id
LEFT JOIN lr ON lr.repo_id = r.repo_id
LEFT JOIN lm ON lm.repo_id = r.repo_id
ORDER BY repo

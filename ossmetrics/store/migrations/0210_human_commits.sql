-- human_commits: the one definition of "a human's commit" that every metric (queries/*.sql)
-- and the contributor graphs read, so a change to who counts as a person, or as a bot, is made
-- here once instead of in a dozen copies of the same joins that can drift apart.
--
-- One row per commit whose author identity belongs to a merged person, unless that person or
-- that identity is flagged a bot:
--   commits c
--   JOIN identities i ON i.identity_id = c.author_identity   -- no author identity: left out
--   JOIN people p ON p.person_id = i.person_id               -- identity not merged: left out
--   WHERE NOT (p.is_bot OR i.is_bot)
-- Merge commits are kept and flagged: is_merge = coalesce(n_parents, 1) > 1 (an unknown parent
-- count counts as one parent). Metrics that count work filter NOT is_merge; the last-commit
-- dates of days_since and health_summary keep merges.
-- person_id is the merged person (every alias of a person gives the same person_id);
-- identity_id is the author identity; organization is the person's (people.organization).
-- identities.identity_id and people.person_id are primary keys, so the joins never repeat a
-- commit. A view, not a table: it is always current and costs nothing to keep.
CREATE VIEW human_commits AS
SELECT c.repo_id,
       c.sha,
       i.person_id,
       c.author_identity AS identity_id,
       c.authored_at,
       c.committed_at,
       coalesce(c.n_parents, 1) > 1 AS is_merge,
       c.lines_added,
       c.lines_deleted,
       p.organization
FROM commits c
JOIN identities i ON i.identity_id = c.author_identity
JOIN people p ON p.person_id = i.person_id
WHERE NOT (p.is_bot OR i.is_bot);

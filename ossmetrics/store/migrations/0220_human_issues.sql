-- human_issues: the one definition of "an issue or pull request opened by a human" that every
-- GitHub metric (queries/*.sql) reads, as human_commits is for commits, so who counts as a bot
-- is decided here once instead of in a copy of the same joins per metric.
--
-- One row per issue or pull request unless its author is known to be a bot: the author
-- identity's person or the identity itself is flagged is_bot, or (identity or not) the GitHub
-- login ends in "[bot]" (GitHub's App accounts). Unlike human_commits, an item whose author
-- identity is unknown or not merged into a person is kept: GitHub items often carry only a
-- login, and an unknown author is not evidence of a bot.
-- author_person is the merged person of the author identity (NULL when there is none);
-- author_login_lc the lower-cased login, for comparing with a commenter's.
-- identities.identity_id and people.person_id are primary keys, so no item is repeated.
CREATE VIEW human_issues AS
SELECT i.repo_id,
       i.number,
       i.is_pull,
       i.author_identity,
       ai.person_id AS author_person,
       lower(i.author_login) AS author_login_lc,
       i.author_association,
       i.state,
       i.draft,
       i.labels,
       i.created_at,
       i.updated_at,
       i.closed_at,
       i.merged_at
FROM issues i
LEFT JOIN identities ai ON ai.identity_id = i.author_identity
LEFT JOIN people ap ON ap.person_id = ai.person_id
WHERE NOT coalesce(ap.is_bot OR ai.is_bot, false)
  AND NOT coalesce(ends_with(lower(i.author_login), '[bot]'), false);

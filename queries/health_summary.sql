-- name: health_summary
-- description: One row per repository with the headline health numbers as of $as_of, over
--   the 12-month window (as_of - 12 months, as_of]; each column is defined exactly as in the
--   metric named in brackets, with commits meaning non-merge, non-bot commits by committed_at.
--   commits_12m, active_contributors_12m [bus_factor: commits, contributors];
--   new_contributors_12m: persons whose first commit falls in the window [new_contributors];
--   retention_3m: retained_3m / newcomers summed over the 12 most recent cohorts whose
--   3-month window has ended [contributor_retention]; bus_factor_12m [bus_factor, 12 months];
--   elephant_factor [elephant_factor]; top_share [top_contributor_share]; gini [commit_gini];
--   inactive_contributors: how many rows inactive_contributors gives with its defaults;
--   days_since_last_commit, days_since_last_release, days_since_last_maintainer_response
--   [days_since]; releases_12m: published non-draft non-prerelease releases in the window.
--   GitHub columns are NULL when the repository has no GitHub issue data (has_github_data
--   false): median_first_response_hours over issues and pull requests opened in the window
--   that got a response by as_of [time_to_first_response]; median_close_hours over issues
--   closed in the window [time_to_close]; median_merge_hours over pull requests merged in the
--   window [time_to_merge]; pr_acceptance_ratio merged / closed-or-merged pull requests in the
--   window [pr_acceptance_ratio]; review_coverage over pull requests merged in the window
--   [review_coverage]; open_issues and open_prs at as_of [open_issue_age].
-- params: $repo VARCHAR, $as_of TIMESTAMPTZ = current_timestamp
-- returns: repo, repo_id, as_of, commits_12m, active_contributors_12m, new_contributors_12m, retention_3m, bus_factor_12m, elephant_factor, top_share, gini, inactive_contributors, days_since_last_commit, days_since_last_release, releases_12m, has_github_data, median_first_response_hours, median_close_hours, median_merge_hours, pr_acceptance_ratio, review_coverage, open_issues, open_prs, days_since_last_maintainer_response
-- grain: repo
-- reference: https://chaoss.community/kb-metrics-and-metrics-models/ (a summary of the metrics above)

-- Each CTE is read once, but for r, c and per: Spark does not reuse a CTE named twice but
-- computes it again for every reference, so the per-person figures and the GitHub items with
-- their comments are each built in one pass and carry every figure drawn from them. per is read
-- again only for the newcomers' first commits (an aggregation into one row per person), and
-- the newcomers' early commits are found by joining them with the commits: cheaper on both
-- engines than the month-by-month rows of every person that the cohorts were built from
-- before (9 M rows aggregated and sorted at 20 M commits).
WITH a AS (
    SELECT $as_of AS tz, timezone('UTC', $as_of) AS t,
           timezone('UTC', $as_of) - INTERVAL 12 MONTH AS t0,
           timezone('UTC', timezone('UTC', $as_of) - INTERVAL 12 MONTH) AS t0z,
           CAST(date_trunc('month', timezone('UTC', $as_of)) AS DATE) AS am
),
r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
c_all AS (  -- non-bot commits up to as_of, merges flagged
    SELECT c.repo_id, c.person_id, nullif(trim(c.organization), '') AS org, c.committed_at,
           make_timestamp(epoch_us(c.committed_at)) AS ts, c.is_merge
    FROM human_commits c
    JOIN r ON r.repo_id = c.repo_id
    WHERE c.committed_at <= $as_of
),
c AS (  -- non-merge, non-bot commits up to as_of
    SELECT repo_id, person_id, org, ts FROM c_all WHERE NOT is_merge
),
per AS (  -- per person: window commits, first commit, inactive flags
    SELECT c.repo_id, c.person_id, min(c.ts) AS first_ts,
           count(*) FILTER (WHERE c.ts > a.t0) AS n,
           count(*) FILTER (WHERE c.ts > a.t - INTERVAL 18 MONTH AND c.ts <= a.t - INTERVAL 6 MONTH) AS prior_n,
           count(*) FILTER (WHERE c.ts > a.t - INTERVAL 6 MONTH) AS recent_n
    FROM c CROSS JOIN a GROUP BY c.repo_id, c.person_id
),
ranked AS (  -- every person; those without window commits (n = 0) rank last and are left out
             -- of the concentration figures by their FILTERs
    SELECT per.repo_id, per.n, per.first_ts, per.prior_n, per.recent_n,
           row_number() OVER (PARTITION BY per.repo_id ORDER BY per.n DESC, per.person_id) AS rk,
           sum(per.n) OVER (PARTITION BY per.repo_id ORDER BY per.n DESC, per.person_id ROWS UNBOUNDED PRECEDING) AS cum,
           sum(per.n) OVER (PARTITION BY per.repo_id) AS total,
           count(CASE WHEN per.n > 0 THEN 1 END) OVER (PARTITION BY per.repo_id) AS k
    FROM per
),
conc AS (  -- gini ranks the k persons ascending: a person's ascending rank is k + 1 - rk (persons
           -- tied in n trade places, which leaves the sum unchanged)
    SELECT ranked.repo_id,
           max(ranked.total) FILTER (WHERE ranked.n > 0) AS commits,
           max(ranked.k) FILTER (WHERE ranked.n > 0) AS contributors,
           min(ranked.rk) FILTER (WHERE ranked.n > 0 AND 2 * ranked.cum >= ranked.total) AS bus_factor,
           max(ranked.n) FILTER (WHERE ranked.n > 0) / max(ranked.total) FILTER (WHERE ranked.n > 0) AS top_share,
           CAST(sum((ranked.k + 1 - 2 * ranked.rk) * ranked.n) FILTER (WHERE ranked.n > 0)
                / (max(ranked.k) FILTER (WHERE ranked.n > 0) * sum(ranked.n) FILTER (WHERE ranked.n > 0)) AS DOUBLE) AS gini,
           count(*) FILTER (WHERE ranked.first_ts > a.t0) AS new_contributors,
           count(*) FILTER (WHERE ranked.prior_n > 0 AND ranked.recent_n = 0) AS inactive
    FROM ranked CROSS JOIN a GROUP BY ranked.repo_id
),
orgs AS (
    SELECT c.repo_id, c.org, count(*) AS n FROM c CROSS JOIN a
    WHERE c.ts > a.t0 AND c.org IS NOT NULL GROUP BY c.repo_id, c.org
),
org_ranked AS (
    SELECT repo_id, row_number() OVER (PARTITION BY repo_id ORDER BY n DESC, org) AS rk,
           sum(n) OVER (PARTITION BY repo_id ORDER BY n DESC, org ROWS UNBOUNDED PRECEDING) AS cum,
           sum(n) OVER (PARTITION BY repo_id) AS total
    FROM orgs
),
eleph AS (
    SELECT repo_id, min(rk) FILTER (WHERE 2 * cum >= total) AS elephant_factor FROM org_ranked GROUP BY repo_id
),
newc AS (  -- the newcomers of the 12 cohorts: persons whose first commit's month is 4-15 months
            -- before as_of's (each one's 3-month window has ended)
    SELECT per.repo_id, per.person_id, CAST(date_trunc('month', per.first_ts) AS DATE) AS cohort_month
    FROM per CROSS JOIN a
    WHERE date_diff('month', CAST(date_trunc('month', per.first_ts) AS DATE), a.am) BETWEEN 4 AND 15
),
flags AS (  -- each newcomer: whether a month 1-3 after the cohort is active (their commits up to
            -- the end of month 3 joined: a hash table of the newcomers, not a sort of every commit)
    SELECT /*+ SHUFFLE_HASH(n) */ n.repo_id,
           bool_or(date_diff('month', n.cohort_month, CAST(date_trunc('month', c.ts) AS DATE)) BETWEEN 1 AND 3) AS r3
    FROM c
    JOIN newc n ON n.repo_id = c.repo_id AND n.person_id = c.person_id
     AND c.ts < n.cohort_month + INTERVAL 4 MONTH
    GROUP BY n.repo_id, n.person_id
),
ret AS (  -- a row per person above, so no count(DISTINCT) (Spark expands and shuffles for it)
    SELECT repo_id, count(*) AS newcomers, count(*) FILTER (WHERE r3) AS retained
    FROM flags GROUP BY repo_id
),
last_commit AS (  -- any non-bot commit, merges included
    SELECT repo_id, max(committed_at) AS last_at FROM c_all GROUP BY repo_id
),
rel AS (
    SELECT rl.repo_id, max(rl.published_at) AS last_at,
           count(*) FILTER (WHERE rl.published_at > timezone('UTC', timezone('UTC', $as_of) - INTERVAL 12 MONTH)) AS releases_12m
    FROM releases rl JOIN r ON r.repo_id = rl.repo_id
    WHERE rl.published_at IS NOT NULL AND rl.published_at <= $as_of
      AND NOT coalesce(rl.draft, false) AND NOT coalesce(rl.prerelease, false)
    GROUP BY rl.repo_id
),
it_all AS (  -- every issue and pull request, those not in human_issues flagged by_bot
    SELECT i.repo_id, i.number, i.is_pull, i.created_at, i.closed_at, i.merged_at, i.state,
           ai.person_id AS author_person, lower(i.author_login) AS author_login,
           h.number IS NULL AS by_bot
    FROM issues i
    JOIN r ON r.repo_id = i.repo_id
    LEFT JOIN identities ai ON ai.identity_id = i.author_identity
    LEFT JOIN human_issues h ON h.repo_id = i.repo_id AND h.number = i.number
),
cmt AS (  -- non-bot comments up to as_of
    SELECT cm.repo_id, cm.issue_number, cm.kind, cm.created_at,
           coalesce(cm.review_state, '') = 'PENDING' AS pending,
           upper(cm.author_association) IN ('OWNER', 'MEMBER', 'COLLABORATOR') AS by_maintainer,
           ci.person_id AS author_person, lower(cm.author_login) AS author_login
    FROM comments cm
    LEFT JOIN identities ci ON ci.identity_id = cm.author_identity
    LEFT JOIN people cp ON cp.person_id = ci.person_id
    WHERE cm.created_at <= $as_of
      AND NOT coalesce(cp.is_bot OR ci.is_bot, false)
      AND NOT coalesce(ends_with(lower(cm.author_login), '[bot]'), false)
),
cm_all AS (  -- each item with each of its comments (an item without any: one row, comment NULL)
    SELECT it_all.repo_id, it_all.number, it_all.is_pull, it_all.created_at, it_all.closed_at,
           it_all.merged_at, it_all.state, it_all.by_bot, cmt.kind, cmt.created_at AS cm_at,
           -- a response: by someone other than the author, on an item not opened by a bot
           NOT it_all.by_bot AND cmt.created_at >= it_all.created_at AND NOT cmt.pending
               AND NOT coalesce(cmt.author_person = it_all.author_person, cmt.author_login = it_all.author_login, false) AS resp,
           -- as in days_since: items opened by bots count, the item author's own comments do not
           cmt.by_maintainer
               AND NOT coalesce(cmt.author_person = it_all.author_person, cmt.author_login = it_all.author_login, false) AS maint
    FROM it_all
    LEFT JOIN cmt ON cmt.repo_id = it_all.repo_id AND cmt.issue_number = it_all.number
),
items AS (  -- per item: first response, a review response by the merge, last maintainer comment
    SELECT repo_id, number, is_pull, created_at, closed_at, merged_at, state, by_bot,
           min(cm_at) FILTER (WHERE resp) AS first_at,
           count(*) FILTER (WHERE resp AND kind = 'review' AND cm_at <= merged_at) > 0 AS reviewed,
           max(cm_at) FILTER (WHERE maint) AS maint_at
    FROM cm_all GROUP BY repo_id, number, is_pull, created_at, closed_at, merged_at, state, by_bot
),
gh AS (  -- a row for every repository with GitHub items; the figures count items not opened by bots
    SELECT it.repo_id,
           quantile_cont((epoch(it.first_at) - epoch(it.created_at)) / 3600.0, 0.5) FILTER (
               WHERE NOT it.by_bot AND it.created_at > a.t0z AND it.created_at <= a.tz) AS median_first_response_hours,
           quantile_cont((epoch(it.closed_at) - epoch(it.created_at)) / 3600.0, 0.5) FILTER (
               WHERE NOT it.by_bot AND NOT it.is_pull AND it.closed_at > a.t0z AND it.closed_at <= a.tz) AS median_close_hours,
           quantile_cont((epoch(it.merged_at) - epoch(it.created_at)) / 3600.0, 0.5) FILTER (
               WHERE NOT it.by_bot AND it.is_pull AND it.merged_at > a.t0z AND it.merged_at <= a.tz) AS median_merge_hours,
           count(*) FILTER (WHERE NOT it.by_bot AND it.is_pull AND it.merged_at IS NOT NULL
               AND it.merged_at > a.t0z AND it.merged_at <= a.tz) AS merged_12m,
           count(*) FILTER (WHERE NOT it.by_bot AND it.is_pull
               AND coalesce(it.merged_at, it.closed_at) > a.t0z
               AND coalesce(it.merged_at, it.closed_at) <= a.tz) AS ended_12m,
           count(*) FILTER (WHERE NOT it.by_bot AND it.is_pull AND it.reviewed
               AND it.merged_at > a.t0z AND it.merged_at <= a.tz) AS reviewed_12m,
           count(*) FILTER (WHERE NOT it.by_bot AND NOT it.is_pull AND it.created_at <= a.tz
               AND (it.closed_at > a.tz OR (it.closed_at IS NULL AND coalesce(it.state, 'open') <> 'closed'))) AS open_issues,
           count(*) FILTER (WHERE NOT it.by_bot AND it.is_pull AND it.created_at <= a.tz
               AND (it.closed_at > a.tz OR (it.closed_at IS NULL AND coalesce(it.state, 'open') <> 'closed'))) AS open_prs,
           max(it.maint_at) AS maint_at
    FROM items it CROSS JOIN a
    GROUP BY it.repo_id
)
SELECT r.full_name AS repo, r.repo_id, a.tz AS as_of,
       CAST(coalesce(conc.commits, 0) AS BIGINT) AS commits_12m,
       coalesce(conc.contributors, 0) AS active_contributors_12m,
       coalesce(conc.new_contributors, 0) AS new_contributors_12m,
       ret.retained / nullif(ret.newcomers, 0) AS retention_3m,
       conc.bus_factor AS bus_factor_12m,
       eleph.elephant_factor,
       conc.top_share,
       conc.gini,
       coalesce(conc.inactive, 0) AS inactive_contributors,
       CAST(floor((epoch(a.tz) - epoch(lc.last_at)) / 86400) AS BIGINT) AS days_since_last_commit,
       CAST(floor((epoch(a.tz) - epoch(rel.last_at)) / 86400) AS BIGINT) AS days_since_last_release,
       coalesce(rel.releases_12m, 0) AS releases_12m,
       gh.repo_id IS NOT NULL AS has_github_data,
       gh.median_first_response_hours,
       gh.median_close_hours,
       gh.median_merge_hours,
       gh.merged_12m / nullif(gh.ended_12m, 0) AS pr_acceptance_ratio,
       gh.reviewed_12m / nullif(gh.merged_12m, 0) AS review_coverage,
       gh.open_issues,
       gh.open_prs,
       CAST(floor((epoch(a.tz) - epoch(gh.maint_at)) / 86400) AS BIGINT) AS days_since_last_maintainer_response
FROM r CROSS JOIN a
LEFT JOIN conc ON conc.repo_id = r.repo_id
LEFT JOIN eleph ON eleph.repo_id = r.repo_id
LEFT JOIN ret ON ret.repo_id = r.repo_id
LEFT JOIN last_commit lc ON lc.repo_id = r.repo_id
LEFT JOIN rel ON rel.repo_id = r.repo_id
LEFT JOIN gh ON gh.repo_id = r.repo_id
ORDER BY repo

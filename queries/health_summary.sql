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
c_all AS (  -- the one scan of commits: non-bot commits up to as_of, merges flagged
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
ranked AS (
    SELECT repo_id, n,
           row_number() OVER (PARTITION BY repo_id ORDER BY n DESC, person_id) AS rk,
           sum(n) OVER (PARTITION BY repo_id ORDER BY n DESC, person_id ROWS UNBOUNDED PRECEDING) AS cum,
           sum(n) OVER (PARTITION BY repo_id) AS total,
           row_number() OVER (PARTITION BY repo_id ORDER BY n, person_id) AS gi,
           count(*) OVER (PARTITION BY repo_id) AS k
    FROM per WHERE n > 0
),
conc AS (
    SELECT repo_id, max(total) AS commits, max(k) AS contributors,
           min(rk) FILTER (WHERE 2 * cum >= total) AS bus_factor,
           max(n) / max(total) AS top_share,
           CAST(sum((2 * gi - k - 1) * n) / (max(k) * sum(n)) AS DOUBLE) AS gini
    FROM ranked GROUP BY repo_id
),
people_agg AS (
    SELECT per.repo_id,
           count(*) FILTER (WHERE per.first_ts > a.t0) AS new_contributors,
           count(*) FILTER (WHERE per.prior_n > 0 AND per.recent_n = 0) AS inactive
    FROM per CROSS JOIN a GROUP BY per.repo_id
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
pm AS (
    SELECT DISTINCT repo_id, person_id, CAST(date_trunc('month', ts) AS DATE) AS month FROM c
),
cohort AS (
    SELECT repo_id, person_id, min(month) AS cohort_month FROM pm GROUP BY repo_id, person_id
),
ret AS (
    SELECT k.repo_id, count(DISTINCT k.person_id) AS newcomers,
           count(DISTINCT k.person_id) FILTER (
               WHERE date_diff('month', k.cohort_month, pm.month) BETWEEN 1 AND 3) AS retained
    FROM cohort k
    JOIN pm ON pm.repo_id = k.repo_id AND pm.person_id = k.person_id
    CROSS JOIN a
    WHERE date_diff('month', k.cohort_month, a.am) BETWEEN 4 AND 15
    GROUP BY k.repo_id
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
it AS (  -- issues and pull requests not opened by bots
    SELECT * FROM it_all WHERE NOT by_bot
),
cm_all AS (  -- the one scan of comments: non-bot comments up to as_of on any item
    SELECT it_all.repo_id, it_all.number, it_all.by_bot AS on_bot_item, cm.kind, cm.created_at,
           cm.created_at >= it_all.created_at AS after_open,
           coalesce(cm.review_state, '') = 'PENDING' AS pending,
           upper(cm.author_association) IN ('OWNER', 'MEMBER', 'COLLABORATOR') AS by_maintainer,
           coalesce(ci.person_id = it_all.author_person, lower(cm.author_login) = it_all.author_login, false) AS by_author
    FROM it_all
    JOIN comments cm ON cm.repo_id = it_all.repo_id AND cm.issue_number = it_all.number
    LEFT JOIN identities ci ON ci.identity_id = cm.author_identity
    LEFT JOIN people cp ON cp.person_id = ci.person_id
    WHERE cm.created_at <= $as_of
      AND NOT coalesce(cp.is_bot OR ci.is_bot, false)
      AND NOT coalesce(ends_with(lower(cm.author_login), '[bot]'), false)
),
cm AS (  -- responses: by someone other than the author, on items not opened by bots
    SELECT repo_id, number, kind, created_at FROM cm_all
    WHERE NOT on_bot_item AND after_open AND NOT pending AND NOT by_author
),
first_resp AS (
    SELECT repo_id, number, min(created_at) AS first_at FROM cm GROUP BY repo_id, number
),
reviewed AS (
    SELECT DISTINCT cm.repo_id, cm.number FROM cm JOIN it ON it.repo_id = cm.repo_id AND it.number = cm.number
    WHERE cm.kind = 'review' AND cm.created_at <= it.merged_at
),
maint AS (  -- as in days_since: items opened by bots count, the item author's own comments do not
    SELECT repo_id, max(created_at) AS last_at FROM cm_all
    WHERE by_maintainer AND NOT by_author GROUP BY repo_id
),
gh AS (
    SELECT it.repo_id,
           quantile_cont((epoch(fr.first_at) - epoch(it.created_at)) / 3600.0, 0.5) FILTER (
               WHERE it.created_at > a.t0z AND it.created_at <= a.tz) AS median_first_response_hours,
           quantile_cont((epoch(it.closed_at) - epoch(it.created_at)) / 3600.0, 0.5) FILTER (
               WHERE NOT it.is_pull AND it.closed_at > a.t0z AND it.closed_at <= a.tz) AS median_close_hours,
           quantile_cont((epoch(it.merged_at) - epoch(it.created_at)) / 3600.0, 0.5) FILTER (
               WHERE it.is_pull AND it.merged_at > a.t0z AND it.merged_at <= a.tz) AS median_merge_hours,
           count(*) FILTER (WHERE it.is_pull AND it.merged_at IS NOT NULL
               AND it.merged_at > a.t0z AND it.merged_at <= a.tz) AS merged_12m,
           count(*) FILTER (WHERE it.is_pull
               AND coalesce(it.merged_at, it.closed_at) > a.t0z
               AND coalesce(it.merged_at, it.closed_at) <= a.tz) AS ended_12m,
           count(*) FILTER (WHERE it.is_pull AND rv.number IS NOT NULL
               AND it.merged_at > a.t0z AND it.merged_at <= a.tz) AS reviewed_12m,
           count(*) FILTER (WHERE NOT it.is_pull AND it.created_at <= a.tz
               AND (it.closed_at > a.tz OR (it.closed_at IS NULL AND coalesce(it.state, 'open') <> 'closed'))) AS open_issues,
           count(*) FILTER (WHERE it.is_pull AND it.created_at <= a.tz
               AND (it.closed_at > a.tz OR (it.closed_at IS NULL AND coalesce(it.state, 'open') <> 'closed'))) AS open_prs
    FROM it CROSS JOIN a
    LEFT JOIN first_resp fr ON fr.repo_id = it.repo_id AND fr.number = it.number
    LEFT JOIN reviewed rv ON rv.repo_id = it.repo_id AND rv.number = it.number
    GROUP BY it.repo_id
),
has_gh AS (
    SELECT DISTINCT repo_id FROM it_all
)
SELECT r.full_name AS repo, r.repo_id, a.tz AS as_of,
       CAST(coalesce(conc.commits, 0) AS BIGINT) AS commits_12m,
       coalesce(conc.contributors, 0) AS active_contributors_12m,
       coalesce(pa.new_contributors, 0) AS new_contributors_12m,
       ret.retained / nullif(ret.newcomers, 0) AS retention_3m,
       conc.bus_factor AS bus_factor_12m,
       eleph.elephant_factor,
       conc.top_share,
       conc.gini,
       coalesce(pa.inactive, 0) AS inactive_contributors,
       CAST(floor((epoch(a.tz) - epoch(lc.last_at)) / 86400) AS BIGINT) AS days_since_last_commit,
       CAST(floor((epoch(a.tz) - epoch(rel.last_at)) / 86400) AS BIGINT) AS days_since_last_release,
       coalesce(rel.releases_12m, 0) AS releases_12m,
       hg.repo_id IS NOT NULL AS has_github_data,
       gh.median_first_response_hours,
       gh.median_close_hours,
       gh.median_merge_hours,
       CASE WHEN hg.repo_id IS NOT NULL THEN gh.merged_12m / nullif(gh.ended_12m, 0) END AS pr_acceptance_ratio,
       CASE WHEN hg.repo_id IS NOT NULL THEN gh.reviewed_12m / nullif(gh.merged_12m, 0) END AS review_coverage,
       CASE WHEN hg.repo_id IS NOT NULL THEN coalesce(gh.open_issues, 0) END AS open_issues,
       CASE WHEN hg.repo_id IS NOT NULL THEN coalesce(gh.open_prs, 0) END AS open_prs,
       CAST(floor((epoch(a.tz) - epoch(maint.last_at)) / 86400) AS BIGINT) AS days_since_last_maintainer_response
FROM r CROSS JOIN a
LEFT JOIN conc ON conc.repo_id = r.repo_id
LEFT JOIN people_agg pa ON pa.repo_id = r.repo_id
LEFT JOIN eleph ON eleph.repo_id = r.repo_id
LEFT JOIN ret ON ret.repo_id = r.repo_id
LEFT JOIN last_commit lc ON lc.repo_id = r.repo_id
LEFT JOIN rel ON rel.repo_id = r.repo_id
LEFT JOIN has_gh hg ON hg.repo_id = r.repo_id
LEFT JOIN gh ON gh.repo_id = r.repo_id
LEFT JOIN maint ON maint.repo_id = r.repo_id
ORDER BY repo

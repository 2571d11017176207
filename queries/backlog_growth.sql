-- name: backlog_growth
-- description: The open-issue backlog per UTC month (issues only, not pull requests): opened
--   counts issues created in the month, closed those closed in it, net_change = opened -
--   closed, and open_at_month_end the running total of net_change from the repository's first
--   issue month, i.e. issues open at the end of the month as known from today's data (an issue
--   reopened and closed again counts at its last closing). Months without events between the
--   first and the last event month appear with 0. Issues opened by bots are left out. $since
--   keeps months on or after the month of that date (the running total still starts at the
--   first issue).
-- params: $repo VARCHAR, $since DATE = NULL
-- returns: repo, month, opened, closed, net_change, open_at_month_end
-- grain: repo, month
-- reference: https://chaoss.community/kb/metric-issues-new/ (with CHAOSS Issues Closed; backlog as defined here)

WITH r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
it AS (
    SELECT i.repo_id, i.created_at, i.closed_at
    FROM human_issues i
    JOIN r ON r.repo_id = i.repo_id
    WHERE NOT i.is_pull AND i.created_at IS NOT NULL
),
ev AS (
    SELECT repo_id, CAST(date_trunc('month', make_timestamp(epoch_us(created_at))) AS DATE) AS month, 1 AS o, 0 AS c FROM it
    UNION ALL
    SELECT repo_id, CAST(date_trunc('month', make_timestamp(epoch_us(closed_at))) AS DATE), 0, 1
    FROM it WHERE closed_at IS NOT NULL
),
m AS (
    SELECT repo_id, month, sum(o) AS opened, sum(c) AS closed FROM ev GROUP BY repo_id, month
),
-- The months between a repository's first and last event month, and the running total, come
-- from m in one pass: each month with events also stands for the empty months up to the next
-- one (lead), which keep its running total. Reading m a second time for the series bounds
-- would, on Spark, which does not reuse a CTE named twice, aggregate every issue twice.
g AS (
    SELECT repo_id, month AS m0, opened, closed,
           lead(month) OVER (PARTITION BY repo_id ORDER BY month) AS next_m,
           sum(opened - closed) OVER (PARTITION BY repo_id ORDER BY month
                                      ROWS UNBOUNDED PRECEDING) AS open_end
    FROM m
),
months AS (
    SELECT repo_id, m0, next_m, opened, closed, open_end,
           CAST(unnest(generate_series(m0, coalesce(next_m, m0), INTERVAL 1 MONTH)) AS DATE) AS month
    FROM g
),
-- The $since filter applies after the running total (a plain WHERE on the outer query: QUALIFY
-- has no Spark SQL twin, and the metric runs on both engines). Columns are qualified (o.repo):
-- inside the installed macro an unqualified `repo` would be taken for the macro's parameter of
-- that name.
out AS (
    SELECT r.full_name AS repo, f.month,
           CAST(CASE WHEN f.month = f.m0 THEN f.opened ELSE 0 END AS BIGINT) AS opened,
           CAST(CASE WHEN f.month = f.m0 THEN f.closed ELSE 0 END AS BIGINT) AS closed,
           CAST(f.open_end AS BIGINT) AS open_at_month_end
    FROM months f JOIN r ON r.repo_id = f.repo_id
    WHERE f.next_m IS NULL OR f.month < f.next_m
)
SELECT o.repo, o.month, o.opened, o.closed, o.opened - o.closed AS net_change, o.open_at_month_end
FROM out o
WHERE $since IS NULL OR o.month >= date_trunc('month', $since)
ORDER BY o.repo, o.month

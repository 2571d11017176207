-- name: change_request_closure_ratio
-- description: Pull requests closed versus opened per UTC month: opened counts pull requests
--   created in the month, closed those closed in the month (merged or not), closure_ratio is
--   closed / opened (NULL when none was opened). Above 1 the backlog of open pull requests
--   shrinks. Pull requests opened by bots are left out. Only months with an opening or a
--   closing appear. $since keeps months on or after the month of that date.
-- params: $repo VARCHAR, $since DATE = NULL
-- returns: repo, month, opened, closed, closure_ratio
-- grain: repo, month
-- reference: https://chaoss.community/kb/metric-change-request-closure-ratio/

WITH r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
it AS (
    SELECT i.repo_id, i.created_at, i.closed_at
    FROM human_issues i
    JOIN r ON r.repo_id = i.repo_id
    WHERE i.is_pull
),
ev AS (
    SELECT repo_id, CAST(date_trunc('month', make_timestamp(epoch_us(created_at))) AS DATE) AS month, 1 AS o, 0 AS c
    FROM it WHERE created_at IS NOT NULL
    UNION ALL
    SELECT repo_id, CAST(date_trunc('month', make_timestamp(epoch_us(closed_at))) AS DATE), 0, 1
    FROM it WHERE closed_at IS NOT NULL
)
SELECT r.full_name AS repo, ev.month,
       CAST(sum(ev.o) AS BIGINT) AS opened, CAST(sum(ev.c) AS BIGINT) AS closed,
       sum(ev.c) / nullif(sum(ev.o), 0) AS closure_ratio
FROM ev JOIN r ON r.repo_id = ev.repo_id
WHERE $since IS NULL OR ev.month >= date_trunc('month', $since)
GROUP BY r.full_name, ev.month
ORDER BY repo, ev.month

-- name: release_frequency
-- description: Releases per UTC calendar year: releases counts published, non-draft,
--   non-prerelease releases by the year of published_at, prereleases the published
--   prereleases, median_days_between the median gap in days between each release of the year
--   and the release before it (which may be in an earlier year; prereleases ignored), NULL for
--   a year with only the first ever release. Years without releases between the first and the
--   last release year appear with 0. Repositories without releases give no rows.
-- params: $repo VARCHAR, $since DATE = NULL
-- returns: repo, year, releases, prereleases, median_days_between
-- grain: repo, year
-- reference: https://chaoss.community/kb/metric-release-frequency/

WITH r AS (
    SELECT repo_id, full_name FROM repos
    WHERE $repo IS NULL OR lower(full_name) = lower($repo)
),
rl AS (
    SELECT rl.repo_id, rl.published_at, coalesce(rl.prerelease, false) AS pre,
           year(make_timestamp(epoch_us(rl.published_at))) AS year
    FROM releases rl JOIN r ON r.repo_id = rl.repo_id
    WHERE rl.published_at IS NOT NULL AND NOT coalesce(rl.draft, false)
),
gaps AS (
    SELECT repo_id, year,
           (epoch(published_at) - epoch(lag(published_at) OVER (PARTITION BY repo_id ORDER BY published_at))) / 86400.0 AS gap
    FROM rl WHERE NOT pre
),
y AS (
    SELECT repo_id, year, count(*) FILTER (WHERE NOT pre) AS releases, count(*) FILTER (WHERE pre) AS prereleases
    FROM rl GROUP BY repo_id, year
),
g AS (
    SELECT repo_id, year, quantile_cont(gap, 0.5) AS median_days_between FROM gaps GROUP BY repo_id, year
),
years AS (
    SELECT repo_id, unnest(range(min(year), max(year) + 1)) AS year FROM y GROUP BY repo_id
)
SELECT r.full_name AS repo, CAST(years.year AS INTEGER) AS year,
       coalesce(y.releases, 0) AS releases, coalesce(y.prereleases, 0) AS prereleases,
       g.median_days_between
FROM years
JOIN r ON r.repo_id = years.repo_id
LEFT JOIN y ON y.repo_id = years.repo_id AND y.year = years.year
LEFT JOIN g ON g.repo_id = years.repo_id AND g.year = years.year
WHERE $since IS NULL OR years.year >= year($since)
ORDER BY repo, years.year

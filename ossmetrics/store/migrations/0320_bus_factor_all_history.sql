-- The graph stage's CHAOSS bus factor covers all history up to the cut date; the metric
-- library's (queries/bus_factor.sql, health_summary's bus_factor_12m) covers 12 months. Both
-- were shown as "bus factor"; each name now carries its window. Rows and truck-factor details
-- written under the old name are renamed, so a store keeps its graph history.
UPDATE graph_repo_measures SET measure = 'bus_factor_all_history'
WHERE measure = 'bus_factor_chaoss';
UPDATE graph_repo_measures
SET detail = replace(detail, '"bus_factor_chaoss"', '"bus_factor_all_history"')
WHERE measure = 'truck_factor' AND detail LIKE '%"bus_factor_chaoss"%';

-- The metric library installed in this store as DuckDB table macros (ossmetrics.metrics.install).
-- One row: the digest of the queries/*.sql files the macros were made from, so installing is a
-- one-row read when nothing changed, and 'name:file-digest' per metric, so only changed metrics
-- are re-created and macros of removed metrics are dropped.
CREATE TABLE metric_library (
    digest       VARCHAR NOT NULL,
    metrics      VARCHAR[] NOT NULL,
    installed_at TIMESTAMPTZ NOT NULL
);

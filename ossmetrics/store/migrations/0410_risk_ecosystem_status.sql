-- Risk validation (owner: risk). Why: leave-one-ecosystem-out evaluation needs each repository's
-- ecosystem (a corpus manifest states it; otherwise the risk stage maps repos.language), and the
-- third outcome label ("archived or declared unmaintained/deprecated at T + 12 months") needs the
-- dated status changes a corpus build detected (GitHub archive flag, README/description notices).
ALTER TABLE repos ADD COLUMN ecosystem VARCHAR;

-- One row per detected status change. kind: e.g. 'archived', 'unmaintained', 'deprecated' or 'cleared'
-- (notice removed); the archived label reads the latest kind before T + 12 months;
-- event_at: when it was first seen (the commit or snapshot that carried it); source: how it was
-- detected (e.g. 'github_archived', 'readme', 'description'). A store without rows for a
-- repository has no status information for it, and the label is NULL (never guessed).
CREATE TABLE status_events (
    repo_id  INTEGER NOT NULL,
    event_at TIMESTAMPTZ NOT NULL,
    kind     VARCHAR NOT NULL,
    source   VARCHAR,
    detail   VARCHAR,
    PRIMARY KEY (repo_id, event_at, kind)
);

-- Which repositories a status source covered (so "no event" can mean "not archived" for them
-- and stay unknown for the rest).
CREATE TABLE status_coverage (
    repo_id     INTEGER PRIMARY KEY,
    checked_at  TIMESTAMPTZ,
    source      VARCHAR
);

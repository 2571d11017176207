-- Nightly bookkeeping (owner: nightly).
-- runs.repo: the tracked name (or git source) a row is about, known even before the repository
-- has a repo_id (first run) or when it never gets one (unknown repository, missing clone).
ALTER TABLE runs ADD COLUMN repo VARCHAR;

-- What the last successful portfolio stages were computed from, so a no-change run can skip
-- them. scope: 'repo:<repo_id>' for per-repository stages, 'portfolio' for whole-store ones;
-- fingerprint: a digest of the data the stage read (see ossmetrics/pipeline/fingerprint.py).
CREATE TABLE nightly_state (
    scope       VARCHAR NOT NULL,
    stage       VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    run_id      INTEGER,
    updated_at  TIMESTAMPTZ,
    PRIMARY KEY (scope, stage)
);

-- forks: who forked a repository, and when. Filled from GH Archive ForkEvents by
-- `ossmetrics spark backfill` (the REST collector does not list forks); the event carries the
-- fork itself as `payload.forkee`, a repository object, in both the 2015 and the trimmed
-- 2025 payloads.
-- One row per fork (repo_id, forkee): forkee is the fork's OWNER/NAME as GitHub spelled it,
-- login the account that forked (the event's actor), github_id the fork's repository id when
-- the payload has it, forked_at when it was first seen forked (a fork deleted and made again
-- under the same name keeps its first date, as a star keeps its first starred_at).
-- login is a person's handle: `people forget` removes that person's rows.
CREATE TABLE forks (
    repo_id   INTEGER NOT NULL,
    forkee    VARCHAR NOT NULL,
    login     VARCHAR,
    github_id BIGINT,
    forked_at TIMESTAMPTZ,
    PRIMARY KEY (repo_id, forkee)
);

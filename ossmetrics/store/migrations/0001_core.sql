-- The core schema every stage builds on (DESIGN.md "Store").
-- Timestamps are TIMESTAMPTZ in UTC; the connection sets TimeZone = 'UTC'.
-- Natural keys are declared where the table is small enough for an index to be cheap;
-- commits and commit_files get idempotency from replace-the-range writes instead
-- (a PRIMARY KEY on commit_files made the file 6.6x larger and inserts 9x slower, measured).

CREATE SEQUENCE IF NOT EXISTS repo_id_seq START 1;
CREATE SEQUENCE IF NOT EXISTS identity_id_seq START 1;
CREATE SEQUENCE IF NOT EXISTS run_id_seq START 1;

CREATE TABLE repos (
    repo_id        INTEGER PRIMARY KEY DEFAULT nextval('repo_id_seq'),
    full_name      VARCHAR NOT NULL UNIQUE,   -- 'owner/name', the name users type
    platform       VARCHAR NOT NULL DEFAULT 'github',
    owner          VARCHAR,
    name           VARCHAR,
    url            VARCHAR,
    git_path       VARCHAR,                    -- local clone the git collector last read
    description    VARCHAR,
    homepage       VARCHAR,
    language       VARCHAR,
    license        VARCHAR,
    default_branch VARCHAR,
    stars          INTEGER,
    forks          INTEGER,
    watchers       INTEGER,
    open_issues    INTEGER,
    archived       BOOLEAN,
    is_fork        BOOLEAN,
    topics         VARCHAR[],
    github_id      BIGINT,
    created_at     TIMESTAMPTZ,
    pushed_at      TIMESTAMPTZ,
    collected_at   TIMESTAMPTZ,
    renamed_from   VARCHAR[]                   -- earlier full names (301 redirects followed)
);

-- GitHub community profile (README, CONTRIBUTING, ... present?), one row per repo.
CREATE TABLE repo_community (
    repo_id            INTEGER PRIMARY KEY,
    health_percentage  INTEGER,
    has_readme         BOOLEAN,
    has_contributing   BOOLEAN,
    has_code_of_conduct BOOLEAN,
    has_license        BOOLEAN,
    has_issue_template BOOLEAN,
    has_pr_template    BOOLEAN,
    collected_at       TIMESTAMPTZ
);

-- One row per real person after merging identities.
CREATE TABLE people (
    person_id     INTEGER PRIMARY KEY,
    display_name  VARCHAR,
    primary_email VARCHAR,
    github_login  VARCHAR,
    is_bot        BOOLEAN NOT NULL DEFAULT false,
    organization  VARCHAR          -- from the email domain, free-mail domains ignored
);

-- Every (source, name, email, login) seen. identity_key is the natural key:
--   git:    'git:'    || lower(email) || chr(31) || name
--   github: 'github:' || lower(login)
CREATE TABLE identities (
    identity_id   INTEGER PRIMARY KEY DEFAULT nextval('identity_id_seq'),
    identity_key  VARCHAR NOT NULL UNIQUE,
    person_id     INTEGER,
    source        VARCHAR NOT NULL,  -- 'git', 'github', 'corpus'
    login         VARCHAR,
    name          VARCHAR,
    email         VARCHAR,
    is_bot        BOOLEAN NOT NULL DEFAULT false,
    first_seen_at TIMESTAMPTZ
);

-- User corrections to the automatic merge; re-applied after every re-merge so they survive
-- re-collection. action: 'merge' (identity joins target's person) or 'split' (identity gets
-- a person of its own and is never merged automatically).
CREATE TABLE identity_overrides (
    identity_key        VARCHAR NOT NULL,
    action              VARCHAR NOT NULL,
    target_identity_key VARCHAR,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE commits (
    repo_id                 INTEGER NOT NULL,
    sha                     VARCHAR NOT NULL,
    author_identity         INTEGER,
    committer_identity      INTEGER,
    authored_at             TIMESTAMPTZ,
    author_tz_offset_min    SMALLINT,
    committed_at            TIMESTAMPTZ,
    committer_tz_offset_min SMALLINT,
    parents                 VARCHAR[],
    n_parents               TINYINT,
    files_changed           INTEGER,
    lines_added             BIGINT,
    lines_deleted           BIGINT,
    message_len             INTEGER,
    github_author_login     VARCHAR   -- from the GitHub commits list when collected
);

CREATE TABLE commit_files (
    repo_id  INTEGER NOT NULL,
    sha      VARCHAR NOT NULL,
    path     VARCHAR NOT NULL,
    old_path VARCHAR,       -- set when git detected a rename
    added    INTEGER,       -- NULL for binary files (or a blob missing from a partial clone)
    deleted  INTEGER
);

CREATE TABLE issues (
    repo_id            INTEGER NOT NULL,
    number             INTEGER NOT NULL,
    is_pull            BOOLEAN NOT NULL,
    github_id          BIGINT,
    author_identity    INTEGER,
    author_login       VARCHAR,
    author_association VARCHAR,
    title              VARCHAR,
    state              VARCHAR,
    state_reason       VARCHAR,
    draft              BOOLEAN,
    locked             BOOLEAN,
    labels             VARCHAR[],
    assignees          VARCHAR[],
    comments           INTEGER,
    created_at         TIMESTAMPTZ,
    updated_at         TIMESTAMPTZ,
    closed_at          TIMESTAMPTZ,
    merged_at          TIMESTAMPTZ,
    merged_by_login    VARCHAR,
    PRIMARY KEY (repo_id, number)
);

-- kind: 'issue' (issue/PR conversation comment), 'review' (a PR review; review_state holds the
-- verdict), 'review_comment' (an inline comment on a PR diff).
CREATE TABLE comments (
    repo_id            INTEGER NOT NULL,
    issue_number       INTEGER,
    comment_id         BIGINT NOT NULL,
    kind               VARCHAR NOT NULL,
    author_identity    INTEGER,
    author_login       VARCHAR,
    author_association VARCHAR,
    review_state       VARCHAR,
    created_at         TIMESTAMPTZ,
    updated_at         TIMESTAMPTZ,
    body_len           INTEGER,
    PRIMARY KEY (repo_id, kind, comment_id)
);

CREATE TABLE releases (
    repo_id      INTEGER NOT NULL,
    tag          VARCHAR NOT NULL,
    name         VARCHAR,
    github_id    BIGINT,
    author_login VARCHAR,
    created_at   TIMESTAMPTZ,
    published_at TIMESTAMPTZ,
    prerelease   BOOLEAN,
    draft        BOOLEAN,
    PRIMARY KEY (repo_id, tag)
);

CREATE TABLE stargazers (
    repo_id    INTEGER NOT NULL,
    login      VARCHAR NOT NULL,
    starred_at TIMESTAMPTZ,
    PRIMARY KEY (repo_id, login)
);

-- Makes collection incremental and resumable: one row per (repo, source, endpoint).
CREATE TABLE sync_state (
    repo_id         INTEGER NOT NULL,
    source          VARCHAR NOT NULL,   -- 'git', 'github'
    endpoint        VARCHAR NOT NULL,   -- e.g. 'HEAD', 'issues', 'issues/comments'
    cursor          VARCHAR,            -- high-water mark (sha, timestamp, page URL)
    etag            VARCHAR,
    last_success_at TIMESTAMPTZ,
    last_error      VARCHAR,
    updated_at      TIMESTAMPTZ,
    PRIMARY KEY (repo_id, source, endpoint)
);

-- Headline metrics, one row per metric per nightly run.
CREATE TABLE metric_snapshots (
    run_id      INTEGER,
    repo_id     INTEGER NOT NULL,
    metric      VARCHAR NOT NULL,
    value       DOUBLE,
    computed_at TIMESTAMPTZ NOT NULL
);

-- What each run did, one row per (run, repo, stage); repo_id NULL for whole-run stages.
CREATE TABLE runs (
    run_id      INTEGER NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    repo_id     INTEGER,
    stage       VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,   -- 'running', 'ok', 'failed', 'skipped'
    items       BIGINT,
    requests    BIGINT,
    seconds     DOUBLE,
    error       VARCHAR
);

CREATE TABLE graph_person_measures (
    repo_id   INTEGER,          -- NULL for the portfolio graph
    person_id INTEGER NOT NULL,
    as_of     DATE NOT NULL,
    graph     VARCHAR NOT NULL, -- 'collaboration', 'authorship', 'portfolio'
    measure   VARCHAR NOT NULL,
    value     DOUBLE
);

CREATE TABLE graph_repo_measures (
    repo_id INTEGER NOT NULL,
    as_of   DATE NOT NULL,
    measure VARCHAR NOT NULL,
    value   DOUBLE,
    detail  VARCHAR             -- JSON: e.g. the key people behind truck_factor
);

CREATE TABLE risk_scores (
    repo_id       INTEGER NOT NULL,
    as_of         DATE NOT NULL,
    model_version VARCHAR NOT NULL,
    p_dormant     DOUBLE,
    p_core_loss   DOUBLE,
    risk          DOUBLE,       -- 0-100
    drivers       VARCHAR,      -- JSON list of the top factors, in plain words
    scored_at     TIMESTAMPTZ NOT NULL
);

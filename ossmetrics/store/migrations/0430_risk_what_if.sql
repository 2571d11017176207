-- What-if results of the risk model (owner: risk): for each scored project, the project rescored
-- as if one of its key people had never committed. Written by the risk step (``score_projects``
-- with what_if > 0) for the riskiest projects, so the report reads them instead of running the
-- model while it renders. person_id: the truck factor's first key person (graph stage);
-- people: JSON list of {name, share_12m, other_projects, delta_p_dormant}, the contributors the
-- project leans on; drivers: JSON list of the top drivers' sentences.
CREATE TABLE risk_what_if (
    repo_id             INTEGER NOT NULL,
    as_of               DATE NOT NULL,
    model_version       VARCHAR NOT NULL,
    person_id           INTEGER NOT NULL,
    person              VARCHAR,
    risk                DOUBLE,
    without_p_dormant   DOUBLE,
    without_p_core_loss DOUBLE,
    without_risk        DOUBLE,
    drivers             VARCHAR,
    people              VARCHAR,
    computed_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (repo_id, as_of, model_version)
);

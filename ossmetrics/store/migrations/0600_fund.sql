-- Funders (owner: fund). What an organisation depends on, read from its SBOMs, where each
-- package's source lives, and how much the world depends on it. See docs/funding.md.
--
-- A "package" everywhere below is a versionless package URL (pkg:npm/%40scope/name), so one
-- package seen at several versions is one row of links and signals.

CREATE SEQUENCE IF NOT EXISTS fund_doc_id_seq START 1;

-- One row per ingested SBOM or purl list. org_repo: the organisation repository it describes
-- (from the SBOM's root component / SPDX document name / --repo), NULL when unknown.
-- flat: the document has no dependency depth (GitHub's export, purl lists, SBOMs without
-- edges between components), so exposure falls back to repository counts.
CREATE TABLE fund_documents (
    doc_id       INTEGER PRIMARY KEY DEFAULT nextval('fund_doc_id_seq'),
    path         VARCHAR NOT NULL,
    sha256       VARCHAR NOT NULL UNIQUE,
    format       VARCHAR NOT NULL,      -- cyclonedx, spdx, github, purls
    spec_version VARCHAR,
    org_repo     VARCHAR,
    flat         BOOLEAN NOT NULL,
    components   INTEGER NOT NULL,
    ingested_at  TIMESTAMPTZ NOT NULL
);

-- Components of a document. package: versionless purl; purl: as written (normalised).
-- scope: required / optional / excluded (CycloneDX) or the SPDX/GitHub equivalent, NULL unknown.
-- weight: the optional weight column of a purl list (NULL elsewhere).
CREATE TABLE fund_components (
    doc_id    INTEGER NOT NULL,
    ref       VARCHAR NOT NULL,         -- the document's own id for the component (bom-ref, SPDXID)
    package   VARCHAR NOT NULL,
    purl      VARCHAR NOT NULL,
    ecosystem VARCHAR NOT NULL,         -- purl type: npm, pypi, cargo, golang, maven, gem, ...
    name      VARCHAR NOT NULL,
    version   VARCHAR,
    scope     VARCHAR,
    weight    DOUBLE
);

-- Dependency edges. parent NULL: the organisation repository itself (a direct dependency).
-- kind: runtime, dev, build, optional, test, unknown.
CREATE TABLE fund_edges (
    doc_id  INTEGER NOT NULL,
    parent  VARCHAR,                    -- package (versionless purl) or NULL for the root
    child   VARCHAR NOT NULL,
    kind    VARCHAR NOT NULL
);

-- Every candidate package -> source repository link, with where it came from.
-- source: sbom, purl, registry, depsdev, ecosystems; provenance: the source's own word
-- (e.g. deps.dev SLSA_ATTESTATION / UNVERIFIED_METADATA, CycloneDX vcs, SPDX downloadLocation).
CREATE TABLE fund_links (
    package    VARCHAR NOT NULL,
    repo       VARCHAR NOT NULL,        -- owner/name on github.com (lower case)
    source     VARCHAR NOT NULL,
    provenance VARCHAR NOT NULL,
    confidence DOUBLE NOT NULL,
    as_of      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (package, repo, source, provenance)
);

-- A user's correction (`fund link PURL OWNER/REPO`); kept apart so re-ingest never loses it.
CREATE TABLE fund_link_pins (
    package   VARCHAR PRIMARY KEY,
    repo      VARCHAR NOT NULL,
    pinned_at TIMESTAMPTZ NOT NULL
);

-- Raw answers of the usage-signal services, so `fund enrich --offline` and re-derivation never
-- need the network. status: HTTP status (404 = the service does not know the package).
CREATE TABLE fund_cache (
    source     VARCHAR NOT NULL,        -- depsdev, depsdev_dependents, ecosystems
    key        VARCHAR NOT NULL,        -- package (or package@version)
    status     INTEGER NOT NULL,
    payload    VARCHAR,
    fetched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, key)
);

-- Usage signals per package, derived from the cache. value NULL = unknown, never 0.
-- signal: dependents (transitive), direct_dependents, indirect_dependents (deps.dev, on the
-- default version, in detail), dependent_packages, dependent_repos,
-- downloads, critical (0/1), rank_* (ecosyste.ms registry-wide percentiles, lower = more used).
CREATE TABLE fund_signals (
    package   VARCHAR NOT NULL,
    ecosystem VARCHAR NOT NULL,
    source    VARCHAR NOT NULL,
    signal    VARCHAR NOT NULL,
    value     DOUBLE,
    detail    VARCHAR,                  -- the version counted on, the downloads period
    as_of     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (package, source, signal)
);

-- Funding links per package (ecosyste.ms funding_links, SBOM funding references).
CREATE TABLE fund_funding (
    package VARCHAR NOT NULL,
    url     VARCHAR NOT NULL,
    source  VARCHAR NOT NULL,
    PRIMARY KEY (package, url)
);

-- The importance lenses per project (owner: fund importance), one row per repo and lens.
-- lens: reach or exposure; value 0-100 or NULL; coverage: signals present (reach, of 3);
-- detail: JSON with every input, its source and date, and the link confidence.
CREATE TABLE fund_importance (
    repo        VARCHAR NOT NULL,
    lens        VARCHAR NOT NULL,
    value       DOUBLE,
    coverage    INTEGER,
    flagged     BOOLEAN,
    detail      VARCHAR,
    computed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (repo, lens)
);

-- The last plan `fund plan` wrote (replaced by the next), for the report's "Funding plan" page.
-- Names of people are not stored: the page looks them up through the report's display helpers.
CREATE TABLE fund_plan (
    rank          INTEGER NOT NULL,
    repo          VARCHAR NOT NULL,
    priority      DOUBLE NOT NULL,
    amount_cents  BIGINT NOT NULL,
    importance    DOUBLE,
    lens          VARCHAR NOT NULL,
    p_dormant     DOUBLE,
    risk          DOUBLE,
    why_critical  VARCHAR,
    why_fragile   VARCHAR,
    funding_links VARCHAR,
    budget_cents  BIGINT NOT NULL,
    floor_cents   BIGINT NOT NULL,
    cap           DOUBLE NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

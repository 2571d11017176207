-- Dependency edges of packages themselves (owner: fund enrich), for SBOMs that have no depth.
-- GitHub's export and purl lists only say what a repository uses directly; deps.dev's
-- GetDependencies gives each such direct package (root, at the version the organisation uses)
-- its resolved graph, so the exposure lens can trickle down it. Derived from fund_cache
-- (source depsdev_dependencies), replaced as a whole by each derivation. See docs/funding.md.
-- fund_cache now also holds the sources depsdev_dependencies (key package@version),
-- depsdev_package, and the registries' trimmed answers: pypi, npm, crates, rubygems.
CREATE TABLE fund_package_edges (
    root    VARCHAR NOT NULL,           -- the direct package whose graph this edge belongs to
    version VARCHAR NOT NULL,           -- the root's version the graph was resolved for
    parent  VARCHAR NOT NULL,           -- package (versionless purl)
    child   VARCHAR NOT NULL,
    kind    VARCHAR NOT NULL,           -- runtime (deps.dev resolves the runtime dependencies)
    source  VARCHAR NOT NULL,           -- deps.dev
    as_of   TIMESTAMPTZ NOT NULL        -- when the graph was fetched
);

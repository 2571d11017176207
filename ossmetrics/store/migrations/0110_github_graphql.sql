-- What GitHub's GraphQL API gives for a pull request in the same query as its reviews
-- (the REST list payload lacks it: one more request per PR there), and the commit a review
-- was submitted on (both paths). REST increments leave additions/deletions/changed_files as
-- the last GraphQL read set them (NULL when a repository was never read through GraphQL).
ALTER TABLE issues ADD COLUMN additions INTEGER;
ALTER TABLE issues ADD COLUMN deletions INTEGER;
ALTER TABLE issues ADD COLUMN changed_files INTEGER;
ALTER TABLE comments ADD COLUMN commit_id VARCHAR;

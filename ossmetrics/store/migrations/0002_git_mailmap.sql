-- The .mailmap of each collected repository (read from HEAD), one row per mapping line.
-- merge_identities joins an identity to the proper email a mailmap names, so aliases merge
-- even when the mailmap changes after their commits were collected. commit_name NULL: the
-- line maps every name used with commit_email.
CREATE TABLE git_mailmap (
    repo_id      INTEGER NOT NULL,
    proper_name  VARCHAR,
    proper_email VARCHAR,
    commit_name  VARCHAR,
    commit_email VARCHAR NOT NULL
);

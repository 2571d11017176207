-- People who asked to be forgotten (`ossmetrics people forget`, see docs/privacy.md).
-- Their identities keep their identity_id (so commits, issues and comments stay attributed and
-- every metric is unchanged) but lose identity_key, name, email and login. What is kept here is
-- a SHA-256 of each forgotten identity key ('git:<email>\x1f<name>', 'github:<login>') and of
-- 'email:<email>', so a later collection recognises the same author and attaches the new
-- commits to the anonymous identity instead of re-creating the named one.
CREATE TABLE forgotten_identities (
    key_hash     VARCHAR PRIMARY KEY,
    identity_id  INTEGER NOT NULL,
    forgotten_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

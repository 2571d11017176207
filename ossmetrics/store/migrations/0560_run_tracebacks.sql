-- The traceback of a failed pipeline step (owner: pipeline), secrets redacted, so a failure on
-- a machine nobody watches (cron, CI) can be diagnosed from the store alone; NULL otherwise.
ALTER TABLE runs ADD COLUMN traceback VARCHAR;

-- alert_pending_usage.version from a sequence: unique across a row's deletion and re-insertion.
--
-- 1190 started every row at version 1 and added 1 per write. An evaluation deletes the rows it
-- read only if their version is unchanged; but a row deleted by one evaluation and inserted again
-- by a later record started over at 1, so a second evaluation still holding the old row's version
-- 1 (it read before that record committed, so it never saw its usage) deleted the new row, and
-- the record's usage was never evaluated. Every write now takes the next number of one sequence,
-- starting past every version already written, so a version read once is never seen again.
CREATE SEQUENCE alert_pending_usage_version;
SELECT setval('alert_pending_usage_version', COALESCE((SELECT max(version) FROM alert_pending_usage), 0) + 1, false);
ALTER TABLE alert_pending_usage ALTER COLUMN version SET DEFAULT nextval('alert_pending_usage_version');

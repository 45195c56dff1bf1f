-- When an ended attempt's files (and an ended run's log) (script, logs, outputs, temp files) were copied to the
-- artifact store; unset while they are only in the data folder. The indexes hold only
-- what is still to copy, so the archiver's sweep stays cheap.
ALTER TABLE job_attempts ADD COLUMN archived_at TEXT;
CREATE INDEX job_attempts_to_archive ON job_attempts (run_id, job_name, attempt)
    WHERE finished_at IS NOT NULL AND archived_at IS NULL;
ALTER TABLE runs ADD COLUMN log_archived_at TEXT;
CREATE INDEX runs_to_archive ON runs (id) WHERE finished_at IS NOT NULL AND log_archived_at IS NULL;

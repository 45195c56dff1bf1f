-- What a running job reports about itself (PUT …/jobs/{name}/report), authenticated by a
-- token valid for that attempt only: its SHA-256 is kept, never the token.
ALTER TABLE job_attempts ADD COLUMN token_hash TEXT;
ALTER TABLE job_attempts ADD COLUMN progress DOUBLE PRECISION;
ALTER TABLE job_attempts ADD COLUMN status_message TEXT;
ALTER TABLE job_attempts ADD COLUMN metrics TEXT;  -- JSON object of numbers, merged report by report
ALTER TABLE job_attempts ADD COLUMN reported_at TEXT;

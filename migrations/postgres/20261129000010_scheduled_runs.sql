-- Scheduled runs: a queued run does not start before `not_before` (seconds since 1970, UTC);
-- one with `repeat_seconds` queues its next occurrence when it starts.
ALTER TABLE runs ADD COLUMN not_before BIGINT;
ALTER TABLE runs ADD COLUMN repeat_seconds BIGINT;

-- Which server drives a running run, and until when its lease holds (seconds since 1970):
-- a server renews its leases while it lives; another takes over a run whose lease expired.
ALTER TABLE runs ADD COLUMN owner TEXT;
ALTER TABLE runs ADD COLUMN lease_until BIGINT;
CREATE INDEX runs_running_lease ON runs (lease_until) WHERE status = 'running';

-- Live events of every server, in one order: each server publishes here (one writer at a
-- time, so ids commit in order) and NOTIFYs; every server reads them back and hands them to
-- its browsers, so a client sees the same events with the same ids on any server.
CREATE TABLE live_events (
    id BIGSERIAL PRIMARY KEY,
    experiment_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX live_events_created ON live_events (created_at);

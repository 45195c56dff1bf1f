-- Which server drives a running run, and until when its lease holds (seconds since 1970):
-- a server renews its leases while it lives; another takes over a run whose lease expired.
ALTER TABLE runs ADD COLUMN owner TEXT;
ALTER TABLE runs ADD COLUMN lease_until INTEGER;

-- Where an attempt ran, as its batch system says: the partition it queued in and the nodes
-- it ran on (Slurm's `%P` and `%N`); empty for local jobs.
ALTER TABLE job_attempts ADD COLUMN queue_name TEXT;
ALTER TABLE job_attempts ADD COLUMN node_list TEXT;

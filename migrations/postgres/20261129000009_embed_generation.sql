-- Embed links carry the experiment's generation; raising it ends every link made before.
ALTER TABLE experiments ADD COLUMN embed_generation BIGINT NOT NULL DEFAULT 0;

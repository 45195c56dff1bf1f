-- Embed links carry the experiment's generation; raising it ends every link made before.
ALTER TABLE experiments ADD COLUMN embed_generation INTEGER NOT NULL DEFAULT 0;

-- Substring search over id, description and owner through a trigram index, so searching a
-- large catalogue does not scan every row. Kept in step with `experiments` by triggers.
CREATE VIRTUAL TABLE experiments_search USING fts5(
    expid, description, owner,
    content = 'experiments', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO experiments_search (experiments_search) VALUES ('rebuild');

CREATE TRIGGER experiments_search_insert AFTER INSERT ON experiments BEGIN
    INSERT INTO experiments_search (rowid, expid, description, owner)
    VALUES (new.id, new.expid, new.description, new.owner);
END;

CREATE TRIGGER experiments_search_delete AFTER DELETE ON experiments BEGIN
    INSERT INTO experiments_search (experiments_search, rowid, expid, description, owner)
    VALUES ('delete', old.id, old.expid, old.description, old.owner);
END;

CREATE TRIGGER experiments_search_update AFTER UPDATE OF expid, description, owner ON experiments BEGIN
    INSERT INTO experiments_search (experiments_search, rowid, expid, description, owner)
    VALUES ('delete', old.id, old.expid, old.description, old.owner);
    INSERT INTO experiments_search (rowid, expid, description, owner)
    VALUES (new.id, new.expid, new.description, new.owner);
END;

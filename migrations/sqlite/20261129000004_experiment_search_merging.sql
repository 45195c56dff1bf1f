-- Merge the search index's segments eagerly (a merge as soon as two segments share a level,
-- instead of four). Searches walk every segment's lists, and the catalogue is written rarely
-- and read often: measured on 10,000 experiments inserted one by one, a "sea ice" lookup
-- took 0.27 ms instead of 0.43 ms, and the inserts were no slower.
INSERT INTO experiments_search (experiments_search, rank) VALUES ('automerge', 2);
-- Existing indexes start from one merged segment.
INSERT INTO experiments_search (experiments_search) VALUES ('optimize');

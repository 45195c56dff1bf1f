-- People who may log in. Local accounts carry an argon2 hash (PHC string); accounts that log
-- in through CAS, GitHub or OpenID Connect have none. Names are compared as stored (login
-- folds them to lower case first).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    password_hash TEXT,
    created_at    TEXT    NOT NULL,
    modified_at   TEXT    NOT NULL
);

-- Personal API tokens: only a SHA-256 of each token is kept (tokens are 256 random bits, so
-- a fast hash is enough); a token dies with its user, on revocation, or at its expiry.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   TEXT    NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

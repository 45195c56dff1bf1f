-- Who an external provider says a user is, by the provider's own lasting id (GitHub's numeric
-- user id, the CAS user), linked to one account. A login through a provider only ever opens
-- the account its identity is linked to.
CREATE TABLE external_identities (
    provider   TEXT        NOT NULL,
    subject    TEXT        NOT NULL,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX external_identities_by_user ON external_identities (user_id);

-- Who besides its owner may act on an experiment. A collaborator is an account: removing the
-- account removes its collaborations.
CREATE TABLE experiment_collaborators (
    experiment_id BIGINT      NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    user_name     TEXT        NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    added_by      TEXT        NOT NULL,
    added_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (experiment_id, user_name)
);
CREATE INDEX experiment_collaborators_by_user ON experiment_collaborators (user_name);

-- Every action: who, when, what, on which target, and the state before and after. Rows are
-- only ever appended; names are kept as text so the record outlives accounts and experiments.
CREATE TABLE audit_log (
    id           BIGSERIAL   PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
    actor        TEXT        NOT NULL,
    action       TEXT        NOT NULL,
    expid        TEXT,
    target       TEXT        NOT NULL,
    before_state TEXT,
    after_state  TEXT
);
CREATE INDEX audit_log_by_expid ON audit_log (expid, id);
CREATE INDEX audit_log_by_actor ON audit_log (actor, id);

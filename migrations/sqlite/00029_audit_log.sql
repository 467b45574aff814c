-- +goose Up
-- Who did what to what, when, with the values before and after: publishing, enabling, retries, cancels,
-- edits of run data, bulk actions, undoing a record's change, secrets, users and roles. Admins read it on
-- the Audit log page and at GET /api/audit.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           DATETIME NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    before_value TEXT,
    after_value  TEXT
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id DESC);

-- +goose Down
DROP TABLE audit_log;

-- +goose Up
-- Each field a change of a CRM record changed, with its value before and after, who changed it, and the run
-- and step when a workflow did (update_record): the record's journey reads it, and a manager may undo a
-- workflow's change while nobody changed the field since.
CREATE TABLE record_changes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    entity       TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    field        TEXT NOT NULL,
    before_value TEXT,
    after_value  TEXT,
    changed_by   TEXT NOT NULL,
    execution_id TEXT NOT NULL DEFAULT '',
    step_id      TEXT NOT NULL DEFAULT '',
    changed_at   DATETIME NOT NULL,
    undone_by    TEXT NOT NULL DEFAULT '',
    undone_at    DATETIME
);
CREATE INDEX record_changes_record_idx ON record_changes (entity, record_id, id);

-- +goose Down
DROP TABLE record_changes;

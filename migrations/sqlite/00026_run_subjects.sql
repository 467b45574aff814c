-- +goose Up
-- The record a run is about (the event's record, or the one picked on a manual start) and the business keys
-- its workflow declares (businessKeys), as they were when the run started or its data was last edited.
-- Runs started before have none.
ALTER TABLE executions ADD COLUMN subject_entity TEXT NOT NULL DEFAULT '';
ALTER TABLE executions ADD COLUMN subject_id TEXT NOT NULL DEFAULT '';
ALTER TABLE executions ADD COLUMN subject_label TEXT NOT NULL DEFAULT '';
ALTER TABLE executions ADD COLUMN business_keys TEXT;
CREATE INDEX executions_subject_idx ON executions (subject_entity, subject_id, started_at DESC);

-- The search terms of a run: its record's name, email and each word of them, and its keys' values, folded
-- to lower case. A search by prefix is a range over term.
CREATE TABLE execution_terms (
    term         TEXT NOT NULL,
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    PRIMARY KEY (term, execution_id)
);
CREATE INDEX execution_terms_execution_idx ON execution_terms (execution_id, term);

-- What people changed in a run besides running it: its variables edited, its record refreshed from the CRM,
-- a retry from an earlier step, a step skipped; with who, when, and the values before and after.
CREATE TABLE execution_changes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    changed_at   DATETIME NOT NULL,
    changed_by   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    step_id      TEXT NOT NULL DEFAULT '',
    message      TEXT NOT NULL,
    before_value TEXT,
    after_value  TEXT
);
CREATE INDEX execution_changes_execution_idx ON execution_changes (execution_id, id);

-- +goose Down
DROP TABLE execution_changes;
DROP TABLE execution_terms;
DROP INDEX executions_subject_idx;
ALTER TABLE executions DROP COLUMN business_keys;
ALTER TABLE executions DROP COLUMN subject_label;
ALTER TABLE executions DROP COLUMN subject_id;
ALTER TABLE executions DROP COLUMN subject_entity;

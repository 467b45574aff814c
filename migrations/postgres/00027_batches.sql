-- +goose Up
-- A bulk action on the runs a filter matched: retry, cancel or wake each of them once. The runs are fixed
-- when the batch is made (batch_items); a durable job works through them, and an item is marked done in the
-- same transaction as the action on its run, so a restart never acts twice on a run.
CREATE TABLE batches (
    id          TEXT PRIMARY KEY,
    action      TEXT NOT NULL,
    filter      JSONB NOT NULL,
    description TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    total       INTEGER NOT NULL
);
CREATE INDEX batches_created_idx ON batches (created_at DESC);

CREATE TABLE batch_items (
    batch_id     TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    execution_id TEXT NOT NULL,
    state        TEXT NOT NULL, -- pending, done, failed (the action was refused: message says why)
    message      TEXT NOT NULL DEFAULT '',
    done_at      TIMESTAMPTZ,
    PRIMARY KEY (batch_id, execution_id)
);
CREATE INDEX batch_items_pending_idx ON batch_items (batch_id, state);

-- +goose Down
DROP TABLE batch_items;
DROP TABLE batches;

-- +goose Up
-- How long each step took and why it failed, on the entry that ends it: what the metrics are made of.
ALTER TABLE execution_log ADD COLUMN duration_ms BIGINT;
ALTER TABLE execution_log ADD COLUMN reason TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE execution_log DROP COLUMN reason;
ALTER TABLE execution_log DROP COLUMN duration_ms;

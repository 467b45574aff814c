-- +goose Up
-- Test runs from the designer: they may run a draft, record mails and HTTP calls instead of sending them,
-- and stay out of the metrics.
ALTER TABLE executions ADD COLUMN test BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE executions DROP COLUMN test;

-- +goose Up
-- The variables a run started with (its trigger's payload and record, or what a person typed), kept as they
-- were: a replay of a draft starts from them. Runs started before this column have none; a replay starts
-- those from their last variables and says so.
ALTER TABLE executions ADD COLUMN input JSON;

-- +goose Down
ALTER TABLE executions DROP COLUMN input;

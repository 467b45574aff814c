-- +goose Up
-- Whom a task is about, as the run held the record when the task was made: the card an inbox row shows
-- (name, company, email, phone) without reading the run. NULL for tasks made before, whose page reads the run.
ALTER TABLE human_tasks ADD COLUMN about TEXT;

-- +goose Down
ALTER TABLE human_tasks DROP COLUMN about;

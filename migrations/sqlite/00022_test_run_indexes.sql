-- +goose Up
-- Lists leave the designer's test runs out, and test runs are few: the busiest lists (the executions list
-- and its counts, the inbox) read partial indexes of the real runs only, instead of checking every row's
-- execution. Human tasks carry their run's test mark themselves, so the inbox needs no lookup of it.
ALTER TABLE human_tasks ADD COLUMN test BOOLEAN NOT NULL DEFAULT 0;
UPDATE human_tasks SET test = 1 WHERE execution_id IN (SELECT id FROM executions WHERE test);
CREATE INDEX human_tasks_real_inbox_idx ON human_tasks (assignee_id, status, due_at IS NULL, due_at, created_at) WHERE NOT test;
CREATE INDEX human_tasks_real_team_inbox_idx ON human_tasks (status, due_at IS NULL, due_at, created_at) WHERE NOT test;
CREATE INDEX executions_real_status_started_idx ON executions (status, started_at DESC) WHERE NOT test;
CREATE INDEX executions_real_started_idx ON executions (started_at DESC, id DESC) WHERE NOT test;
CREATE INDEX executions_real_workflow_started_idx ON executions (workflow_id, started_at DESC) WHERE NOT test;

-- +goose Down
DROP INDEX executions_real_workflow_started_idx;
DROP INDEX executions_real_started_idx;
DROP INDEX executions_real_status_started_idx;
DROP INDEX human_tasks_real_team_inbox_idx;
DROP INDEX human_tasks_real_inbox_idx;
ALTER TABLE human_tasks DROP COLUMN test;

-- +goose Up
-- Who holds or held each human task: its assignee when it was created and everyone it was reassigned to. A
-- rep may read the runs they hold or held a task in, so a row outlives the reassignment that ends it.
CREATE TABLE task_holders (
    task_id      TEXT NOT NULL REFERENCES human_tasks (id) ON DELETE CASCADE,
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, user_id)
);
-- A rep's list of runs: the runs they hold a task in, and the runs they started.
CREATE INDEX task_holders_user_idx ON task_holders (user_id, execution_id);
CREATE INDEX executions_started_by_idx ON executions (started_by, started_at DESC, id DESC);

-- The tasks there are: their assignee and, when another user completed one, its completer.
INSERT INTO task_holders (task_id, execution_id, user_id)
SELECT id, execution_id, assignee_id FROM human_tasks WHERE assignee_id IS NOT NULL
ON CONFLICT DO NOTHING;
INSERT INTO task_holders (task_id, execution_id, user_id)
SELECT t.id, t.execution_id, u.id FROM human_tasks t JOIN users u ON u.email = LOWER(t.completed_by)
WHERE t.completed_by <> ''
ON CONFLICT DO NOTHING;

-- +goose Down
DROP INDEX executions_started_by_idx;
DROP TABLE task_holders;

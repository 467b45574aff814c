-- +goose Up
-- The demo a manager installs from the first screen: which workflow each built-in template became. The demo's
-- leads and companies need no row of their own: their ids start with "demo-", which the CRM never hands out.
-- Removing the demo deletes these workflows with their runs, and installing again makes new ones under new
-- ids, so a workflow id and version never names two different definitions (the engine caches compiled
-- versions by id and version).
CREATE TABLE demo_workflows (
    template    TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE demo_workflows;

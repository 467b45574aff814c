-- +goose Up
-- Every running Pantryflow instance on PostgreSQL beats a heartbeat here; an instance whose heartbeat is
-- older than PANTRYFLOW_DEAD_AFTER is dead, and the others take over the River jobs it was running. The
-- times are the database's own, so instances on machines with different clocks agree.
CREATE TABLE engine_instances (
    id           TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE engine_instances;

-- +goose Up
-- Only one process uses a SQLite file, so nobody takes over its jobs; the table exists so both databases
-- have the same schema, and the instance is listed while it runs.
CREATE TABLE engine_instances (
    id           TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   DATETIME NOT NULL,
    heartbeat_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE engine_instances;

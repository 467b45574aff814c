-- +goose Up
-- Hourly rollups for metrics and suggestions (internal/analytics/rollup keeps them up to date). An hour is
-- hours since the Unix epoch, of the execution's start: every figure is about executions started in a
-- timeframe, whenever their steps ran.

-- Executions of a workflow version that started in an hour and now have a status; the histogram holds the
-- durations of the completed ones.
CREATE TABLE analytics_run_hours (
    workflow_id      TEXT NOT NULL,
    hour             BIGINT NOT NULL,
    workflow_version INTEGER NOT NULL,
    status           TEXT NOT NULL,
    runs             BIGINT NOT NULL,
    duration_count   BIGINT NOT NULL,
    duration_sum_ms  BIGINT NOT NULL,
    duration_hist    BYTEA,
    PRIMARY KEY (workflow_id, hour, workflow_version, status)
);

-- How a step's attempts ended, over the executions of a workflow version that started in an hour.
CREATE TABLE analytics_step_hours (
    workflow_id        TEXT NOT NULL,
    hour               BIGINT NOT NULL,
    workflow_version   INTEGER NOT NULL,
    step_id            TEXT NOT NULL,
    completed          BIGINT NOT NULL,
    failed             BIGINT NOT NULL,
    skipped_failed     BIGINT NOT NULL,
    skipped_other      BIGINT NOT NULL,
    transient_failures BIGINT NOT NULL,
    reasons            TEXT NOT NULL,
    duration_count     BIGINT NOT NULL,
    duration_sum_ms    BIGINT NOT NULL,
    duration_hist      BYTEA,
    condition_true     BIGINT NOT NULL,
    condition_false    BIGINT NOT NULL,
    tasks_with_due     BIGINT NOT NULL,
    tasks_late         BIGINT NOT NULL,
    PRIMARY KEY (workflow_id, hour, workflow_version, step_id)
);

-- How each execution is counted in analytics_run_hours now, so a status change moves it exactly once.
CREATE TABLE analytics_executions (
    execution_id     TEXT PRIMARY KEY,
    workflow_id      TEXT NOT NULL,
    workflow_version INTEGER NOT NULL,
    hour             BIGINT NOT NULL,
    status           TEXT NOT NULL,
    duration_ms      BIGINT
);

-- Every execution_log row with an id up to position is in the rollups.
CREATE TABLE analytics_watermarks (
    name       TEXT PRIMARY KEY,
    position   BIGINT NOT NULL,
    updated_at TIMESTAMPTZ
);
INSERT INTO analytics_watermarks (name, position) VALUES ('execution_log', 0);

-- The aggregator reads the log by id ranges. The table is keyed by (execution_id, id), so it needs an index
-- on id; a BRIN index costs the engine's inserts next to nothing (ids grow with the table's pages).
CREATE INDEX execution_log_id_brin ON execution_log USING brin (id) WITH (autosummarize = on);

-- +goose Down
DROP INDEX execution_log_id_brin;
DROP TABLE analytics_watermarks;
DROP TABLE analytics_executions;
DROP TABLE analytics_step_hours;
DROP TABLE analytics_run_hours;

-- +goose Up
-- Day rollups beside the hour ones. A timeframe reads its whole days from day cells and only its edges from
-- hour cells, so "all" costs one row per day of history and step instead of one per hour (see
-- docs/BENCHMARKS.md, "Analytics"). span says which a row is: 1, an hour; 24, a UTC day, whose hour is the
-- day's first hour. The cells are rebuilt from the log: the watermark goes back to 0 and the aggregator
-- folds every log row in again, both spans at once.
DROP TABLE analytics_run_hours;
DROP TABLE analytics_step_hours;
CREATE TABLE analytics_run_hours (
    workflow_id      TEXT NOT NULL,
    span             INTEGER NOT NULL,
    hour             BIGINT NOT NULL,
    workflow_version INTEGER NOT NULL,
    status           TEXT NOT NULL,
    runs             BIGINT NOT NULL,
    duration_count   BIGINT NOT NULL,
    duration_sum_ms  BIGINT NOT NULL,
    duration_hist    BYTEA,
    PRIMARY KEY (workflow_id, span, hour, workflow_version, status)
);
CREATE TABLE analytics_step_hours (
    workflow_id        TEXT NOT NULL,
    span               INTEGER NOT NULL,
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
    PRIMARY KEY (workflow_id, span, hour, workflow_version, step_id)
);
DELETE FROM analytics_executions;
UPDATE analytics_watermarks SET position = 0, updated_at = NULL WHERE name = 'execution_log';

-- The open tasks of the overview and the suggestions, counted from a small index of open tasks alone, and
-- test runs (few) left out through an index of test executions alone: the counts read neither table, which
-- took 40 ms and, with cold caches, 2,000 random reads (one per open task and one per execution).
CREATE INDEX human_tasks_open_idx ON human_tasks (workflow_id, step_id, assignee, due_at, execution_id) WHERE status = 'open';
CREATE INDEX executions_test_idx ON executions (id) WHERE test;

-- +goose Down
DROP INDEX executions_test_idx;
DROP INDEX human_tasks_open_idx;
DROP TABLE analytics_run_hours;
DROP TABLE analytics_step_hours;
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
DELETE FROM analytics_executions;
UPDATE analytics_watermarks SET position = 0, updated_at = NULL WHERE name = 'execution_log';

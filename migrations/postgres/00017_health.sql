-- +goose Up
-- The row readiness (/readyz) writes to prove the database takes writes, not only answers: every instance
-- updates the same row, at most once a second, so the table never grows.
CREATE TABLE health_probes (
    id         INTEGER PRIMARY KEY,
    checked_at TIMESTAMPTZ NOT NULL
);

-- Steps retried because the database did not answer: counted apart from the steps' own failures, which the
-- metrics' failure rates and failure points are about.
ALTER TABLE analytics_step_hours ADD COLUMN infrastructure_retries BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE analytics_step_hours DROP COLUMN infrastructure_retries;
DROP TABLE health_probes;

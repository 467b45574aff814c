-- +goose Up
-- Events: every CRM change and every event posted to the API, written in the transaction of the change
-- (the outbox), then dispatched to the workflows whose trigger names them.
CREATE TABLE events (
    id            TEXT PRIMARY KEY,
    type          TEXT NOT NULL,
    entity        TEXT NOT NULL DEFAULT '',
    entity_id     TEXT NOT NULL DEFAULT '',
    payload       JSONB NOT NULL,
    source        TEXT NOT NULL,
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    dispatched_at TIMESTAMPTZ
);
CREATE INDEX events_created_idx ON events (created_at DESC);
CREATE INDEX events_undispatched_idx ON events (created_at) WHERE dispatched_at IS NULL;

-- One row per (event, workflow): the unique key makes every event start each workflow at most once.
CREATE TABLE event_deliveries (
    event_id     TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    workflow_id  TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    execution_id TEXT,
    status       TEXT NOT NULL CHECK (status IN ('started', 'filtered', 'rejected')),
    reason       TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (event_id, workflow_id)
);

-- Scheduled triggers: a fire is claimed by inserting its row, so any number of instances fire it once.
CREATE TABLE schedule_fires (
    workflow_id   TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    scheduled_for TIMESTAMPTZ NOT NULL,
    execution_id  TEXT,
    fired_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workflow_id, scheduled_for)
);

-- Webhook triggers: the secret address and the signing secret of each webhook workflow.
CREATE TABLE webhooks (
    workflow_id    TEXT PRIMARY KEY REFERENCES workflows (id) ON DELETE CASCADE,
    token          TEXT NOT NULL UNIQUE,
    signing_secret TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    rotated_at     TIMESTAMPTZ
);

-- Delivery ids seen per webhook, so a replayed delivery starts nothing.
CREATE TABLE webhook_deliveries (
    workflow_id  TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    delivery_id  TEXT NOT NULL,
    execution_id TEXT,
    received_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workflow_id, delivery_id)
);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE schedule_fires;
DROP TABLE event_deliveries;
DROP TABLE events;

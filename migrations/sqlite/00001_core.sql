-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'rep')),
    password_hash TEXT NOT NULL DEFAULT '',
    disabled_at   DATETIME,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    last_used_at DATETIME,
    revoked_at   DATETIME
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE workflows (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    enabled        BOOLEAN NOT NULL DEFAULT 1,
    active_version INTEGER,
    latest_version INTEGER NOT NULL,
    trigger_type   TEXT NOT NULL,
    trigger_event  TEXT NOT NULL DEFAULT '',
    created_by     TEXT NOT NULL DEFAULT '',
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);
CREATE INDEX workflows_trigger_idx ON workflows (trigger_type, trigger_event);

CREATE TABLE workflow_versions (
    workflow_id  TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    definition   TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    published_at DATETIME,
    PRIMARY KEY (workflow_id, version)
);

CREATE TABLE executions (
    id               TEXT PRIMARY KEY,
    workflow_id      TEXT NOT NULL REFERENCES workflows (id),
    workflow_version INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('running', 'paused', 'completed', 'failed', 'cancelled')),
    started_at       DATETIME NOT NULL,
    completed_at     DATETIME,
    updated_at       DATETIME NOT NULL,
    current_step     TEXT NOT NULL DEFAULT '',
    variables        TEXT NOT NULL,
    outputs          TEXT NOT NULL,
    state            TEXT NOT NULL,
    error            TEXT NOT NULL DEFAULT '',
    failed_step      TEXT NOT NULL DEFAULT '',
    waiting_until    DATETIME,
    trigger_type     TEXT NOT NULL DEFAULT '',
    trigger_ref      TEXT NOT NULL DEFAULT '',
    started_by       TEXT NOT NULL DEFAULT '',
    revision         BIGINT NOT NULL
);
CREATE INDEX executions_workflow_started_idx ON executions (workflow_id, started_at DESC);
CREATE INDEX executions_status_started_idx ON executions (status, started_at DESC);
CREATE INDEX executions_started_idx ON executions (started_at DESC, id DESC);
CREATE INDEX executions_waiting_idx ON executions (waiting_until) WHERE waiting_until IS NOT NULL;

CREATE TABLE execution_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    timestamp    DATETIME NOT NULL,
    step_id      TEXT NOT NULL,
    step_name    TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('started', 'completed', 'failed', 'skipped')),
    message      TEXT NOT NULL,
    data         TEXT
);
CREATE INDEX execution_log_execution_idx ON execution_log (execution_id, id);

CREATE TABLE human_tasks (
    id           TEXT PRIMARY KEY,
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    workflow_id  TEXT NOT NULL,
    step_id      TEXT NOT NULL,
    activation   BIGINT NOT NULL,
    assignee     TEXT NOT NULL,
    assignee_id  BIGINT REFERENCES users (id),
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    form_fields  TEXT NOT NULL,
    due_at       DATETIME,
    status       TEXT NOT NULL CHECK (status IN ('open', 'completed', 'cancelled')),
    "values"     TEXT,
    completed_by TEXT NOT NULL DEFAULT '',
    completed_at DATETIME,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    UNIQUE (execution_id, activation)
);
CREATE INDEX human_tasks_assignee_idx ON human_tasks (assignee_id, status, due_at);
CREATE INDEX human_tasks_status_idx ON human_tasks (status, created_at);

CREATE TABLE crm_tasks (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    assignee_id     BIGINT REFERENCES users (id),
    priority        TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high')),
    due_at          DATETIME,
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    execution_id    TEXT,
    step_id         TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT UNIQUE,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);
CREATE INDEX crm_tasks_assignee_idx ON crm_tasks (assignee_id, status, due_at);

CREATE TABLE email_templates (
    name       TEXT PRIMARY KEY,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    execution_id    TEXT,
    step_id         TEXT NOT NULL DEFAULT '',
    template        TEXT NOT NULL DEFAULT '',
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'not_sent')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    sent_at         DATETIME
);
CREATE INDEX mail_outbox_execution_idx ON mail_outbox (execution_id);
CREATE INDEX mail_outbox_status_idx ON mail_outbox (status, created_at);

-- +goose Down
DROP TABLE mail_outbox;
DROP TABLE email_templates;
DROP TABLE crm_tasks;
DROP TABLE human_tasks;
DROP TABLE execution_log;
DROP TABLE executions;
DROP TABLE workflow_versions;
DROP TABLE workflows;
DROP TABLE api_tokens;
DROP TABLE users;

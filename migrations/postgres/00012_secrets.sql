-- +goose Up
-- Named secrets for call_api steps. Only the sealed value is stored (AES-256-GCM under a key derived from
-- PANTRYFLOW_SECRET_KEY, bound to the name); key_id says which key sealed it.
CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    sealed     BYTEA NOT NULL,
    key_id     TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE secrets;

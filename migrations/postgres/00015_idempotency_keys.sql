-- +goose Up
-- The Idempotency-Key of every request that created something: claimed in the transaction that created it,
-- with the answer that request got, so a retry with the same key gets that answer and creates nothing. A
-- key belongs to the user who sent it (scope); keys are kept 48 hours.
CREATE TABLE idempotency_keys (
    scope       TEXT NOT NULL,
    request_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,
    answer      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, request_key)
);
-- The cleanup removes the rows older than 48 hours.
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;

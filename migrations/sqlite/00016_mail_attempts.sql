-- +goose Up
-- Every try at delivering a mail. The row is written before the mailer talks to the server and finished with
-- the outcome after; a row still without an outcome when the next try starts was interrupted (its process
-- died or lost the database). The stage is the furthest the conversation got: "data" is written just before
-- the final dot, so a try interrupted at "data" or later may have reached the server, and the mail, sent
-- again by a later try, may have arrived twice (possibly_duplicated).
CREATE TABLE mail_attempts (
    mail_id     TEXT NOT NULL REFERENCES mail_outbox (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    started_at  DATETIME NOT NULL,
    finished_at DATETIME,
    outcome     TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'sent', 'failed', 'interrupted')),
    stage       TEXT NOT NULL CHECK (stage IN ('connect', 'mail', 'rcpt', 'data', 'accepted')),
    error_text  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (mail_id, number)
);
ALTER TABLE mail_outbox ADD COLUMN possibly_duplicated BOOLEAN NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE mail_outbox DROP COLUMN possibly_duplicated;
DROP TABLE mail_attempts;

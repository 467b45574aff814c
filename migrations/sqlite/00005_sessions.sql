-- +goose Up
-- Browser sessions live on the server (gorilla/sessions with gormstore): signing out, or an admin
-- disabling a user, ends them for real.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Sign-in attempts, for throttling guessing: kept in the database so every instance sees them.
CREATE TABLE login_attempts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    email      TEXT NOT NULL,
    ip         TEXT NOT NULL,
    succeeded  BOOLEAN NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email, created_at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, created_at);

-- Bumping a user's session epoch signs them out everywhere.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN session_epoch;
DROP TABLE login_attempts;
DROP TABLE sessions;

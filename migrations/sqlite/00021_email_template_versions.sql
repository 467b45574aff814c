-- +goose Up
-- Mail templates are edited on their page: each save is a new version, kept, and the template row says
-- which version it holds and who saved it. The templates stored so far become their version 1.
ALTER TABLE email_templates ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE email_templates ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
CREATE TABLE email_template_versions (
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    PRIMARY KEY (name, version)
);
INSERT INTO email_template_versions (name, version, subject, body, created_by, created_at)
    SELECT name, 1, subject, body, '', updated_at FROM email_templates;

-- +goose Down
DROP TABLE email_template_versions;
ALTER TABLE email_templates DROP COLUMN updated_by;
ALTER TABLE email_templates DROP COLUMN version;

-- +goose Up
-- Teams: a human task may go to a team's queue (anyone in it claims it) or to a member by rule. A team may
-- have a calendar of its own (working hours, time zone, holidays, as JSON); without one the company's counts.
CREATE TABLE teams (
    name        TEXT PRIMARY KEY,
    calendar    TEXT NOT NULL DEFAULT '',
    -- Round robin: how many tasks the team has handed out by turn; the next goes to member (handed mod n).
    handed      BIGINT NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);
CREATE TABLE team_members (
    team_name TEXT NOT NULL REFERENCES teams (name) ON DELETE CASCADE ON UPDATE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_name, user_id)
);
CREATE INDEX team_members_user_idx ON team_members (user_id, team_name);

-- Company-wide settings (the working calendar), one JSON value per key.
CREATE TABLE company_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at DATETIME NOT NULL
);

-- A task in a team's queue has its team and no assignee until someone claims it. A task given to a delegate
-- because its assignee was away remembers whom it was for, and when the delegate first touched it.
ALTER TABLE human_tasks ADD COLUMN team TEXT;
ALTER TABLE human_tasks ADD COLUMN delegated_from BIGINT;
ALTER TABLE human_tasks ADD COLUMN touched_at DATETIME;
-- The task's SLA (reminders and escalation, each with the instant it fires and when it fired) and the
-- earliest instant still to fire, which the engine's timer loop reads by index.
ALTER TABLE human_tasks ADD COLUMN sla TEXT;
ALTER TABLE human_tasks ADD COLUMN next_timer_at DATETIME;
CREATE INDEX human_tasks_team_queue_idx ON human_tasks (team, status, due_at, created_at) WHERE team IS NOT NULL AND assignee_id IS NULL;
CREATE INDEX human_tasks_timers_idx ON human_tasks (next_timer_at) WHERE next_timer_at IS NOT NULL;
CREATE INDEX human_tasks_delegated_idx ON human_tasks (delegated_from) WHERE delegated_from IS NOT NULL;

-- Each user's own settings: time zone, how they hear of tasks (each: a mail each; digest: one a day; none),
-- their manager (escalations go there), and out-of-office dates with a delegate. (SQLite cannot drop a column
-- that references another table, so here the user columns are plain ids; users are disabled, never deleted.)
ALTER TABLE users ADD COLUMN timezone TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN notify TEXT NOT NULL DEFAULT 'each';
ALTER TABLE users ADD COLUMN manager_id BIGINT;
ALTER TABLE users ADD COLUMN away_from DATETIME;
ALTER TABLE users ADD COLUMN away_to DATETIME;
ALTER TABLE users ADD COLUMN away_delegate_id BIGINT;
ALTER TABLE users ADD COLUMN digest_sent_at DATETIME;

-- Notifications a user chose to get as a daily digest wait here until it is sent.
CREATE TABLE pending_notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    task_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    line       TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX pending_notifications_user_idx ON pending_notifications (user_id, id);

-- CRM to-dos get comments.
CREATE TABLE crm_task_comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    crm_task_id TEXT NOT NULL REFERENCES crm_tasks (id) ON DELETE CASCADE,
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  DATETIME NOT NULL
);
CREATE INDEX crm_task_comments_task_idx ON crm_task_comments (crm_task_id, id);

-- The notification mails, editable on the Mail templates page like any other.
INSERT INTO email_templates (name, subject, body, updated_at) VALUES
('task_assigned', 'New task: {{ task.title }}',
 'Hi {{ user.name }},

You have a new task: {{ task.title }}.
{{ task.due }}

Open it: {{ task.link }}', CURRENT_TIMESTAMP),
('task_reminder', 'Reminder: {{ task.title }}',
 'Hi {{ user.name }},

A reminder about your task {{ task.title }}.
{{ task.due }}

Open it: {{ task.link }}', CURRENT_TIMESTAMP),
('task_escalated', 'Escalated to you: {{ task.title }}',
 'Hi {{ user.name }},

The task {{ task.title }} was not done in time and is now yours.
{{ task.due }}

Open it: {{ task.link }}', CURRENT_TIMESTAMP),
('task_digest', 'Your tasks today',
 'Hi {{ user.name }},

{{ digest }}

Your inbox: {{ inbox }}', CURRENT_TIMESTAMP);
INSERT INTO email_template_versions (name, version, subject, body, created_by, created_at)
    SELECT name, 1, subject, body, '', updated_at FROM email_templates
    WHERE name IN ('task_assigned', 'task_reminder', 'task_escalated', 'task_digest');

-- +goose Down
DELETE FROM email_template_versions WHERE name IN ('task_assigned', 'task_reminder', 'task_escalated', 'task_digest');
DELETE FROM email_templates WHERE name IN ('task_assigned', 'task_reminder', 'task_escalated', 'task_digest');
DROP TABLE crm_task_comments;
DROP TABLE pending_notifications;
ALTER TABLE users DROP COLUMN digest_sent_at;
ALTER TABLE users DROP COLUMN away_delegate_id;
ALTER TABLE users DROP COLUMN away_to;
ALTER TABLE users DROP COLUMN away_from;
ALTER TABLE users DROP COLUMN manager_id;
ALTER TABLE users DROP COLUMN notify;
ALTER TABLE users DROP COLUMN timezone;
DROP INDEX human_tasks_delegated_idx;
DROP INDEX human_tasks_timers_idx;
DROP INDEX human_tasks_team_queue_idx;
ALTER TABLE human_tasks DROP COLUMN next_timer_at;
ALTER TABLE human_tasks DROP COLUMN sla;
ALTER TABLE human_tasks DROP COLUMN touched_at;
ALTER TABLE human_tasks DROP COLUMN delegated_from;
ALTER TABLE human_tasks DROP COLUMN team;
DROP TABLE company_settings;
DROP TABLE team_members;
DROP TABLE teams;

-- +goose Up
-- The CRM's records. Every change to them records an event in the same transaction (see internal/crm).
-- References between records restrict deletes: the CRM refuses to delete a company that contacts, leads or
-- opportunities still point at, with a message; the foreign keys are the last line of defence. A record whose
-- owner's user row goes away becomes unassigned.
CREATE TABLE companies (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL CHECK (name <> ''),
    website        TEXT NOT NULL DEFAULT '',
    industry       TEXT NOT NULL DEFAULT '',
    phone          TEXT NOT NULL DEFAULT '',
    city           TEXT NOT NULL DEFAULT '',
    country        TEXT NOT NULL DEFAULT '',
    assigned_to_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);
-- Lists are newest first, optionally for one owner.
CREATE INDEX companies_created_idx ON companies (created_at DESC, id DESC);
CREATE INDEX companies_assigned_idx ON companies (assigned_to_id, created_at DESC);

CREATE TABLE contacts (
    id             TEXT PRIMARY KEY,
    first_name     TEXT NOT NULL CHECK (first_name <> ''),
    last_name      TEXT NOT NULL CHECK (last_name <> ''),
    email          TEXT NOT NULL DEFAULT '',
    phone          TEXT NOT NULL DEFAULT '',
    title          TEXT NOT NULL DEFAULT '',
    company_id     TEXT REFERENCES companies (id),
    assigned_to_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);
CREATE INDEX contacts_created_idx ON contacts (created_at DESC, id DESC);
CREATE INDEX contacts_assigned_idx ON contacts (assigned_to_id, created_at DESC);
CREATE INDEX contacts_company_idx ON contacts (company_id, created_at DESC);

CREATE TABLE leads (
    id                  TEXT PRIMARY KEY,
    first_name          TEXT NOT NULL CHECK (first_name <> ''),
    last_name           TEXT NOT NULL CHECK (last_name <> ''),
    email               TEXT NOT NULL DEFAULT '',
    phone               TEXT NOT NULL DEFAULT '',
    title               TEXT NOT NULL DEFAULT '',
    company_id          TEXT REFERENCES companies (id),
    status              TEXT NOT NULL DEFAULT 'new'
                        CHECK (status IN ('new', 'contacted', 'qualified', 'unqualified', 'converted')),
    source              TEXT NOT NULL DEFAULT '',
    score               INTEGER NOT NULL DEFAULT 0 CHECK (score BETWEEN 0 AND 100),
    last_interaction_at DATETIME,
    notes               TEXT NOT NULL DEFAULT '',
    assigned_to_id      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL
);
CREATE INDEX leads_created_idx ON leads (created_at DESC, id DESC);
CREATE INDEX leads_status_idx ON leads (status, created_at DESC);
CREATE INDEX leads_assigned_idx ON leads (assigned_to_id, created_at DESC);
CREATE INDEX leads_company_idx ON leads (company_id, created_at DESC);

CREATE TABLE opportunities (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL CHECK (name <> ''),
    company_id     TEXT REFERENCES companies (id),
    contact_id     TEXT REFERENCES contacts (id),
    lead_id        TEXT REFERENCES leads (id),
    stage          TEXT NOT NULL DEFAULT 'prospecting'
                   CHECK (stage IN ('prospecting', 'qualification', 'proposal', 'negotiation', 'won', 'lost')),
    amount         NUMERIC NOT NULL DEFAULT 0 CHECK (amount >= 0),
    currency       TEXT NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3),
    close_date     DATE,
    assigned_to_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);
CREATE INDEX opportunities_created_idx ON opportunities (created_at DESC, id DESC);
CREATE INDEX opportunities_stage_idx ON opportunities (stage, created_at DESC);
CREATE INDEX opportunities_assigned_idx ON opportunities (assigned_to_id, created_at DESC);
CREATE INDEX opportunities_company_idx ON opportunities (company_id, created_at DESC);
CREATE INDEX opportunities_contact_idx ON opportunities (contact_id);
CREATE INDEX opportunities_lead_idx ON opportunities (lead_id);

-- A CRM task may be about a record (no foreign key: the record may be of any kind, and a task outlives a
-- deleted record), and remembers when it was done.
ALTER TABLE crm_tasks ADD COLUMN related_type TEXT CHECK (related_type IN ('lead', 'contact', 'company', 'opportunity'));
ALTER TABLE crm_tasks ADD COLUMN related_id TEXT;
ALTER TABLE crm_tasks ADD COLUMN completed_at DATETIME;
CREATE INDEX crm_tasks_related_idx ON crm_tasks (related_type, related_id);
CREATE INDEX crm_tasks_status_idx ON crm_tasks (status, due_at);

-- +goose Down
DROP INDEX crm_tasks_status_idx;
DROP INDEX crm_tasks_related_idx;
ALTER TABLE crm_tasks DROP COLUMN completed_at;
ALTER TABLE crm_tasks DROP COLUMN related_id;
ALTER TABLE crm_tasks DROP COLUMN related_type;
DROP TABLE opportunities;
DROP TABLE leads;
DROP TABLE contacts;
DROP TABLE companies;

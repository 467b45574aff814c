package store

import (
	"context"

	"gorm.io/gorm"
)

// The repositories, one per aggregate. Each works on the database or inside a transaction alike:
// db.Executions() reads and writes outside any transaction, tx.Executions() inside tx. Dialect differences
// stay inside them. Their methods live in the file named after the aggregate (executions.go, tasks.go, ...).

// repo is what every repository holds: the GORM handle (the database or a transaction) and the dialect.
type repo struct {
	g       *gorm.DB
	dialect Dialect
}

func (r repo) q(ctx context.Context) *gorm.DB { return r.g.WithContext(ctx) }

func (db *DB) repo() repo { return repo{g: db.gdb, dialect: db.Dialect} }
func (tx *Tx) repo() repo { return repo{g: tx.g, dialect: tx.dialect} }

// Workflows are the workflows, their versions and drafts.
type Workflows struct{ repo }

// Executions are the executions and their logs.
type Executions struct{ repo }

// Tasks are the human tasks.
type Tasks struct{ repo }

// CRMRecords are the CRM's records (leads, contacts, companies, opportunities, CRM tasks) and their events.
type CRMRecords struct{ repo }

// Outbox is the mail outbox and its delivery attempts, and the mail templates.
type Outbox struct{ repo }

// Triggers are the webhooks, schedules, event subscriptions and the events awaiting dispatch.
type Triggers struct{ repo }

// Rollups are the per-hour aggregates the dashboards read.
type Rollups struct{ repo }

// Users are the users, their API tokens, sign-in throttling and sessions.
type Users struct{ repo }

// Secrets are the sealed workflow secrets.
type SecretsRepo struct{ repo }

// Teams are the teams, their members and calendars, and the company's settings.
type Teams struct{ repo }

// Batches are the bulk actions on runs and the runs each acts on.
type Batches struct{ repo }

// Accessors on the database.

func (db *DB) Workflows() Workflows     { return Workflows{db.repo()} }
func (db *DB) Executions() Executions   { return Executions{db.repo()} }
func (db *DB) Tasks() Tasks             { return Tasks{db.repo()} }
func (db *DB) CRM() CRMRecords          { return CRMRecords{db.repo()} }
func (db *DB) Outbox() Outbox           { return Outbox{db.repo()} }
func (db *DB) Triggers() Triggers       { return Triggers{db.repo()} }
func (db *DB) Rollups() Rollups         { return Rollups{db.repo()} }
func (db *DB) Users() Users             { return Users{db.repo()} }
func (db *DB) SecretsRepo() SecretsRepo { return SecretsRepo{db.repo()} }
func (db *DB) Teams() Teams             { return Teams{db.repo()} }
func (db *DB) Batches() Batches         { return Batches{db.repo()} }

// Accessors inside a transaction.

func (tx *Tx) Workflows() Workflows     { return Workflows{tx.repo()} }
func (tx *Tx) Executions() Executions   { return Executions{tx.repo()} }
func (tx *Tx) Tasks() Tasks             { return Tasks{tx.repo()} }
func (tx *Tx) CRM() CRMRecords          { return CRMRecords{tx.repo()} }
func (tx *Tx) Outbox() Outbox           { return Outbox{tx.repo()} }
func (tx *Tx) Triggers() Triggers       { return Triggers{tx.repo()} }
func (tx *Tx) Rollups() Rollups         { return Rollups{tx.repo()} }
func (tx *Tx) Users() Users             { return Users{tx.repo()} }
func (tx *Tx) SecretsRepo() SecretsRepo { return SecretsRepo{tx.repo()} }
func (tx *Tx) Teams() Teams             { return Teams{tx.repo()} }
func (tx *Tx) Batches() Batches         { return Batches{tx.repo()} }

package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The CRM's records. Ids are UUID text; AssignedToID points at the user who owns the record (nullable: a
// record may be unassigned). Text fields are never NULL: empty means not given.

// Company is an organisation the sales team sells to.
type Company struct {
	ID           string `gorm:"primaryKey"`
	Name         string
	Website      string
	Industry     string
	Phone        string
	City         string
	Country      string
	AssignedToID *int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Contact is a person at a company.
type Contact struct {
	ID           string `gorm:"primaryKey"`
	FirstName    string
	LastName     string
	Email        string
	Phone        string
	Title        string
	CompanyID    *string
	AssignedToID *int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Lead is a prospective customer being qualified.
type Lead struct {
	ID                string `gorm:"primaryKey"`
	FirstName         string
	LastName          string
	Email             string
	Phone             string
	Title             string
	CompanyID         *string
	Status            string // new, contacted, qualified, unqualified, converted
	Source            string
	Score             int
	LastInteractionAt *time.Time
	Notes             string
	AssignedToID      *int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Opportunity is a deal in the pipeline.
type Opportunity struct {
	ID           string `gorm:"primaryKey"`
	Name         string
	CompanyID    *string
	ContactID    *string
	LeadID       *string
	Stage        string // prospecting, qualification, proposal, negotiation, won, lost
	Amount       float64
	Currency     string
	CloseDate    *time.Time // a date: midnight UTC
	AssignedToID *int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// TableName implements gorm's Tabler.
func (Company) TableName() string { return "companies" }

// TableName implements gorm's Tabler.
func (Contact) TableName() string { return "contacts" }

// TableName implements gorm's Tabler.
func (Lead) TableName() string { return "leads" }

// TableName implements gorm's Tabler.
func (Opportunity) TableName() string { return "opportunities" }

// ---- The CRM's generic core (package crm) reads and writes every entity through these, over the entity's
// model M (Lead, Contact, Company, Opportunity, CRMTask). ----

// CRMCond is one condition of a CRM read: Column = Value; Column IS NULL with Null; nothing at all with None
// (an entity a rep owns none of).
type CRMCond struct {
	Column string
	Value  any
	Null   bool
	None   bool
}

// CRMOrder is the order of a CRM list.
type CRMOrder int

// CRM list orders.
const (
	CRMNewestFirst CRMOrder = iota // created_at, newest first
	CRMSoonestDue                  // due_at, undated last, then newest first (CRM tasks)
)

func (o CRMOrder) sql() string {
	if o == CRMSoonestDue {
		return "due_at IS NULL, due_at, created_at DESC, id DESC"
	}
	return "created_at DESC, id DESC"
}

// CRMQuery is a page of a CRM list: the records that meet every condition and, when Text is set, whose
// lower-cased text in one of In contains it (each of In is columns read joined by a space: first and last
// name).
type CRMQuery struct {
	Conds         []CRMCond
	Text          string
	In            [][]string
	Order         CRMOrder
	Limit, Offset int
}

func applyCRM(q *gorm.DB, conds []CRMCond) *gorm.DB {
	for _, c := range conds {
		switch {
		case c.None:
			q = q.Where("1 = 0")
		case c.Null:
			q = q.Where(c.Column + " IS NULL")
		default:
			q = q.Where(c.Column+" = ?", c.Value)
		}
	}
	return q
}

func searchCRM(q *gorm.DB, text string, in [][]string) *gorm.DB {
	if text == "" || len(in) == 0 {
		return q
	}
	pattern := "%" + escapeLike(strings.ToLower(text)) + "%"
	parts := make([]string, len(in))
	args := make([]any, len(in))
	for i, cols := range in {
		parts[i] = "LOWER(" + strings.Join(cols, " || ' ' || ") + `) LIKE ? ESCAPE '\'`
		args[i] = pattern
	}
	return q.Where("("+strings.Join(parts, " OR ")+")", args...)
}

// escapeLike makes text match itself in LIKE.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// TakeCRM reads the record id that meets conds; ErrNotFound when there is none. lock takes a row lock on
// PostgreSQL (SQLite has one writer anyway), so two changes of one record see each other's result.
func TakeCRM[M any](ctx context.Context, r CRMRecords, id string, conds []CRMCond, lock bool) (*M, error) {
	q := r.q(ctx)
	if lock && r.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	m := new(M)
	err := applyCRM(q, conds).Where("id = ?", id).Take(m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return m, err
}

// CreateCRM inserts a record.
func CreateCRM[M any](ctx context.Context, r CRMRecords, m *M) error {
	return r.q(ctx).Create(m).Error
}

// UpdateCRM writes the given columns of the record id (the caller sets updated_at: the injected clock's,
// not GORM's).
func UpdateCRM[M any](ctx context.Context, r CRMRecords, id string, cols map[string]any) error {
	return r.q(ctx).Model(new(M)).Where("id = ?", id).UpdateColumns(cols).Error
}

// DeleteCRM deletes the record id.
func DeleteCRM[M any](ctx context.Context, r CRMRecords, id string) error {
	return r.q(ctx).Where("id = ?", id).Delete(new(M)).Error
}

// CountCRM counts the records that match q (its order and page aside).
func CountCRM[M any](ctx context.Context, r CRMRecords, q CRMQuery) (int64, error) {
	var n int64
	err := searchCRM(applyCRM(r.q(ctx).Model(new(M)), q.Conds), q.Text, q.In).Count(&n).Error
	return n, err
}

// ListCRM reads the page of records q asks for.
func ListCRM[M any](ctx context.Context, r CRMRecords, q CRMQuery) ([]*M, error) {
	var rows []*M
	err := searchCRM(applyCRM(r.q(ctx).Model(new(M)), q.Conds), q.Text, q.In).
		Order(q.Order.sql()).Limit(q.Limit).Offset(q.Offset).Find(&rows).Error
	return rows, err
}

// CRMByID reads the records with the given ids, in no order; missing ones are left out.
func CRMByID[M any](ctx context.Context, r CRMRecords, ids []string) ([]*M, error) {
	var rows []*M
	err := r.q(ctx).Where("id IN ?", ids).Find(&rows).Error
	return rows, err
}

// CountReferences counts the rows of table whose column points at id (a company's contacts).
func (r CRMRecords) CountReferences(ctx context.Context, table, column, id string) (int64, error) {
	var n int64
	err := r.q(ctx).Table(table).Where(column+" = ?", id).Count(&n).Error
	return n, err
}

// ---- The CRM pages' reads beyond one record (app/crm_pages.go). ----

// CompanyChoices lists the companies in scope (id and name) by name, at most limit.
func (r CRMRecords) CompanyChoices(ctx context.Context, scope ReadScope, limit int) ([]Company, error) {
	var rows []Company
	if err := scope.crmRows(r.q(ctx).Select("id", "name"), "assigned_to_id").Order("name, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list companies: %w", err)
	}
	return rows, nil
}

// ContactChoices lists the contacts in scope (id, names and email) by name, at most limit.
func (r CRMRecords) ContactChoices(ctx context.Context, scope ReadScope, limit int) ([]Contact, error) {
	var rows []Contact
	q := scope.crmRows(r.q(ctx).Select("id", "first_name", "last_name", "email"), "assigned_to_id")
	if err := q.Order("first_name, last_name, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	return rows, nil
}

// CompanyNamed finds the oldest company in scope whose name is name, whatever its case; ErrNotFound when
// there is none.
func (r CRMRecords) CompanyNamed(ctx context.Context, scope ReadScope, name string) (*Company, error) {
	var c Company
	err := scope.crmRows(r.q(ctx).Select("id"), "assigned_to_id").Where("LOWER(name) = ?", strings.ToLower(name)).
		Order("created_at, id").Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("company %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find company %q: %w", name, err)
	}
	return &c, nil
}

// RecordEvents lists the latest events of one record (id, type, who, when, whether dispatched), newest
// first, at most limit.
func (r CRMRecords) RecordEvents(ctx context.Context, entity, id string, limit int) ([]Event, error) {
	var events []Event
	err := r.q(ctx).Select("id", "type", "created_by", "created_at", "dispatched_at").
		Where("entity = ? AND entity_id = ?", entity, id).
		Order("created_at DESC, id DESC").Limit(limit).Find(&events).Error
	if err != nil {
		return nil, fmt.Errorf("list events of %s %s: %w", entity, id, err)
	}
	return events, nil
}

// RecordDelivery is what one event of a record did to one workflow, with the event's type.
type RecordDelivery struct {
	EventDelivery
	EventType string
}

// RecordDeliveries lists what the events of one record did to workflows, newest first, at most limit.
func (r CRMRecords) RecordDeliveries(ctx context.Context, entity, id string, limit int) ([]RecordDelivery, error) {
	var out []RecordDelivery
	err := r.q(ctx).Table("event_deliveries AS d").
		Select("d.event_id, d.workflow_id, d.execution_id, d.status, d.reason, d.created_at, ev.type AS event_type").
		Joins("JOIN events ev ON ev.id = d.event_id").
		Where("ev.entity = ? AND ev.entity_id = ?", entity, id).
		Order("d.created_at DESC, d.event_id DESC, d.workflow_id").Limit(limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list workflows started by %s %s: %w", entity, id, err)
	}
	return out, nil
}

// ---- For tests and tools ----

// AllEvents reads every recorded event, by id.
func (r CRMRecords) AllEvents(ctx context.Context) ([]Event, error) {
	var rows []Event
	if err := r.q(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return rows, nil
}

// CountTable counts the rows of one of the CRM's tables (or events).
func (r CRMRecords) CountTable(ctx context.Context, table string) (int64, error) {
	var n int64
	if err := r.q(ctx).Table(table).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}

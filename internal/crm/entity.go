package crm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// op is one piece of work: where it reads and writes (a transaction, or the database for reads and checks),
// who asks for it and when.
type op struct {
	s     *Service
	ctx   context.Context
	tx    *store.Tx // nil for reads and checks outside a transaction
	rows  store.CRMRecords
	users store.Users
	by    string // the actor: a user's email, or "workflow <id>"
	now   time.Time
	// owner, when set, narrows every read to the records assigned to this user (Service.OwnedBy).
	owner *int64
}

// entityOps is what the service needs from an entity, whatever its model.
type entityOps interface {
	info() *entityInfo
	create(o *op, id string, data map[string]any) (Record, error)
	update(o *op, id string, data map[string]any) (Record, error)
	remove(o *op, id string) error
	get(o *op, id string) (Record, error)
	list(o *op, f Filter) ([]Record, int64, error)
	check(o *op, id string, data map[string]any) error
	// summaries loads records by id as another record's payload shows them: their own fields, references as
	// ids, no users.
	summaries(o *op, ids []string) (map[string]Record, error)
}

// entityInfo is what is known about an entity beyond its model.
type entityInfo struct {
	entity Entity
	plural string // "leads", for messages
	table  string
	fields []*fieldInfo
}

// spec is an entity over its GORM model M, and the generic core that creates, changes, deletes, reads and
// lists every entity the same way.
type spec[M any] struct {
	entity Entity
	plural string
	table  string
	fields []field[M]
	status string     // the field whose change also writes <entity>_<new value>; "" for none
	search [][]string // what ?q= looks in: columns, each group read joined by a space (first and last name)
	order  store.CRMOrder
	id     func(*M) *string
	stamps func(*M) (created, updated *time.Time)
	label  func(*M) string // the record as people know it: "Acme Diner", "Jane Doe"
	// rules checks the record as it would be saved, for rules about several fields; failed holds the fields
	// that have a problem already.
	rules func(m *M, failed map[string]bool) []Problem
	// onStatus makes the changes that go with a status change (a task's completedAt) and returns their
	// columns and values.
	onStatus func(m *M, now time.Time) map[string]any
}

func (sp *spec[M]) info() *entityInfo {
	in := &entityInfo{entity: sp.entity, plural: sp.plural, table: sp.table}
	for i := range sp.fields {
		in.fields = append(in.fields, &sp.fields[i].fieldInfo)
	}
	return in
}

func (sp *spec[M]) field(name string) *field[M] {
	for i := range sp.fields {
		if sp.fields[i].name == name {
			return &sp.fields[i]
		}
	}
	return nil
}

// ownerCondition narrows a query to the records of the op's owner, when it has one: the entity's user
// field (assignedTo) must be them, so unassigned records are left out too.
func (sp *spec[M]) ownerCondition(o *op) (store.CRMCond, bool) {
	if o.owner == nil {
		return store.CRMCond{}, false
	}
	for i := range sp.fields {
		if f := &sp.fields[i]; f.kind == kindUser && f.name == fieldAssignedTo {
			return store.CRMCond{Column: f.column, Value: *o.owner}, true
		}
	}
	return store.CRMCond{None: true}, true // an entity nobody owns: a rep sees none of it
}

// target is the entity a reference field of m points at.
func (sp *spec[M]) target(m *M, f *field[M]) Entity {
	if f.ref != "" {
		return f.ref
	}
	if s, ok := sp.field(f.refFrom).get(m).(string); ok {
		return Entity(s)
	}
	return ""
}

// load reads one record; lock takes a row lock on PostgreSQL (SQLite has one writer anyway), so two changes
// of one record see each other's result and a status change is reported once.
func (sp *spec[M]) load(o *op, id string, lock bool) (*M, error) {
	var conds []store.CRMCond
	if c, ok := sp.ownerCondition(o); ok {
		conds = append(conds, c)
	}
	m, err := store.TakeCRM[M](o.ctx, o.rows, id, conds, lock)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &NotFoundError{Entity: sp.entity, ID: id}
	}
	if err != nil {
		return nil, fmt.Errorf("load %s %s: %w", sp.entity, id, err)
	}
	return m, nil
}

func (sp *spec[M]) create(o *op, id string, data map[string]any) (Record, error) {
	m, _, err := sp.prepare(o, data, nil)
	if err != nil {
		return nil, err
	}
	*sp.id(m) = id
	created, updated := sp.stamps(m)
	*created, *updated = o.now, o.now
	if sp.onStatus != nil {
		sp.onStatus(m, o.now)
	}
	if err := store.CreateCRM(o.ctx, o.rows, m); err != nil {
		return nil, fmt.Errorf("create %s %s: %w", sp.entity, id, err)
	}
	rec, err := sp.record(o, m)
	if err != nil {
		return nil, err
	}
	return rec, o.s.publish(o, string(sp.entity)+"_created", sp.entity, id, rec)
}

func (sp *spec[M]) update(o *op, id string, data map[string]any) (Record, error) {
	old, err := sp.load(o, id, true)
	if err != nil {
		return nil, err
	}
	m, changed, err := sp.prepare(o, data, old)
	if err != nil {
		return nil, err
	}
	if len(changed) == 0 {
		return sp.record(o, old) // nothing changes: nothing to write, nothing happened
	}
	cols := map[string]any{}
	statusChanged := false
	for _, i := range changed {
		f := &sp.fields[i]
		cols[f.column] = f.get(m)
		statusChanged = statusChanged || f.name == sp.status
	}
	if statusChanged && sp.onStatus != nil {
		for c, v := range sp.onStatus(m, o.now) {
			cols[c] = v
		}
	}
	_, updated := sp.stamps(m)
	*updated = o.now
	cols["updated_at"] = o.now
	// UpdateColumns: the injected clock sets updated_at, not GORM's.
	if err := store.UpdateCRM[M](o.ctx, o.rows, id, cols); err != nil {
		return nil, fmt.Errorf("update %s %s: %w", sp.entity, id, err)
	}
	rec, err := sp.record(o, m)
	if err != nil {
		return nil, err
	}
	if err := o.s.publish(o, string(sp.entity)+"_updated", sp.entity, id, rec); err != nil {
		return nil, err
	}
	if statusChanged {
		status, _ := sp.field(sp.status).get(m).(string)
		if err := o.s.publish(o, string(sp.entity)+"_"+status, sp.entity, id, rec); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

func (sp *spec[M]) remove(o *op, id string) error {
	old, err := sp.load(o, id, true)
	if err != nil {
		return err
	}
	if err := sp.checkUnused(o, old, id); err != nil {
		return err
	}
	rec, err := sp.record(o, old)
	if err != nil {
		return err
	}
	if err := store.DeleteCRM[M](o.ctx, o.rows, id); err != nil {
		return fmt.Errorf("delete %s %s: %w", sp.entity, id, err)
	}
	return o.s.publish(o, string(sp.entity)+"_deleted", sp.entity, id, rec)
}

// checkUnused refuses to delete a record other records still point at (a company with contacts).
func (sp *spec[M]) checkUnused(o *op, m *M, id string) error {
	var uses []string
	for _, e := range entityOrder {
		in := kindOf(e).info()
		for _, f := range in.fields {
			if f.kind != kindRef || f.ref != sp.entity {
				continue
			}
			n, err := o.rows.CountReferences(o.ctx, in.table, f.column, id)
			if err != nil {
				return fmt.Errorf("count the %s of %s %s: %w", in.plural, sp.entity, id, err)
			}
			switch {
			case n == 1:
				uses = append(uses, "1 "+string(in.entity))
			case n > 1:
				uses = append(uses, fmt.Sprintf("%d %s", n, in.plural))
			}
		}
	}
	if len(uses) > 0 {
		return &InUseError{Entity: sp.entity, ID: id, Label: sp.label(m), Uses: uses}
	}
	return nil
}

func (sp *spec[M]) get(o *op, id string) (Record, error) {
	m, err := sp.load(o, id, false)
	if err != nil {
		return nil, err
	}
	return sp.record(o, m)
}

func (sp *spec[M]) check(o *op, id string, data map[string]any) error {
	var old *M
	if id != "" {
		var err error
		if old, err = sp.load(o, id, false); err != nil {
			return err
		}
	}
	_, _, err := sp.prepare(o, data, old)
	return err
}

// Package crm owns the CRM records — leads, contacts, companies, opportunities and CRM tasks — and the
// events their changes write: every create and update records <entity>_created or <entity>_updated, and
// <entity>_<new status or stage> on a status or stage change, in the same transaction as the change.
//
// Records travel as JSON-shaped maps (Record) in camelCase, the shape the API answers with and workflows see:
// each reference expanded one level (lead.company is the company) and each user shown as their email
// (lead.assignedTo). One generic core (entity.go, validate.go, payload.go, list.go) does the work for every
// entity from a short description of its fields (entities.go).
package crm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// EventSink records an event inside the transaction of the change that caused it (the triggers'
// dispatcher).
type EventSink interface {
	PublishTx(ctx context.Context, tx *store.Tx, ev *store.Event) error
}

// Service manages CRM records.
type Service struct {
	DB     *store.DB
	Clock  clock.Clock
	Events EventSink
	NewID  func() string
	// owner, when set, is the one user whose records this service reads and changes (OwnedBy).
	owner *int64
}

// OwnedBy is the CRM as a rep sees it: reads, lists, checks and changes find only the records assigned to the
// user userID; any other record is a *NotFoundError, as if it did not exist. Creating is not narrowed, and a
// record shown inside one of theirs (a lead's company) is still expanded.
func (s *Service) OwnedBy(userID int64) *Service {
	scoped := *s
	scoped.owner = &userID
	return &scoped
}

// Record is a CRM record as JSON: its fields by their camelCase names, references expanded one level, users
// as emails, times as RFC 3339 text and days as 2006-01-02.
type Record = map[string]any

// Source is the Source of the events the CRM writes.
const Source = "crm"

// Entities lists the kinds of record.
func (s *Service) Entities() []string {
	out := make([]string, len(entityOrder))
	for i, e := range entityOrder {
		out[i] = string(e)
	}
	return out
}

// op is work in tx, or with tx nil reads and checks on the database outside any transaction.
func (s *Service) op(ctx context.Context, tx *store.Tx, by string) *op {
	o := &op{s: s, ctx: ctx, tx: tx, by: by, owner: s.owner, now: s.Clock.Now().UTC().Truncate(time.Microsecond)}
	if tx != nil {
		o.rows, o.users = tx.CRM(), tx.Users()
	} else {
		o.rows, o.users = s.DB.CRM(), s.DB.Users()
	}
	return o
}

func entityKind(e Entity) (entityOps, error) {
	k := kindOf(e)
	if k == nil {
		return nil, &ValidationError{Entity: e, Problems: []Problem{{Path: "entity",
			Message: fmt.Sprintf("%q is not a kind of CRM record; use lead, contact, company, opportunity or task", e)}}}
	}
	return k, nil
}

// Create creates a record of entity from data, as the user with the email by, and records <entity>_created.
// Every problem with the data comes back at once in a *ValidationError, and then nothing is written.
func (s *Service) Create(ctx context.Context, by string, e Entity, data map[string]any) (Record, error) {
	var rec Record
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		rec, err = s.createTx(ctx, tx, e, s.NewID(), data, by)
		return err
	})
	return rec, err
}

// Update changes the fields present in data, records <entity>_updated and, when the status (stage) changes,
// <entity>_<new value>. An update that changes nothing writes nothing and records nothing.
func (s *Service) Update(ctx context.Context, by string, e Entity, id string, data map[string]any) (Record, error) {
	var rec Record
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		rec, err = s.updateTx(ctx, tx, e, id, data, by)
		return err
	})
	return rec, err
}

// Delete deletes a record and records <entity>_deleted with the record as it was. A record other records
// still point at is not deleted (*InUseError).
func (s *Service) Delete(ctx context.Context, by string, e Entity, id string) error {
	k, err := entityKind(e)
	if err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error { return k.remove(s.op(ctx, tx, by), id) })
}

// Get reads one record (*NotFoundError when there is none).
func (s *Service) Get(ctx context.Context, e Entity, id string) (Record, error) {
	k, err := entityKind(e)
	if err != nil {
		return nil, err
	}
	var rec Record
	err = s.DB.Snapshot(ctx, func(tx *store.Tx) error {
		rec, err = k.get(s.op(ctx, tx, ""), id)
		return err
	})
	return rec, err
}

// List reads a page of records and how many match the filter in all. A wrong filter is a *ValidationError.
func (s *Service) List(ctx context.Context, e Entity, f Filter) ([]Record, int64, error) {
	k, err := entityKind(e)
	if err != nil {
		return nil, 0, err
	}
	var recs []Record
	var total int64
	err = s.DB.Snapshot(ctx, func(tx *store.Tx) error {
		recs, total, err = k.list(s.op(ctx, tx, ""), f)
		return err
	})
	return recs, total, err
}

func (s *Service) createTx(ctx context.Context, tx *store.Tx, e Entity, id string, data map[string]any, by string) (Record, error) {
	k, err := entityKind(e)
	if err != nil {
		return nil, err
	}
	return k.create(s.op(ctx, tx, by), id, data)
}

func (s *Service) updateTx(ctx context.Context, tx *store.Tx, e Entity, id string, data map[string]any, by string) (Record, error) {
	k, err := entityKind(e)
	if err != nil {
		return nil, err
	}
	o := s.op(ctx, tx, by)
	before, err := k.get(o, id)
	if err != nil {
		return nil, err
	}
	rec, err := k.update(o, id, data)
	if err != nil {
		return nil, err
	}
	return rec, tx.CRM().AddRecordChanges(ctx, changedFields(ctx, e, id, before, rec, data, by, o.now))
}

type originKey struct{}

// Origin is the run and step a change of a record comes from (update_record), for its journey and undo.
type Origin struct{ ExecutionID, StepID string }

// WithOrigin says that the changes made with ctx come from a run's step.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// changedFields are the fields of data whose value the change changed, before and after as the record's
// payload shows them.
func changedFields(ctx context.Context, e Entity, id string, before, after Record, data map[string]any, by string, now time.Time) []store.RecordChange {
	origin := store.ChangeOriginOf(ctx)
	var out []store.RecordChange
	for _, f := range slices.Sorted(maps.Keys(data)) {
		b, a := store.MustJSON(before[f]), store.MustJSON(after[f])
		if string(b) == string(a) {
			continue
		}
		out = append(out, store.RecordChange{Entity: string(e), RecordID: id, Field: f, BeforeValue: b, AfterValue: a,
			ChangedBy: by, ExecutionID: origin.ExecutionID, StepID: origin.StepID, ChangedAt: now})
	}
	return out
}

// publish records an event of the change in its transaction.
func (s *Service) publish(o *op, typ string, e Entity, id string, rec Record) error {
	payload, err := store.ToJSON(rec)
	if err != nil {
		return fmt.Errorf("%s %s: %w", typ, id, err)
	}
	ev := &store.Event{ID: s.NewID(), Type: typ, Entity: string(e), EntityID: id, Payload: payload,
		Source: Source, CreatedBy: o.by, CreatedAt: o.now}
	if err := s.Events.PublishTx(o.ctx, o.tx, ev); err != nil {
		return fmt.Errorf("publish %s for %s %s: %w", typ, e, id, err)
	}
	return nil
}

// The CRM as workflow actions see it (actions.RecordStore). Their errors are step errors: bad data and
// missing records are permanent (retrying cannot fix them), anything else may pass on retry.

// Check validates data for a create (id == "") or an update of the record id without writing anything.
func (s *Service) Check(ctx context.Context, entity, id string, data map[string]any) error {
	k, err := entityKind(Entity(entity))
	if err != nil {
		return forStep(err)
	}
	return forStep(k.check(s.op(ctx, nil, ""), id, data))
}

// CreateTx creates a record with the given id inside tx (the step's transaction) and returns its payload.
func (s *Service) CreateTx(ctx context.Context, tx *store.Tx, entity, id string, data map[string]any, by string) (map[string]any, error) {
	rec, err := s.createTx(ctx, tx, Entity(entity), id, data, by)
	return rec, forStep(err)
}

// UpdateTx changes a record inside tx (the step's transaction) and returns its payload.
func (s *Service) UpdateTx(ctx context.Context, tx *store.Tx, entity, id string, data map[string]any, by string) (map[string]any, error) {
	rec, err := s.updateTx(ctx, tx, Entity(entity), id, data, by)
	return rec, forStep(err)
}

// forStep marks the errors retrying cannot fix as permanent step failures.
func forStep(err error) error {
	var verr *ValidationError
	if errors.As(err, &verr) || errors.Is(err, store.ErrNotFound) {
		return workflow.Permanent(workflow.ClassValidation, err)
	}
	return err
}

// Find lists the records matching a filter as event payloads (for find_records).
func (s *Service) Find(ctx context.Context, entity string, where map[string]string, q string, limit int) ([]map[string]any, int64, error) {
	recs, total, err := s.List(ctx, Entity(entity), Filter{Fields: where, Q: q, Limit: limit})
	return recs, total, forStep(err)
}

// Lookup reads a record as its event payload (for get_record).
func (s *Service) Lookup(ctx context.Context, entity, id string) (map[string]any, error) {
	if _, err := entityKind(Entity(entity)); err != nil {
		return nil, forStep(err)
	}
	rec, err := s.Get(ctx, Entity(entity), id)
	return rec, forStep(err)
}

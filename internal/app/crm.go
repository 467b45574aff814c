package app

import (
	"context"
	"errors"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// RecordFilter narrows a list of CRM records: Fields by field name (status or stage, assignedTo as an
// email, "me" or "none", companyId, …), Q a text search in names and emails.
type RecordFilter struct {
	Fields map[string]string
	Q      string
	Page   Page
}

// Reps, managers and admins all work the CRM; only managers and admins delete records. A rep reads and
// changes only the records assigned to them (scope.go); another's answers 404. The CRM service owns each
// change's transaction, so the change and its events commit together.

// CreateRecord creates a CRM record. A rep's record without an owner is theirs, so it does not vanish from
// their sight the moment it is created.
func (a *App) CreateRecord(ctx context.Context, actor *Actor, e crm.Entity, data map[string]any) (crm.Record, error) {
	if err := requireRep(actor, "create CRM records"); err != nil {
		return nil, err
	}
	var rec crm.Record
	err := a.createTx(ctx, func(tx *store.Tx) (any, error) {
		var err error
		rec, err = a.CRM.CreateTx(ctx, tx, string(e), a.CRM.NewID(), scopeOf(actor).ownNew(data), actor.Email)
		return rec, err
	})
	return rec, crmError(err)
}

// UpdateRecord changes the fields present in data.
func (a *App) UpdateRecord(ctx context.Context, actor *Actor, e crm.Entity, id string, data map[string]any) (crm.Record, error) {
	if err := requireRep(actor, "change CRM records"); err != nil {
		return nil, err
	}
	rec, err := scopeOf(actor).crm(a.CRM).Update(ctx, actor.Email, e, id, data)
	return rec, crmError(err)
}

// DeleteRecord deletes a CRM record (managers and admins).
func (a *App) DeleteRecord(ctx context.Context, actor *Actor, e crm.Entity, id string) error {
	if err := requireManager(actor, "delete CRM records"); err != nil {
		return err
	}
	return crmError(a.CRM.Delete(ctx, actor.Email, e, id))
}

// GetRecord reads one CRM record the actor may see.
func (a *App) GetRecord(ctx context.Context, actor *Actor, e crm.Entity, id string) (crm.Record, error) {
	if err := requireRep(actor, "see CRM records"); err != nil {
		return nil, err
	}
	rec, err := scopeOf(actor).crm(a.CRM).Get(ctx, e, id)
	return rec, crmError(err)
}

// ListRecords reads a page of the CRM records the actor may see, newest first (tasks: soonest due first);
// the total counts only those.
func (a *App) ListRecords(ctx context.Context, actor *Actor, e crm.Entity, f RecordFilter) ([]crm.Record, int64, error) {
	if err := requireRep(actor, "see CRM records"); err != nil {
		return nil, 0, err
	}
	fields := make(map[string]string, len(f.Fields))
	for k, v := range f.Fields {
		if k == "assignedTo" && strings.EqualFold(strings.TrimSpace(v), "me") {
			v = actor.Email
		}
		fields[k] = v
	}
	page := f.Page.Normalize()
	recs, total, err := scopeOf(actor).crm(a.CRM).List(ctx, e, crm.Filter{Fields: fields, Q: f.Q, Limit: page.Limit, Offset: page.Offset})
	return recs, total, crmError(err)
}

func requireRep(actor *Actor, what string) error {
	if actor == nil || !actor.Role.AtLeast(auth.RoleRep) {
		return fail(ErrForbidden, "only signed-in users can "+what)
	}
	return nil
}

// crmError turns the CRM's errors into use-case errors: bad data is a 422 listing every field, a missing
// record 404, a record still in use 409.
func crmError(err error) error {
	var (
		verr  *crm.ValidationError
		nf    *crm.NotFoundError
		inUse *crm.InUseError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &verr):
		details := make([]Detail, 0, len(verr.Problems))
		for _, p := range verr.Problems {
			details = append(details, Detail{Path: p.Path, Message: p.Message})
		}
		return &ValidationError{Message: verr.Summary(), Details: details}
	case errors.As(err, &nf):
		return &Error{Kind: ErrNotFound, Message: nf.Error()}
	case errors.As(err, &inUse):
		return &Error{Kind: ErrConflict, Message: inUse.Error()}
	}
	return err
}

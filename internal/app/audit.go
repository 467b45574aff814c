package app

import (
	"context"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// AuditEntry is one thing a person did, as the audit log shows it.
type AuditEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	Entity   string    `json:"entity"`
	EntityID string    `json:"entityId"`
	Before   any       `json:"before,omitempty"`
	After    any       `json:"after,omitempty"`
}

// AuditFilter narrows the audit log: an entity kind (workflow, execution, batch, secret, user, …), an
// entity's id, who did it, since when.
type AuditFilter struct {
	Entity, EntityID, Actor string
	Since                   time.Time
	Page                    Page
}

// Audit reads the audit log, newest first (admins).
func (a *App) Audit(ctx context.Context, actor *Actor, f AuditFilter) ([]AuditEntry, int64, error) {
	if err := requireAdmin(actor, "read the audit log"); err != nil {
		return nil, 0, err
	}
	p := f.Page.Normalize()
	rows, total, err := a.DB.Audit(ctx, store.AuditFilter{Entity: f.Entity, EntityID: f.EntityID, Actor: f.Actor, Since: f.Since,
		Limit: p.Limit, Offset: p.Offset})
	if err != nil {
		return nil, 0, err
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = AuditEntry{ID: r.ID, At: r.At, Actor: r.Actor, Action: r.Action, Entity: r.Entity, EntityID: r.EntityID}
		_ = r.BeforeValue.Decode(&out[i].Before)
		_ = r.AfterValue.Decode(&out[i].After)
	}
	return out, total, nil
}

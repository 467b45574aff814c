// Package crm owns the CRM records — leads, contacts, companies, opportunities and CRM tasks — and the
// events their changes write: every create and update records <entity>_created or <entity>_updated, and
// <entity>_<new status or stage> on a status or stage change, in the same transaction as the change.
package crm

import (
	"context"

	"gorm.io/gorm"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// EventSink records an event inside the transaction of the change that caused it (the triggers'
// dispatcher).
type EventSink interface {
	PublishTx(ctx context.Context, tx *gorm.DB, ev *store.Event) error
}

// Service manages CRM records.
type Service struct {
	DB     *store.DB
	Clock  clock.Clock
	Events EventSink
	NewID  func() string
}

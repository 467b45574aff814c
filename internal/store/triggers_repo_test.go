package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

var _ = exercise("triggers/events-and-deliveries", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	seedWorkflow(t, db, "wf")
	storetest.Insert(t, db, newExecution("e1", "wf"))
	one := 1
	storetest.Insert(t, db,
		&store.Workflow{ID: "on-event", Name: "On event", Enabled: true, ActiveVersion: &one, LatestVersion: 1,
			TriggerType: "event", TriggerEvent: "lead_created", CreatedAt: repoT0, UpdatedAt: repoT0},
		&store.Workflow{ID: "off", Name: "Off", Enabled: false, ActiveVersion: &one, LatestVersion: 1,
			TriggerType: "event", TriggerEvent: "lead_created", CreatedAt: repoT0, UpdatedAt: repoT0},
		&store.Workflow{ID: "other-event", Name: "Other", Enabled: true, ActiveVersion: &one, LatestVersion: 1,
			TriggerType: "event", TriggerEvent: "lead_updated", CreatedAt: repoT0, UpdatedAt: repoT0})
	wfs, err := db.Triggers().WorkflowsForEvent(ctx, "event", "lead_created")
	if err != nil || len(wfs) != 1 || wfs[0].ID != "on-event" {
		t.Fatalf("workflows for lead_created: %v (%v), want on-event", wfs, err)
	}

	ev := &store.Event{ID: "ev1", Type: "lead_created", Payload: store.JSON(`{}`), Source: "api", CreatedAt: repoT0}
	if err := db.Triggers().RecordEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	var locked *store.Event
	err = db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		locked, err = tx.Triggers().LockEvent(ctx, "ev1")
		if err != nil {
			return err
		}
		claimed, err := tx.Triggers().ClaimDelivery(ctx, &store.EventDelivery{EventID: "ev1", WorkflowID: "on-event",
			Status: store.DeliveryStarted, CreatedAt: repoT0})
		if err != nil || !claimed {
			t.Errorf("first claim: %t, %v", claimed, err)
		}
		again, err := tx.Triggers().ClaimDelivery(ctx, &store.EventDelivery{EventID: "ev1", WorkflowID: "on-event",
			Status: store.DeliveryStarted, CreatedAt: repoT0})
		if err != nil || again {
			t.Errorf("second claim: %t, %v; want false", again, err)
		}
		if err := tx.Triggers().SetDeliveryExecution(ctx, "ev1", "on-event", "e1"); err != nil {
			return err
		}
		if err := tx.Triggers().SetDeliveryStatus(ctx, "ev1", "on-event", store.DeliveryRejected, "no fit"); err != nil {
			return err
		}
		return tx.Triggers().MarkDispatched(ctx, "ev1", repoT0.Add(time.Second))
	})
	if err != nil {
		t.Fatal(err)
	}
	if locked.ID != "ev1" || locked.DispatchedAt != nil {
		t.Fatalf("locked event %+v", locked)
	}
	after, err := db.Triggers().LockEvent(ctx, "ev1")
	if err != nil || after.DispatchedAt == nil || !after.DispatchedAt.Equal(repoT0.Add(time.Second)) {
		t.Fatalf("event after dispatch: %+v (%v)", after, err)
	}
	if _, err := db.Triggers().LockEvent(ctx, "nothing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a missing event = %v, want ErrNotFound", err)
	}
	// The delivery holds what was set: a second claim would have said so too, and the rows show it.
	claimed, err := db.Triggers().ClaimDelivery(ctx, &store.EventDelivery{EventID: "ev1", WorkflowID: "other-event",
		Status: store.DeliveryFiltered, CreatedAt: repoT0})
	if err != nil || !claimed {
		t.Fatalf("a delivery to another workflow: %t, %v", claimed, err)
	}
	deliveries, err := db.Triggers().Deliveries(ctx, "ev1")
	if err != nil || len(deliveries) != 2 {
		t.Fatalf("deliveries of ev1: %v (%v)", deliveries, err)
	}
	d := deliveries[0]
	if d.WorkflowID != "on-event" || d.Status != store.DeliveryRejected || d.Reason != "no fit" || d.ExecutionID == nil || *d.ExecutionID != "e1" {
		t.Fatalf("delivery to on-event: %+v", d)
	}
})

var _ = exercise("triggers/schedule-fires", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	seedWorkflow(t, db, "wf")
	storetest.Insert(t, db, newExecution("e1", "wf"))
	if _, err := db.Triggers().LastFire(ctx, "wf"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("last fire before any = %v, want ErrNotFound", err)
	}
	first, second := repoT0.Add(time.Minute), repoT0.Add(2*time.Minute)
	for _, at := range []time.Time{second, first} {
		claimed, err := db.Triggers().ClaimFire(ctx, &store.ScheduleFire{WorkflowID: "wf", ScheduledFor: at, FiredAt: at})
		if err != nil || !claimed {
			t.Fatalf("claim %v: %t, %v", at, claimed, err)
		}
	}
	if claimed, err := db.Triggers().ClaimFire(ctx, &store.ScheduleFire{WorkflowID: "wf", ScheduledFor: first, FiredAt: second}); err != nil || claimed {
		t.Fatalf("claiming %v again: %t, %v; want false", first, claimed, err)
	}
	last, err := db.Triggers().LastFire(ctx, "wf")
	if err != nil || !last.Equal(second) {
		t.Fatalf("last fire %v (%v), want %v", last, err, second)
	}
	if err := db.Triggers().SetFireExecution(ctx, "wf", first, "e1"); err != nil {
		t.Fatal(err)
	}
	fires, err := db.Triggers().Fires(ctx, "wf")
	if err != nil || len(fires) != 2 {
		t.Fatalf("fires: %v (%v)", fires, err)
	}
	if fires[0].ExecutionID == nil || *fires[0].ExecutionID != "e1" || fires[1].ExecutionID != nil {
		t.Fatalf("fires after recording the first's run: %+v", fires)
	}
})

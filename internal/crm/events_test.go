package crm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

func TestChangesWriteTheirEvents(t *testing.T) {
	t.Parallel()
	type change struct {
		op   string // create, update, delete
		data map[string]any
		want []string // event types, in order
	}
	tests := []struct {
		name    string
		entity  crm.Entity
		changes []change
	}{
		{"lead qualified", crm.Lead, []change{
			{"create", map[string]any{"firstName": "Jane", "lastName": "Doe"}, []string{"lead_created"}},
			{"update", map[string]any{"status": "qualified"}, []string{"lead_updated", "lead_qualified"}},
			{"update", map[string]any{"status": "qualified"}, nil}, // nothing changes: nothing happened
			{"update", map[string]any{"score": 80.0, "status": "qualified"}, []string{"lead_updated"}},
			{"update", map[string]any{"status": "converted", "notes": "signed"}, []string{"lead_updated", "lead_converted"}},
			{"delete", nil, []string{"lead_deleted"}},
		}},
		{"lead created qualified", crm.Lead, []change{
			{"create", map[string]any{"firstName": "Jane", "lastName": "Doe", "status": "qualified"}, []string{"lead_created"}},
		}},
		{"opportunity won", crm.Opportunity, []change{
			{"create", map[string]any{"name": "Refit"}, []string{"opportunity_created"}},
			{"update", map[string]any{"amount": 5000.0}, []string{"opportunity_updated"}},
			{"update", map[string]any{"stage": "won"}, []string{"opportunity_updated", "opportunity_won"}},
			{"delete", nil, []string{"opportunity_deleted"}},
		}},
		{"task done", crm.Task, []change{
			{"create", map[string]any{"title": "Call back"}, []string{"task_created"}},
			{"update", map[string]any{"status": "done"}, []string{"task_updated", "task_done"}},
			{"update", map[string]any{"status": "open"}, []string{"task_updated", "task_open"}},
		}},
		{"contact", crm.Contact, []change{
			{"create", map[string]any{"firstName": "Sam", "lastName": "Lee"}, []string{"contact_created"}},
			{"update", map[string]any{"title": "Chef"}, []string{"contact_updated"}},
			{"delete", nil, []string{"contact_deleted"}},
		}},
		{"company", crm.Company, []change{
			{"create", map[string]any{"name": "Acme Diner"}, []string{"company_created"}},
			{"update", map[string]any{"city": "Lyon"}, []string{"company_updated"}},
			{"delete", nil, []string{"company_deleted"}},
		}},
	}
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		for _, tt := range tests {
			var id string
			for i, c := range tt.changes {
				seen := len(b.events(t))
				b.clock.Advance(time.Minute)
				var rec crm.Record
				var err error
				switch c.op {
				case "create":
					rec, err = b.svc.Create(ctx, "manager@example.com", tt.entity, c.data)
					if err == nil {
						id = rec["id"].(string)
					}
				case "update":
					rec, err = b.svc.Update(ctx, "manager@example.com", tt.entity, id, c.data)
				case "delete":
					rec, err = b.svc.Get(ctx, tt.entity, id)
					if err == nil {
						err = b.svc.Delete(ctx, "manager@example.com", tt.entity, id)
					}
				}
				if err != nil {
					t.Fatalf("%s #%d %s: %v", tt.name, i, c.op, err)
				}
				evs := b.events(t)[seen:]
				var got []string
				for _, e := range evs {
					got = append(got, e.Type)
					// Every event describes this record, by this actor, now, with the record as the API shows it.
					if e.Entity != string(tt.entity) || e.EntityID != id || e.Source != "crm" || e.CreatedBy != "manager@example.com" ||
						!e.CreatedAt.Equal(b.clock.Now()) {
						t.Errorf("%s #%d: event %+v, want %s %s by manager@example.com from crm at %v", tt.name, i, e, tt.entity, id, b.clock.Now())
					}
					if want := jsonOf(t, rec); mustJSON(t, e.Payload) != mustJSON(t, want) {
						t.Errorf("%s #%d: %s payload\n  %s\nwant the record\n  %s", tt.name, i, e.Type, mustJSON(t, e.Payload), mustJSON(t, want))
					}
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("%s #%d %s %v: events %v, want %v", tt.name, i, c.op, c.data, got, c.want)
				}
			}
		}
	})
}

func TestUpdateStampsAndCompletion(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		task := b.create(t, crm.Task, map[string]any{"title": "Call back", "dueDate": "+2 days"})
		if task["completedAt"] != nil || task["dueDate"] != "2026-11-28T09:00:00Z" || task["createdAt"] != "2026-11-26T09:00:00Z" {
			t.Fatalf("new task = %v", task)
		}
		b.clock.Advance(time.Hour)
		done, err := b.svc.Update(ctx, "rep@example.com", crm.Task, task["id"].(string), map[string]any{"status": "done"})
		if err != nil {
			t.Fatal(err)
		}
		if done["completedAt"] != "2026-11-26T10:00:00Z" || done["updatedAt"] != "2026-11-26T10:00:00Z" || done["createdAt"] != "2026-11-26T09:00:00Z" {
			t.Fatalf("done task = %v, want completed and updated at 10:00, created at 09:00", done)
		}
		again, err := b.svc.Get(ctx, crm.Task, task["id"].(string))
		if err != nil || mustJSON(t, again) != mustJSON(t, done) {
			t.Fatalf("Get = %v, %v; want what Update returned: %v", again, err, done)
		}
		reopened, err := b.svc.Update(ctx, "rep@example.com", crm.Task, task["id"].(string), map[string]any{"status": "open"})
		if err != nil || reopened["completedAt"] != nil {
			t.Fatalf("reopened task = %v, %v; want completedAt null", reopened, err)
		}
	})
}

func TestRolledBackChangesPublishNothing(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		lead := b.create(t, crm.Lead, map[string]any{"firstName": "Jane", "lastName": "Doe"})
		id := lead["id"].(string)
		before := b.events(t)

		// A step whose transaction rolls back after the CRM wrote (the engine's commit failing later on).
		boom := errors.New("the step's commit failed")
		err := b.db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := b.svc.CreateTx(ctx, tx, "lead", "lead-2", map[string]any{"firstName": "Sam", "lastName": "Lee"}, "workflow w"); err != nil {
				return err
			}
			if _, err := b.svc.UpdateTx(ctx, tx, "lead", id, map[string]any{"status": "qualified"}, "workflow w"); err != nil {
				return err
			}
			n, err := tx.CRM().CountTable(ctx, "events")
			if err != nil || n != int64(len(before))+3 {
				return fmt.Errorf("inside the transaction there are %d events (%v), want 3 more", n, err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("transaction = %v, want %v", err, boom)
		}
		// The sink fails: the change it belongs to does not happen either.
		b.sink.setFail(errors.New("the outbox is full"))
		if _, err := b.svc.Update(ctx, "rep@example.com", crm.Lead, id, map[string]any{"status": "qualified"}); err == nil {
			t.Fatal("Update succeeded while its event could not be recorded")
		}
		if _, err := b.svc.Create(ctx, "rep@example.com", crm.Lead, map[string]any{"firstName": "Al", "lastName": "Bo"}); err == nil {
			t.Fatal("Create succeeded while its event could not be recorded")
		}
		if err := b.svc.Delete(ctx, "rep@example.com", crm.Lead, id); err == nil {
			t.Fatal("Delete succeeded while its event could not be recorded")
		}
		b.sink.setFail(nil)

		if after := b.events(t); len(after) != len(before) {
			t.Fatalf("events after rolled-back changes: %d, want %d", len(after), len(before))
		}
		if n := b.count(t, "leads"); n != 1 {
			t.Fatalf("leads = %d, want 1", n)
		}
		got, err := b.svc.Get(ctx, crm.Lead, id)
		if err != nil || got["status"] != "new" {
			t.Fatalf("lead after rollbacks = %v, %v; want status new", got, err)
		}
	})
}

func TestConcurrentQualifyWritesOneStatusEvent(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		const leads, writers = 10, 6
		var ids []string
		for i := range leads {
			ids = append(ids, b.create(t, crm.Lead, map[string]any{"firstName": "Jane", "lastName": fmt.Sprint(i)})["id"].(string))
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, leads*writers)
		for _, id := range ids {
			for i := range writers {
				wg.Go(func() {
					<-start
					_, err := b.svc.Update(ctx, "rep@example.com", crm.Lead, id,
						map[string]any{"status": "qualified", "notes": fmt.Sprintf("call %d", i)})
					errs <- err
				})
			}
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent update: %v", err)
			}
		}
		qualified := map[string]int{}
		for _, e := range b.events(t) {
			if e.Type == "lead_qualified" {
				qualified[e.EntityID]++
			}
		}
		for _, id := range ids {
			if qualified[id] != 1 {
				t.Errorf("lead %s: %d lead_qualified events after %d concurrent updates to qualified, want 1", id, qualified[id], writers)
			}
		}
	})
}

func TestDelete(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		company := b.create(t, crm.Company, map[string]any{"name": "Acme Diner"})
		cid := company["id"].(string)
		contact := b.create(t, crm.Contact, map[string]any{"firstName": "Sam", "lastName": "Lee", "companyId": cid})
		b.create(t, crm.Lead, map[string]any{"firstName": "A", "lastName": "B", "companyId": cid})
		b.create(t, crm.Lead, map[string]any{"firstName": "C", "lastName": "D", "companyId": cid})
		opp := b.create(t, crm.Opportunity, map[string]any{"name": "Refit", "contactId": contact["id"]})
		task := b.create(t, crm.Task, map[string]any{"title": "Call", "relatedType": "contact", "relatedId": contact["id"]})
		seen := len(b.events(t))

		tests := []struct {
			entity crm.Entity
			id     string
			want   string
		}{
			{crm.Company, cid, "Acme Diner is still the company of 2 leads and 1 contact; move or delete them first"},
			{crm.Contact, contact["id"].(string), "Sam Lee is still the contact of 1 opportunity; move or delete them first"},
			{crm.Lead, "no-such-lead", `there is no lead with id "no-such-lead"`},
		}
		for _, tt := range tests {
			err := b.svc.Delete(ctx, "manager@example.com", tt.entity, tt.id)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Delete %s %s = %v, want %q", tt.entity, tt.id, err, tt.want)
			}
		}
		if got := b.types(t, seen); len(got) != 0 {
			t.Fatalf("refused deletes wrote events %v", got)
		}
		// Once nothing points at it, it goes; a task about it stays, showing the record is gone.
		if err := b.svc.Delete(ctx, "manager@example.com", crm.Opportunity, opp["id"].(string)); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.Delete(ctx, "manager@example.com", crm.Contact, contact["id"].(string)); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Get(ctx, crm.Contact, contact["id"].(string)); err == nil || err.Error() != fmt.Sprintf("there is no contact with id %q", contact["id"]) {
			t.Fatalf("Get of a deleted contact = %v", err)
		}
		left, err := b.svc.Get(ctx, crm.Task, task["id"].(string))
		if err != nil || left["relatedId"] != contact["id"] || left["related"] != nil {
			t.Fatalf("task about a deleted contact = %v, %v; want relatedId kept and related null", left, err)
		}
		if got := b.types(t, seen); !slices.Equal(got, []string{"opportunity_deleted", "contact_deleted"}) {
			t.Fatalf("events = %v", got)
		}
	})
}

package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

var _ = exercise("crm/generic-core", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	r := seedRuns(t, db)
	crm := db.CRM()
	acme := "co-1"
	for i, l := range []*store.Lead{
		{ID: "lead-1", FirstName: "Jane", LastName: "Doe", Email: "jane@acme.example", Status: "new", CompanyID: &acme, AssignedToID: &r.ann.ID},
		{ID: "lead-2", FirstName: "Sam", LastName: "Lee", Email: "sam_lee@x.example", Status: "qualified", AssignedToID: &r.bob.ID},
		{ID: "lead-3", FirstName: "Al", LastName: "100%", Status: "new"},
	} {
		l.CreatedAt, l.UpdatedAt = t0.Add(time.Duration(i)*time.Hour), t0
		if i == 0 {
			must(t, store.CreateCRM(ctx, crm, &store.Company{ID: acme, Name: "Acme Diner", AssignedToID: &r.ann.ID, CreatedAt: t0, UpdatedAt: t0}))
		}
		must(t, store.CreateCRM(ctx, crm, l))
	}
	lead, err := store.TakeCRM[store.Lead](ctx, crm, "lead-1", []store.CRMCond{{Column: "assigned_to_id", Value: r.ann.ID}}, false)
	if err != nil || lead.Email != "jane@acme.example" {
		t.Fatalf("TakeCRM = %+v, %v", lead, err)
	}
	if _, err := store.TakeCRM[store.Lead](ctx, crm, "lead-1", []store.CRMCond{{Column: "assigned_to_id", Value: r.bob.ID}}, false); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TakeCRM of someone else's lead: %v, want ErrNotFound", err)
	}
	if _, err := store.TakeCRM[store.Lead](ctx, crm, "lead-1", []store.CRMCond{{None: true}}, false); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TakeCRM under None: %v, want ErrNotFound", err)
	}
	must(t, db.Tx(ctx, func(tx *store.Tx) error {
		l, err := store.TakeCRM[store.Lead](ctx, tx.CRM(), "lead-2", nil, true)
		if err != nil {
			return err
		}
		return store.UpdateCRM[store.Lead](ctx, tx.CRM(), l.ID, map[string]any{"status": "converted", "updated_at": t0.Add(time.Hour)})
	}))
	if l, err := store.TakeCRM[store.Lead](ctx, crm, "lead-2", nil, false); err != nil || l.Status != "converted" || !l.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after UpdateCRM: %+v, %v", l, err)
	}

	list := func(q store.CRMQuery) ([]string, int64) {
		t.Helper()
		q.Limit = 10
		n, err := store.CountCRM[store.Lead](ctx, crm, q)
		must(t, err)
		rows, err := store.ListCRM[store.Lead](ctx, crm, q)
		must(t, err)
		out := []string{}
		for _, l := range rows {
			out = append(out, l.ID)
		}
		return out, n
	}
	search := [][]string{{"first_name", "last_name"}, {"email"}}
	tests := []struct {
		name string
		q    store.CRMQuery
		want []string
	}{
		{"newest first", store.CRMQuery{}, []string{"lead-3", "lead-2", "lead-1"}},
		{"by a column", store.CRMQuery{Conds: []store.CRMCond{{Column: "status", Value: "new"}}}, []string{"lead-3", "lead-1"}},
		{"unassigned", store.CRMQuery{Conds: []store.CRMCond{{Column: "assigned_to_id", Null: true}}}, []string{"lead-3"}},
		{"a full name, whatever its case", store.CRMQuery{Text: "JANE DOE", In: search}, []string{"lead-1"}},
		{"an email", store.CRMQuery{Text: "acme", In: search}, []string{"lead-1"}},
		{"_ is itself", store.CRMQuery{Text: "sam_", In: search}, []string{"lead-2"}},
		{"% is itself", store.CRMQuery{Text: "100%", In: search}, []string{"lead-3"}},
		{"nothing under None", store.CRMQuery{Conds: []store.CRMCond{{None: true}}}, []string{}},
	}
	for _, tt := range tests {
		got, n := list(tt.q)
		if int(n) != len(tt.want) || len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
			t.Errorf("%s: %v (count %d), want %v", tt.name, got, n, tt.want)
		}
	}
	page, err := store.ListCRM[store.Lead](ctx, crm, store.CRMQuery{Limit: 1, Offset: 1})
	if err != nil || len(page) != 1 || page[0].ID != "lead-2" {
		t.Fatalf("a page = %+v, %v", page, err)
	}

	byID, err := store.CRMByID[store.Lead](ctx, crm, []string{"lead-1", "lead-3", "gone"})
	if err != nil || len(byID) != 2 {
		t.Fatalf("CRMByID = %+v, %v", byID, err)
	}
	if n, err := crm.CountReferences(ctx, "leads", "company_id", acme); err != nil || n != 1 {
		t.Fatalf("CountReferences = %d, %v", n, err)
	}
	must(t, store.DeleteCRM[store.Lead](ctx, crm, "lead-3"))
	if n, err := crm.CountTable(ctx, "leads"); err != nil || n != 2 {
		t.Fatalf("CountTable after a delete = %d, %v", n, err)
	}

	// Soonest due first for CRM tasks, undated last.
	due := t0.Add(time.Hour)
	must(t, store.CreateCRM(ctx, crm, &store.CRMTask{ID: "todo-1", Title: "Later", Status: "open", Priority: "low", CreatedAt: t0.Add(time.Hour), UpdatedAt: t0}))
	must(t, store.CreateCRM(ctx, crm, &store.CRMTask{ID: "todo-2", Title: "Soon", Status: "open", Priority: "low", DueAt: &due, CreatedAt: t0, UpdatedAt: t0}))
	todos, err := store.ListCRM[store.CRMTask](ctx, crm, store.CRMQuery{Order: store.CRMSoonestDue, Limit: 10})
	if err != nil || len(todos) != 2 || todos[0].ID != "todo-2" {
		t.Fatalf("CRM tasks = %+v, %v; want the dated one first", todos, err)
	}
})

var _ = exercise("crm/pages", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	r := seedRuns(t, db)
	crm := db.CRM()
	create(t, db,
		&store.Company{ID: "co-1", Name: "Acme Diner", AssignedToID: &r.ann.ID, CreatedAt: t0, UpdatedAt: t0},
		&store.Company{ID: "co-2", Name: "ACME diner", AssignedToID: &r.ann.ID, CreatedAt: t0.Add(time.Hour), UpdatedAt: t0},
		&store.Company{ID: "co-3", Name: "Bistro", AssignedToID: &r.bob.ID, CreatedAt: t0, UpdatedAt: t0},
		&store.Contact{ID: "ct-1", FirstName: "Jane", LastName: "Doe", Email: "jane@acme.example", AssignedToID: &r.ann.ID, CreatedAt: t0, UpdatedAt: t0},
		&store.Contact{ID: "ct-2", FirstName: "Al", LastName: "Bo", AssignedToID: &r.bob.ID, CreatedAt: t0, UpdatedAt: t0})
	annScope, all := store.ReadScope{UserID: r.ann.ID, Email: r.ann.Email}, store.ReadScope{All: true}
	if cs, err := crm.CompanyChoices(ctx, annScope, 10); err != nil || len(cs) != 2 || cs[0].ID != "co-2" && cs[0].ID != "co-1" || cs[0].Website != "" {
		t.Fatalf("ann's company choices = %+v, %v", cs, err)
	}
	if cs, err := crm.CompanyChoices(ctx, all, 2); err != nil || len(cs) != 2 {
		t.Fatalf("company choices up to 2 = %+v, %v", cs, err)
	}
	if cs, err := crm.ContactChoices(ctx, all, 10); err != nil || len(cs) != 2 || cs[0].ID != "ct-2" || cs[1].Email != "jane@acme.example" {
		t.Fatalf("contact choices = %+v, %v; want by first name", cs, err)
	}
	if c, err := crm.CompanyNamed(ctx, annScope, "acme DINER"); err != nil || c.ID != "co-1" {
		t.Fatalf("CompanyNamed = %+v, %v; want the oldest of that name", c, err)
	}
	if _, err := crm.CompanyNamed(ctx, annScope, "Bistro"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CompanyNamed of someone else's company: %v, want ErrNotFound", err)
	}

	run := "run-b"
	create(t, db,
		&store.Event{ID: "ev-1", Type: "lead_created", Entity: "lead", EntityID: "lead-1", Payload: store.MustJSON(map[string]any{}), Source: "crm", CreatedBy: r.ann.Email, CreatedAt: t0, DispatchedAt: &t0},
		&store.Event{ID: "ev-2", Type: "lead_updated", Entity: "lead", EntityID: "lead-1", Payload: store.MustJSON(map[string]any{}), Source: "crm", CreatedBy: r.ann.Email, CreatedAt: t0.Add(time.Hour)},
		&store.Event{ID: "ev-3", Type: "lead_created", Entity: "lead", EntityID: "lead-2", Payload: store.MustJSON(map[string]any{}), Source: "crm", CreatedAt: t0},
		&store.EventDelivery{EventID: "ev-1", WorkflowID: "wf", ExecutionID: &run, Status: store.DeliveryStarted, CreatedAt: t0},
		&store.EventDelivery{EventID: "ev-3", WorkflowID: "wf", Status: store.DeliveryFiltered, Reason: "no", CreatedAt: t0})
	events, err := crm.RecordEvents(ctx, "lead", "lead-1", 10)
	if err != nil || len(events) != 2 || events[0].ID != "ev-2" || events[0].DispatchedAt != nil || events[1].DispatchedAt == nil || len(events[0].Payload) != 0 {
		t.Fatalf("RecordEvents = %+v, %v; want newest first, without payloads", events, err)
	}
	if events, err := crm.RecordEvents(ctx, "lead", "lead-1", 1); err != nil || len(events) != 1 {
		t.Fatalf("RecordEvents up to 1 = %+v, %v", events, err)
	}
	ds, err := crm.RecordDeliveries(ctx, "lead", "lead-1", 10)
	if err != nil || len(ds) != 1 || ds[0].EventType != "lead_created" || ds[0].ExecutionID == nil || *ds[0].ExecutionID != run || ds[0].Status != store.DeliveryStarted {
		t.Fatalf("RecordDeliveries = %+v, %v", ds, err)
	}
	all3, err := crm.AllEvents(ctx)
	if err != nil || len(all3) != 3 || all3[0].ID != "ev-1" || all3[2].ID != "ev-3" {
		t.Fatalf("AllEvents = %+v, %v", all3, err)
	}
})

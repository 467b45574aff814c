package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// The reads tests make to check what the server wrote (test_reads.go).

var _ = exercise("testreads/counts", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	storetest.Insert(t, db, &store.Workflow{ID: "wf", Name: "A", LatestVersion: 1, CreatedAt: t0, UpdatedAt: t0},
		&store.Workflow{ID: "other", Name: "B", LatestVersion: 1, CreatedAt: t0, UpdatedAt: t0})
	for i, wf := range []string{"wf", "wf", "other"} {
		storetest.Insert(t, db, &store.Execution{ID: "run-" + string(rune('a'+i)), WorkflowID: wf, WorkflowVersion: 1,
			Status: "completed", StartedAt: t0, UpdatedAt: t0, Variables: store.JSON("{}"), Outputs: store.JSON("{}"),
			State: store.JSON("{}"), Revision: 1})
	}
	for _, c := range []struct {
		cond string
		args []any
		want int64
	}{{"", nil, 3}, {"workflow_id = ?", []any{"wf"}, 2}, {"workflow_id = ? AND id = ?", []any{"wf", "run-c"}, 0}} {
		if n, err := db.CountWhere(ctx, &store.Execution{}, c.cond, c.args...); err != nil || n != c.want {
			t.Errorf("CountWhere(%q, %v) = %d, %v; want %d", c.cond, c.args, n, err, c.want)
		}
	}
	if _, err := db.CountWhere(ctx, &store.Execution{}, "no_such_column = ?", 1); err == nil {
		t.Error("CountWhere on a column that does not exist did not fail")
	}
	for wf, want := range map[string]int64{"wf": 2, "other": 1, "none": 0} {
		if n, err := db.Executions().CountOfWorkflow(ctx, wf); err != nil || n != want {
			t.Errorf("CountOfWorkflow(%s) = %d, %v; want %d", wf, n, err, want)
		}
	}
})

var _ = exercise("testreads/executions", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	storetest.Insert(t, db, &store.Workflow{ID: "wf", Name: "A", LatestVersion: 2, CreatedAt: t0, UpdatedAt: t0},
		&store.WorkflowVersion{WorkflowID: "wf", Version: 2, Definition: store.JSON(`{"v":2}`), Status: store.VersionDraft, CreatedAt: t0},
		&store.WorkflowVersion{WorkflowID: "wf", Version: 1, Definition: store.JSON(`{"v":1}`), Status: store.VersionDraft, CreatedAt: t0})
	// Started out of id order, and two at the same moment: the id breaks the tie.
	for _, r := range []struct {
		id  string
		off time.Duration
	}{{"run-z", 0}, {"run-b", time.Hour}, {"run-a", time.Hour}, {"run-m", -time.Hour}} {
		storetest.Insert(t, db, &store.Execution{ID: r.id, WorkflowID: "wf", WorkflowVersion: 1, Status: "completed",
			StartedAt: t0.Add(r.off), UpdatedAt: t0, Variables: store.JSON(`{"who":"` + r.id + `"}`), Outputs: store.JSON("{}"),
			State: store.JSON("{}"), Revision: 1})
	}
	ids, err := db.Executions().IDsOfWorkflow(ctx, "wf")
	if want := []string{"run-m", "run-z", "run-a", "run-b"}; err != nil || !slices.Equal(ids, want) {
		t.Fatalf("IDsOfWorkflow = %v, %v; want %v", ids, err, want)
	}
	if ids, err := db.Executions().IDsOfWorkflow(ctx, "none"); err != nil || len(ids) != 0 {
		t.Fatalf("IDsOfWorkflow(none) = %v, %v; want none", ids, err)
	}
	all, err := db.Executions().All(ctx)
	if err != nil || len(all) != 4 || all[0].ID != "run-a" || all[3].ID != "run-z" || !strings.Contains(string(all[3].Variables), "run-z") {
		t.Fatalf("All = %+v, %v; want the four runs by id, with their variables", all, err)
	}
	storetest.Insert(t, db,
		&store.LogRow{ExecutionID: "run-a", Timestamp: t0, StepID: "s", StepName: "S", Action: "started", Message: "first"},
		&store.LogRow{ExecutionID: "run-b", Timestamp: t0, StepID: "s", StepName: "S", Action: "completed", Message: "second"})
	logs, err := db.Executions().AllLogs(ctx)
	if err != nil || len(logs) != 2 || logs[0].Message != "first" || logs[1].Message != "second" || logs[1].ExecutionID != "run-b" {
		t.Fatalf("AllLogs = %+v, %v; want both entries in the order written", logs, err)
	}
	defs, err := db.Workflows().AllDefinitions(ctx)
	if err != nil || len(defs) != 2 || !strings.Contains(defs[0], "1") || !strings.Contains(defs[1], "2") {
		t.Fatalf("AllDefinitions = %q, %v; want version 1's, then version 2's", defs, err)
	}
})

var _ = exercise("testreads/jobs", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if args, err := db.JobArgs(ctx); err != nil || len(args) != 0 {
		t.Fatalf("JobArgs of no jobs = %v, %v", args, err)
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertRows(ctx, "river_job", []string{"args", "kind", "max_attempts"},
			[]any{`{"mail":"mail-1"}`, "deliver_mail", 10, `{"mail":"mail-2"}`, "deliver_mail", 10})
	})
	if err != nil {
		t.Fatal(err)
	}
	args, err := db.JobArgs(ctx)
	if err != nil || len(args) != 2 || !strings.Contains(args[0], "mail-1") || !strings.Contains(args[1], "mail-2") {
		t.Fatalf("JobArgs = %q, %v; want both jobs' arguments as text", args, err)
	}
})

var _ = exercise("testreads/triggers", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	run := "run"
	storetest.Insert(t, db, &store.Workflow{ID: "wf", Name: "A", LatestVersion: 1, CreatedAt: t0, UpdatedAt: t0},
		&store.Workflow{ID: "cron", Name: "C", LatestVersion: 1, CreatedAt: t0, UpdatedAt: t0},
		&store.Event{ID: "ev-1", Type: "lead_created", Entity: "lead", EntityID: "lead-1", Payload: store.JSON("{}"), Source: "crm", CreatedAt: t0.Add(time.Hour), DispatchedAt: &t0},
		&store.Event{ID: "ev-0", Type: "lead_updated", Entity: "lead", EntityID: "lead-1", Payload: store.JSON("{}"), Source: "crm", CreatedBy: "workflow wf", CreatedAt: t0},
		&store.Event{ID: "ev-2", Type: "lead_created", Entity: "lead", EntityID: "lead-2", Payload: store.JSON("{}"), Source: "crm", CreatedAt: t0},
		&store.EventDelivery{EventID: "ev-1", WorkflowID: "wf", ExecutionID: &run, Status: store.DeliveryStarted, CreatedAt: t0},
		&store.EventDelivery{EventID: "ev-2", WorkflowID: "wf", Status: store.DeliveryStarted, CreatedAt: t0},
		&store.EventDelivery{EventID: "ev-0", WorkflowID: "cron", Status: store.DeliveryFiltered, Reason: "no", CreatedAt: t0},
		&store.ScheduleFire{WorkflowID: "cron", ScheduledFor: t0.Add(2 * time.Minute), FiredAt: t0},
		&store.ScheduleFire{WorkflowID: "wf", ScheduledFor: t0.Add(time.Minute), FiredAt: t0},
		&store.ScheduleFire{WorkflowID: "cron", ScheduledFor: t0.Add(time.Minute), ExecutionID: &run, FiredAt: t0})

	if n, err := db.Triggers().PendingEvents(ctx); err != nil || n != 2 {
		t.Errorf("PendingEvents = %d, %v; want 2", n, err)
	}
	if types, err := db.CRM().EventTypesOf(ctx, "lead-1"); err != nil || !slices.Equal(types, []string{"lead_updated", "lead_created"}) {
		t.Errorf("EventTypesOf(lead-1) = %v, %v; want oldest first", types, err)
	}
	if ev, err := db.CRM().EventOf(ctx, "lead-1", "lead_updated"); err != nil || ev.ID != "ev-0" || ev.CreatedBy != "workflow wf" {
		t.Errorf("EventOf(lead-1, lead_updated) = %+v, %v; want ev-0", ev, err)
	}
	if _, err := db.CRM().EventOf(ctx, "lead-2", "lead_updated"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("EventOf a type the record has not = %v, want ErrNotFound", err)
	}
	if d, err := db.Triggers().DeliveryOfWorkflow(ctx, "cron"); err != nil || d.EventID != "ev-0" || d.Status != store.DeliveryFiltered || d.Reason != "no" {
		t.Errorf("DeliveryOfWorkflow(cron) = %+v, %v; want ev-0's, filtered", d, err)
	}
	if _, err := db.Triggers().DeliveryOfWorkflow(ctx, "none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeliveryOfWorkflow(none) = %v, want ErrNotFound", err)
	}
	for _, c := range []struct {
		wf, status string
		want       int64
	}{{"wf", store.DeliveryStarted, 2}, {"wf", store.DeliveryFiltered, 0}, {"cron", store.DeliveryFiltered, 1}} {
		if n, err := db.Triggers().CountDeliveries(ctx, c.wf, c.status); err != nil || n != c.want {
			t.Errorf("CountDeliveries(%s, %s) = %d, %v; want %d", c.wf, c.status, n, err, c.want)
		}
	}
	fires, err := db.Triggers().AllFires(ctx)
	if err != nil || len(fires) != 3 {
		t.Fatalf("AllFires = %+v, %v; want 3", fires, err)
	}
	for i, want := range []struct {
		wf string
		at time.Time
	}{{"cron", t0.Add(time.Minute)}, {"wf", t0.Add(time.Minute)}, {"cron", t0.Add(2 * time.Minute)}} {
		if fires[i].WorkflowID != want.wf || !fires[i].ScheduledFor.Equal(want.at) {
			t.Errorf("fire %d = %s at %v, want %s at %v", i, fires[i].WorkflowID, fires[i].ScheduledFor, want.wf, want.at)
		}
	}
	if fires[0].ExecutionID == nil || *fires[0].ExecutionID != run {
		t.Errorf("the first fire's execution = %v, want %s", fires[0].ExecutionID, run)
	}
})

var _ = exercise("testreads/records", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	run, other := "run", "other"
	storetest.Insert(t, db,
		&store.CRMTask{ID: "todo-1", Title: "Send the quote", Priority: "high", Status: "open", ExecutionID: &run, CreatedAt: t0, UpdatedAt: t0},
		&store.CRMTask{ID: "todo-2", Title: "Call back", Priority: "low", Status: "open", ExecutionID: &run, CreatedAt: t0, UpdatedAt: t0},
		&store.CRMTask{ID: "todo-3", Title: "Another run's", Priority: "low", Status: "open", ExecutionID: &other, CreatedAt: t0, UpdatedAt: t0},
		&store.CRMTask{ID: "todo-4", Title: "By hand", Priority: "low", Status: "open", CreatedAt: t0, UpdatedAt: t0},
		&store.LoginAttempt{Email: "ann@example.com", IP: "192.0.2.1", CreatedAt: t0},
		&store.LoginAttempt{Email: "ann@example.com", IP: "192.0.2.1", CreatedAt: t0},
		&store.LoginAttempt{Email: "bob@example.com", IP: "2001:db8::1", Succeeded: true, CreatedAt: t0},
		&store.Mail{ID: "mail-1", IdempotencyKey: "k1", ToAddress: "jane@acme.example", Subject: "Hello", Body: "Hi", Status: store.MailSent, Attempts: 1, CreatedAt: t0},
		&store.Mail{ID: "mail-2", IdempotencyKey: "k2", ToAddress: "max@acme.example", Subject: "Other", Body: "Hi", Status: store.MailQueued, CreatedAt: t0})

	tasks, err := db.CRM().TasksOfExecution(ctx, run)
	if err != nil || len(tasks) != 2 || tasks[0].Title != "Call back" || tasks[1].Title != "Send the quote" || tasks[1].Priority != "high" {
		t.Errorf("TasksOfExecution(run) = %+v, %v; want its two tasks by title", tasks, err)
	}
	if tasks, err := db.CRM().TasksOfExecution(ctx, "none"); err != nil || len(tasks) != 0 {
		t.Errorf("TasksOfExecution(none) = %+v, %v; want none", tasks, err)
	}
	if ips, err := db.Users().SignInAddresses(ctx); err != nil || !slices.Equal(ips, []string{"192.0.2.1", "192.0.2.1", "2001:db8::1"}) {
		t.Errorf("SignInAddresses = %v, %v; want one per attempt", ips, err)
	}
	if m, err := db.Outbox().MailTo(ctx, "jane@acme.example"); err != nil || m.ID != "mail-1" || m.Status != store.MailSent {
		t.Errorf("MailTo(jane) = %+v, %v; want mail-1, sent", m, err)
	}
	if _, err := db.Outbox().MailTo(ctx, "nobody@acme.example"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MailTo(nobody) = %v, want ErrNotFound", err)
	}
})

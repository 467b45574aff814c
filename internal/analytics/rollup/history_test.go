package rollup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// now is the fake clock's time in these tests: half past an hour, so timeframes cut hours.
var now = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

// bundle is a wired (not started) Pantryflow on a fresh database, with a fake clock at now.
type bundle struct {
	t       *testing.T
	ctx     context.Context
	srv     *server.Server
	clock   *clock.Fake
	manager *app.Actor
}

// eachDB runs fn on SQLite and, when configured, PostgreSQL, in parallel.
func eachDB(t *testing.T, fn func(t *testing.T, b *bundle)) {
	t.Helper()
	for name, url := range storetest.URLs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, setup(t, url(t)))
		})
	}
}

func setup(t *testing.T, url string) *bundle {
	t.Helper()
	cfg := config.Defaults()
	cfg.DatabaseURL = url
	clk := clock.NewFake(now)
	srv, err := server.Open(context.Background(), cfg, storetest.Quiet(), server.Options{Clock: clk})
	if err != nil {
		t.Fatalf("open server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	b := &bundle{t: t, ctx: context.Background(), srv: srv, clock: clk}
	u, err := srv.App.Auth.CreateUser(b.ctx, "manager@example.com", "Manager", auth.RoleManager, "correct horse battery")
	if err != nil {
		t.Fatalf("create manager: %v", err)
	}
	b.manager = &app.Actor{ID: u.ID, Email: u.Email, Role: auth.RoleManager}
	if _, err := srv.App.Auth.CreateUser(b.ctx, "rep@example.com", "Rita Rep", auth.RoleRep, "correct horse battery"); err != nil {
		t.Fatalf("create rep: %v", err)
	}
	return b
}

// workflow creates and publishes a definition given as JSON, and returns its id.
func (b *bundle) workflow(def string) string {
	b.t.Helper()
	d, err := workflow.Decode([]byte(def))
	if err != nil {
		b.t.Fatalf("decode: %v", err)
	}
	saved, err := b.srv.App.CreateWorkflow(b.ctx, b.manager, d, true)
	if err != nil {
		b.t.Fatalf("create workflow: %v", err)
	}
	return saved.ID
}

func (b *bundle) flush() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := b.srv.Analytics.Flush(ctx); err != nil {
		b.t.Fatalf("flush the rollups: %v", err)
	}
}

// run is an execution written straight into the database, with its log.
type run struct {
	id       string
	workflow string
	version  int
	status   string
	start    time.Time
	took     time.Duration // completed_at − started_at for finished runs
	test     bool
	log      []entry
}

// entry is a log row; ms < 0 means no duration.
type entry struct {
	step, action string
	ms           int64
	reason, msg  string
	result       *bool
	task         *task // a human task completed by this entry
}

// task is a human task: due relative to the run's start (nil: no due date).
type task struct {
	due  *time.Duration
	open bool // still open (the entry is its "started")
}

var yes, no = true, false

func after(d time.Duration) *time.Duration { return &d }

func c(step string, ms int64) entry { return entry{step: step, action: "completed", ms: ms} }
func f(step string, ms int64, reason string) entry {
	return entry{step: step, action: "failed", ms: ms, reason: reason}
}

// insert writes runs, their log rows and human tasks.
func (b *bundle) insert(runs ...run) {
	b.t.Helper()
	for _, r := range runs {
		if r.version == 0 {
			r.version = 1
		}
		h := store.HistoryRun{Execution: store.Execution{ID: r.id, WorkflowID: r.workflow, WorkflowVersion: r.version,
			Status: r.status, StartedAt: r.start, UpdatedAt: r.start, Variables: store.JSON("{}"), Outputs: store.JSON("{}"),
			State: store.JSON("{}"), Test: r.test, Revision: 1}}
		if r.status == "completed" || r.status == "failed" || r.status == "cancelled" {
			done := r.start.Add(r.took)
			h.Execution.CompletedAt = &done
		}
		for i, e := range r.log {
			at := r.start.Add(time.Duration(i+1) * time.Second)
			row := store.LogRow{ExecutionID: r.id, Timestamp: at, StepID: e.step, StepName: e.step, Action: e.action,
				Message: e.msg, Reason: e.reason}
			if e.ms >= 0 {
				ms := e.ms
				row.DurationMs = &ms
			}
			if e.result != nil {
				row.Data = store.JSON(fmt.Sprintf(`{"next":[],"result":%t}`, *e.result))
			}
			h.Log = append(h.Log, row)
			if e.task == nil {
				continue
			}
			ht := store.HumanTask{ID: fmt.Sprintf("%s-%d", r.id, i), ExecutionID: r.id, WorkflowID: r.workflow, StepID: e.step,
				Activation: int64(i), Assignee: "rep@example.com", Title: "Review", FormFields: store.JSON("[]"),
				Status: "completed", CreatedAt: r.start, UpdatedAt: at, CompletedAt: &at, CompletedBy: "rep@example.com"}
			if e.task.open {
				ht.Status, ht.CompletedAt, ht.CompletedBy = "open", nil, ""
			}
			if e.task.due != nil {
				due := r.start.Add(*e.task.due)
				ht.DueAt = &due
			}
			h.Tasks = append(h.Tasks, ht)
		}
		if err := b.srv.DB.History().Insert(b.ctx, h); err != nil {
			b.t.Fatal(err)
		}
	}
}

// asJSON renders v for comparing and printing.
func asJSON(t *testing.T, v any) string {
	t.Helper()
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

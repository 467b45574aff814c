package engine

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// commitBundle is an engine on a real database with one published one-step workflow.
type commitBundle struct {
	e    *Engine
	db   *store.DB
	plan *workflow.Plan
	now  time.Time
}

func setupCommit(t *testing.T, db *store.DB) *commitBundle {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	expr := expression.New(clk, expression.Limits{})
	reg := actions.NewRegistry(actions.Builtin(actions.Deps{Directory: db, Expr: expr, NewID: NewID})...)
	e, err := New(Deps{DB: db, Actions: reg, Expr: expr, Clock: clk, Log: storetest.Quiet()}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	def := &workflow.Definition{ID: "wf", Name: "One step", Trigger: workflow.Trigger{Type: workflow.TriggerManual},
		Variables: []workflow.Variable{{Name: "x", Type: "number"}},
		Steps: []workflow.Step{{ID: "a", Name: "A", Type: workflow.StepAction, NextSteps: []string{},
			Configuration: map[string]any{"action": "set_variable", "parameters": map[string]any{"name": "x", "value": 1.0}}}}}
	body := store.MustJSON(def)
	now := clk.Now()
	storetest.Insert(t, db, &store.Workflow{ID: "wf", Name: "One step", Enabled: true, LatestVersion: 1,
		TriggerType: "manual", CreatedAt: now, UpdatedAt: now})
	storetest.Insert(t, db, &store.WorkflowVersion{WorkflowID: "wf", Version: 1, Definition: body, Status: "published", CreatedAt: now})
	plan, err := e.Plan(context.Background(), "wf", 1)
	if err != nil {
		t.Fatal(err)
	}
	return &commitBundle{e: e, db: db, plan: plan, now: now}
}

// started stores a new execution (without a job) and loads it as a worker would.
func (b *commitBundle) started(t *testing.T) *loaded {
	t.Helper()
	r := Start(b.plan, NewID(), map[string]any{"x": nil}, b.now)
	row, err := newExecutionRow(r, StartMeta{TriggerType: "manual"}, b.now)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.db.Executions().Insert(context.Background(), row); err != nil {
		t.Fatal(err)
	}
	ex, err := b.e.load(context.Background(), row.ID)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// stepped applies the one step's outcome in memory and returns the commit for it.
func (b *commitBundle) stepped(t *testing.T, ex *loaded) *commit {
	t.Helper()
	tr, err := Advance(b.plan, ex.run, 1, Outcome{Kind: Completed, Vars: map[string]any{"x": 1.0}, Output: map[string]any{"x": 1.0}}, b.now)
	if err != nil {
		t.Fatal(err)
	}
	return &commit{ex: ex, tr: tr, now: b.now}
}

func (b *commitBundle) status(t *testing.T, id string) (string, int64, int64) {
	t.Helper()
	row, err := b.db.Executions().ByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	logs, err := b.db.Executions().LogCount(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return row.Status, row.Revision, logs
}

func TestGroupCommitWritesFreshTransitionsAndRejectsStaleOnes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupCommit(t, db)
		fresh, stale, other := b.started(t), b.started(t), b.started(t)
		cFresh, cStale, cOther := b.stepped(t, fresh), b.stepped(t, stale), b.stepped(t, other)
		cStale.ex.row.Revision = 7 // someone else moved it on since it was read

		var results []error
		err := db.Tx(context.Background(), func(tx *store.Tx) error {
			var err error
			results, err = b.e.writeBatch(context.Background(), tx, []*commit{cFresh, cStale, cOther})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if results[0] != nil || !errors.Is(results[1], errConflict) || results[2] != nil {
			t.Fatalf("results = %v, want nil, conflict, nil", results)
		}
		for _, c := range []struct {
			id     string
			status string
			rev    int64
			logs   int64
		}{{fresh.row.ID, "completed", 2, 2}, {stale.row.ID, "running", 1, 0}, {other.row.ID, "completed", 2, 2}} {
			status, rev, logs := b.status(t, c.id)
			if status != c.status || rev != c.rev || logs != c.logs {
				t.Fatalf("execution %s: %s rev %d with %d log entries, want %s rev %d with %d", c.id, status, rev, logs, c.status, c.rev, c.logs)
			}
		}
	})
}

// failingEffect makes a transition's transaction fail.
type failingEffect struct{}

func (failingEffect) Apply(context.Context, *store.Tx) error {
	return errors.New("the disk is on fire")
}

func TestAFailingTransitionDoesNotHoldBackItsBatch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupCommit(t, db)
		cm := newCommitter(b.e, 1, 8)
		defer cm.stop()
		good, bad := b.started(t), b.started(t)
		cGood, cBad := b.stepped(t, good), b.stepped(t, bad)
		cBad.effects = []store.Effect{failingEffect{}}

		// Hold the committer's attention with both in one batch.
		pGood := &pending{c: cGood, done: make(chan error, 1)}
		pBad := &pending{c: cBad, done: make(chan error, 1)}
		cm.flush([]*pending{pBad, pGood})
		if err := <-pGood.done; err != nil {
			t.Fatalf("the good transition failed with its batch: %v", err)
		}
		if err := <-pBad.done; err == nil || errors.Is(err, errConflict) {
			t.Fatalf("the bad transition got %v, want its own error", err)
		}
		if status, rev, _ := b.status(t, good.row.ID); status != "completed" || rev != 2 || cGood.ex.row.Revision != 2 {
			t.Fatalf("good execution %s rev %d (in memory %d)", status, rev, cGood.ex.row.Revision)
		}
		if status, rev, logs := b.status(t, bad.row.ID); status != "running" || rev != 1 || logs != 0 {
			t.Fatalf("bad execution %s rev %d with %d log entries: nothing of it may be written", status, rev, logs)
		}
	})
}

func TestCommitterSubmitsConcurrentTransitions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupCommit(t, db)
		cm := newCommitter(b.e, 2, 16)
		const n = 40
		exs := make([]*loaded, n)
		for i := range exs {
			exs[i] = b.started(t)
		}
		errs := make(chan error, n)
		for _, ex := range exs {
			c := b.stepped(t, ex)
			go func() { errs <- cm.submit(context.Background(), c) }()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		cm.stop()
		for _, ex := range exs {
			if status, rev, logs := b.status(t, ex.row.ID); status != "completed" || rev != 2 || logs != 2 {
				t.Fatalf("execution %s: %s rev %d logs %d", ex.row.ID, status, rev, logs)
			}
		}
		// After stop, submit still commits, alone.
		late := b.started(t)
		if err := cm.submit(context.Background(), b.stepped(t, late)); err != nil {
			t.Fatalf("submit after stop: %v", err)
		}
		if status, _, _ := b.status(t, late.row.ID); status != "completed" {
			t.Fatalf("late execution is %s", status)
		}
	})
}

// OnCommit hears of every execution a commit changed, once per commit, alone or in a batch, and of none
// whose commit lost its revision check.
func TestOnCommitNamesTheCommittedExecutions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupCommit(t, db)
		var mu sync.Mutex
		heard := map[string]int{}
		b.e.cfg.OnCommit = func(ids []string) {
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				heard[id]++
			}
		}
		cm := newCommitter(b.e, 2, 16)
		const n = 20
		errs := make(chan error, n)
		want := map[string]int{}
		for range n {
			ex := b.started(t)
			want[ex.row.ID] = 1
			c := b.stepped(t, ex)
			go func() { errs <- cm.submit(context.Background(), c) }()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		cm.stop()
		stale := b.stepped(t, b.started(t))
		stale.ex.row.Revision = 7
		if err := b.e.commitOne(context.Background(), stale); !errors.Is(err, errConflict) {
			t.Fatalf("a stale commit: %v, want a conflict", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !maps.Equal(heard, want) {
			t.Fatalf("OnCommit heard %v, want each of the %d committed executions once", heard, n)
		}
	})
}

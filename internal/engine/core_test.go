package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

func TestCoreLinearChainRunsInOneJob(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	plan := cb.compile(t, defAction("a", "b"), defAction("b", "c"), defAction("c"))

	r := Start(plan, "run-1", startVars(), coreNow)
	if r.Status != workflow.StatusRunning || r.CurrentStep != "a" || r.WorkflowID != "wf-core" || r.Version != 3 ||
		!r.StartedAt.Equal(coreNow) || r.CompletedAt != nil {
		t.Fatalf("start: %+v", r)
	}
	if len(r.State.Branches) != 1 {
		t.Fatalf("start: %d branches, want 1", len(r.State.Branches))
	}
	first := r.State.Branches[0]
	if first.Step != "a" || first.State != BranchReady || first.Phase != PhaseEnter || first.Attempt != 1 ||
		first.Activation != 1 || !first.EnteredAt.Equal(coreNow) {
		t.Fatalf("start: branch %+v", first)
	}

	id := first.ID
	steps := []string{"a", "b", "c"}
	var log []workflow.LogEntry
	for i, step := range steps {
		now := coreNow.Add(time.Duration(i+1) * time.Minute)
		if b := r.State.Branch(id); b == nil || b.Step != step || b.State != BranchReady || b.Activation != int64(i+1) {
			t.Fatalf("before %s: branch %+v", step, b)
		}
		tr := mustAdvance(t, plan, r, id, Outcome{
			Kind: Completed, StartedAt: now.Add(-time.Second), Message: "Set x",
			Output: map[string]any{"x": float64(i + 1)}, Vars: map[string]any{"x": float64(i + 1)},
		}, now)
		wantContinue := id
		if i == len(steps)-1 {
			wantContinue = 0
		}
		if tr.Continue != wantContinue || len(tr.Ready) != 0 || tr.CancelTasks || len(tr.ReopenTasks) != 0 {
			t.Fatalf("after %s: transition %+v, want only Continue %d", step, tr, wantContinue)
		}
		wantLog(t, tr.Log, step+" started", step+" completed")
		if e := tr.Log[0]; !e.Timestamp.Equal(now.Add(-time.Second)) || e.Message != "Step started" || e.StepName != "Step "+step {
			t.Fatalf("started entry of %s: %+v", step, e)
		}
		if e := tr.Log[1]; !e.Timestamp.Equal(now) || e.Message != "Set x" || e.StepName != "Step "+step {
			t.Fatalf("completed entry of %s: %+v", step, e)
		}
		if r.CurrentStep != step {
			t.Fatalf("current step %q, want %q", r.CurrentStep, step)
		}
		if i < len(steps)-1 && r.Status != workflow.StatusRunning {
			t.Fatalf("after %s: status %s, want running", step, r.Status)
		}
		log = append(log, tr.Log...)
	}

	wantLog(t, log, "a started", "a completed", "b started", "b completed", "c started", "c completed")
	if r.Status != workflow.StatusCompleted {
		t.Fatalf("status %s, want completed", r.Status)
	}
	if r.CompletedAt == nil || !r.CompletedAt.Equal(coreNow.Add(3*time.Minute)) {
		t.Fatalf("completedAt %v, want %v", r.CompletedAt, coreNow.Add(3*time.Minute))
	}
	if len(r.State.Branches) != 0 || len(r.State.Frames) != 0 {
		t.Fatalf("state left: %+v", r.State)
	}
	for i, step := range steps {
		if got, want := r.Outputs[step], (map[string]any{"x": float64(i + 1)}); !reflect.DeepEqual(got, want) {
			t.Fatalf("output of %s: %v, want %v", step, got, want)
		}
	}
	if got, want := r.Variables, (map[string]any{"x": 3.0, "decision": nil}); !reflect.DeepEqual(got, want) {
		t.Fatalf("variables %v, want %v", got, want)
	}
	if _, err := Advance(plan, r, id, Outcome{Kind: Completed}, coreNow); !errors.Is(err, ErrNotReady) {
		t.Fatalf("advance of a completed run: %v, want ErrNotReady", err)
	}
}

func TestCoreStartWithoutVariables(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	plan := cb.compile(t, defAction("a"))
	r := Start(plan, "run-nil", nil, coreNow)
	mustAdvance(t, plan, r, r.State.Branches[0].ID, Outcome{Kind: Completed, Vars: map[string]any{"x": 1.0}}, coreNow)
	if r.Status != workflow.StatusCompleted || r.Variables["x"] != 1.0 {
		t.Fatalf("status %s, variables %v", r.Status, r.Variables)
	}
}

func TestCoreAdvanceRefuses(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	plan := cb.compile(t, defDelay("nap", 60, "after"), defAction("after"))
	tests := []struct {
		name    string
		prepare func(t *testing.T, r *Run) int // returns the branch to advance
		wantErr error
		wantMsg string
	}{
		{"unknown branch", func(t *testing.T, r *Run) int { return 99 }, ErrNotReady, ""},
		{"waiting branch", func(t *testing.T, r *Run) int {
			mustAdvance(t, plan, r, 1, Outcome{Kind: Waiting, Wait: WaitDelay, WakeAt: coreNow.Add(time.Minute)}, coreNow)
			return 1
		}, ErrNotReady, ""},
		{"cancelled run", func(t *testing.T, r *Run) int {
			if _, err := Cancel(plan, r, "ops", coreNow); err != nil {
				t.Fatalf("cancel: %v", err)
			}
			return 1
		}, ErrNotReady, ""},
		{"step not in the version", func(t *testing.T, r *Run) int {
			r.State.Branches[0].Step = "ghost"
			return 1
		}, nil, `execution run-refuse: step "ghost" is not in version 3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Start(plan, "run-refuse", startVars(), coreNow)
			id := tt.prepare(t, r)
			tr, err := Advance(plan, r, id, Outcome{Kind: Completed}, coreNow)
			if err == nil || len(tr.Log) != 0 {
				t.Fatalf("advance: %v, log %v; want an error and no log", err, logLines(tr.Log))
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Fatalf("error %q, want %q", err, tt.wantMsg)
			}
		})
	}
}

func TestCoreConditionTakesOneSideAndLeavesThePlanAlone(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	plan := cb.compile(t,
		defCondition("check", "x > 5", []string{"big"}, []string{"small"}),
		defAction("big", "after"), defAction("small", "after"), defAction("after"))
	gate := cb.compile(t, defCondition("check", "x > 5", []string{"after"}, nil), defAction("after"))
	before, gateBefore := planShape(t, plan), planShape(t, gate)

	// decide is what the shell does for a condition: evaluate it, pick the side, report it in Next.
	decide := func(t *testing.T, plan *workflow.Plan, r *Run) Outcome {
		t.Helper()
		step := plan.Step("check")
		v, err := step.Condition.Expr.Run(context.Background(), r.Variables)
		if err != nil {
			t.Fatalf("condition: %v", err)
		}
		result := v.(bool)
		next := step.Successors(result)
		if next == nil {
			next = []string{}
		}
		return Outcome{Kind: Completed, Next: next, Output: map[string]any{"result": result},
			Message: fmt.Sprintf("The condition is %t", result)}
	}

	tests := []struct {
		name string
		plan *workflow.Plan
		x    float64
		want []string
	}{
		{"true goes to trueSteps", plan, 10,
			[]string{"check started", "check completed", "big started", "big completed", "after started", "after completed"}},
		{"false goes to falseSteps", plan, 1,
			[]string{"check started", "check completed", "small started", "small completed", "after started", "after completed"}},
		{"an empty side ends the branch", gate, 1, []string{"check started", "check completed"}},
		{"the other side of the gate", gate, 6, []string{"check started", "check completed", "after started", "after completed"}},
	}
	t.Run("runs", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel() // runs of one plan at the same time: a write to the plan is a race
				for i := range 3 {
					r := Start(tt.plan, fmt.Sprintf("run-%d", i), map[string]any{"x": tt.x, "decision": nil}, coreNow)
					d := newDriver(t, tt.plan, r, map[string]func(int) Outcome{
						"check": func(int) Outcome { return decide(t, tt.plan, r) },
					}, nil)
					d.runToIdle()
					wantLog(t, d.log, tt.want...)
					if r.Status != workflow.StatusCompleted {
						t.Fatalf("status %s, want completed", r.Status)
					}
					if got, want := r.Outputs["check"], (map[string]any{"result": tt.x > 5}); !reflect.DeepEqual(got, want) {
						t.Fatalf("output of check %v, want %v", got, want)
					}
				}
			})
		}
	})

	t.Run("two runs interleaved", func(t *testing.T) {
		yes := Start(plan, "run-yes", map[string]any{"x": 10.0, "decision": nil}, coreNow)
		no := Start(plan, "run-no", map[string]any{"x": 1.0, "decision": nil}, coreNow)
		logs := map[*Run][]workflow.LogEntry{}
		for range 3 {
			for _, r := range []*Run{yes, no} {
				b := r.State.Branches[0]
				o := Outcome{Kind: Completed}
				if b.Step == "check" {
					o = decide(t, plan, r)
				}
				logs[r] = append(logs[r], mustAdvance(t, plan, r, b.ID, o, coreNow).Log...)
			}
		}
		wantLog(t, logs[yes], "check started", "check completed", "big started", "big completed", "after started", "after completed")
		wantLog(t, logs[no], "check started", "check completed", "small started", "small completed", "after started", "after completed")
	})

	if after := planShape(t, plan); after != before {
		t.Fatalf("the plan changed:\nbefore %s\nafter  %s", before, after)
	}
	if after := planShape(t, gate); after != gateBefore {
		t.Fatalf("the plan changed:\nbefore %s\nafter  %s", gateBefore, after)
	}
}

func TestCoreForkAnnouncesBranches(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	plan := cb.compile(t, defParallel("fan", []string{"a1", "b1", "c1"}, "after"),
		defAction("a1"), defAction("b1"), defAction("c1"), defAction("after"))
	r := Start(plan, "run-fork", startVars(), coreNow)
	tr := mustAdvance(t, plan, r, 1, Outcome{Kind: Forked, Message: "Started 3 branches"}, coreNow)
	wantLog(t, tr.Log, "fan started")
	if tr.Log[0].Message != "Started 3 branches" {
		t.Fatalf("message %q", tr.Log[0].Message)
	}
	if tr.Continue != 1 || !slices.Equal(tr.Ready, []int{3, 4}) {
		t.Fatalf("Continue %d, Ready %v; want 1 and [3 4]", tr.Continue, tr.Ready)
	}
	if len(r.State.Frames) != 1 {
		t.Fatalf("frames %+v, want one", r.State.Frames)
	}
	f := r.State.Frames[0]
	if f.Step != "fan" || f.Parent != 0 || f.Activation != 1 {
		t.Fatalf("frame %+v, want fan at activation 1 in no parent", f)
	}
	for _, want := range []Branch{{ID: 1, Step: "a1", Activation: 2}, {ID: 3, Step: "b1", Activation: 3}, {ID: 4, Step: "c1", Activation: 4}} {
		b := r.State.Branch(want.ID)
		if b == nil || b.Step != want.Step || b.Activation != want.Activation || b.Frame != f.ID || b.State != BranchReady || b.Phase != PhaseEnter {
			t.Fatalf("branch %d: %+v, want at %s with activation %d in frame %d", want.ID, b, want.Step, want.Activation, f.ID)
		}
	}
	if r.Status != workflow.StatusRunning {
		t.Fatalf("status %s", r.Status)
	}
}

func TestCoreParallelJoinsOnceInEveryOrder(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	plan := cb.compile(t,
		defAction("start", "fan"),
		defParallel("fan", []string{"a1", "b1", "c1"}, "after"),
		defAction("a1"),
		defAction("b1", "b2"), defAction("b2"),
		defAction("c1", "c2"), defAction("c2", "c3"), defAction("c3"),
		defAction("after"))

	check := func(t *testing.T, d *coreDriver) {
		t.Helper()
		log, r := d.log, d.run
		if r.Status != workflow.StatusCompleted || r.CompletedAt == nil {
			t.Fatalf("status %s (completedAt %v), want completed; log %s", r.Status, r.CompletedAt, strings.Join(logLines(log), ", "))
		}
		if len(r.State.Frames) != 0 || len(r.State.Branches) != 0 {
			t.Fatalf("state left: %+v", r.State)
		}
		for _, step := range []string{"start", "fan", "a1", "b1", "b2", "c1", "c2", "c3", "after"} {
			if n, m := countLog(log, step, workflow.LogStarted), countLog(log, step, workflow.LogCompleted); n != 1 || m != 1 {
				t.Fatalf("%s started %d and completed %d times, want once each; log %s", step, n, m, strings.Join(logLines(log), ", "))
			}
		}
		if len(log) != 18 {
			t.Fatalf("%d log entries, want 18: %s", len(log), strings.Join(logLines(log), ", "))
		}
		joined := indexLog(log, "fan", workflow.LogCompleted)
		for _, last := range []string{"a1", "b2", "c3"} {
			if indexLog(log, last, workflow.LogCompleted) > joined {
				t.Fatalf("fan completed before %s: %s", last, strings.Join(logLines(log), ", "))
			}
		}
		if log[joined].Message != "All 3 branches finished" || indexLog(log, "after", workflow.LogStarted) != joined+1 {
			t.Fatalf("join: %+v, then %s", log[joined], strings.Join(logLines(log[joined+1:]), ", "))
		}
		for i, s := range d.statuses {
			if want := workflow.StatusRunning; i < len(d.statuses)-1 && s != want {
				t.Fatalf("status after transition %d: %s, want %s", i+1, s, want)
			}
		}
	}

	orders := []struct {
		name   string
		choose func() chooser
	}{
		{"first announced first", func() chooser { return chooseFIFO }},
		{"last announced first", func() chooser { return chooseLIFO }},
		{"round robin", chooseRoundRobin},
		{"longest branch first", func() chooser { return chooseByStep("c1", "c2", "c3", "b1", "b2", "a1") }},
		{"shortest branch first", func() chooser { return chooseByStep("a1", "b1", "b2", "c1", "c2", "c3") }},
	}
	for seed := range uint64(10) {
		orders = append(orders, struct {
			name   string
			choose func() chooser
		}{fmt.Sprintf("random seed %d", seed), func() chooser { return chooseRandom(seed) }})
	}
	for _, o := range orders {
		for _, roundTrip := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, state through JSON %t", o.name, roundTrip), func(t *testing.T) {
				t.Parallel()
				d := newDriver(t, plan, Start(plan, "run-fan", startVars(), coreNow), nil, o.choose())
				d.roundTrip = roundTrip
				d.runToIdle()
				check(t, d)
			})
		}
	}
	t.Run("every interleaving", func(t *testing.T) {
		t.Parallel()
		n := forEachInterleaving(t, 1000, func(choose chooser) {
			d := newDriver(t, plan, Start(plan, "run-fan", startVars(), coreNow), nil, choose)
			d.runToIdle()
			check(t, d)
		})
		if n != 60 {
			t.Fatalf("%d interleavings, want 60 (6!/(1!·2!·3!))", n)
		}
	})
}

func TestCoreNestedParallelJoinsInnerThenOuter(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	tests := []struct {
		name  string
		steps []workflow.Step
		// orders lists "step action < step action": the first entry comes before the second in every order.
		orders []string
		// follows lists "step action > step action": the second entry comes right after the first.
		follows []string
		want    int
	}{
		{
			name: "inner join continues with j",
			steps: []workflow.Step{
				defAction("start", "outer"),
				defParallel("outer", []string{"x", "inner"}, "after"),
				defAction("x"),
				defParallel("inner", []string{"i1", "i2"}, "j"),
				defAction("i1"), defAction("i2", "i3"), defAction("i3"),
				defAction("j"), defAction("after"),
			},
			orders: []string{"i1 completed < inner completed", "i3 completed < inner completed", "inner completed < j started",
				"j completed < outer completed", "x completed < outer completed"},
			follows: []string{"outer completed > after started"},
			want:    18, // x anywhere among the 5 steps of the inner part (6 places) × 3 orders of i1 and i2→i3
		},
		{
			name: "inner join ends its branch",
			steps: []workflow.Step{
				defAction("start", "outer"),
				defParallel("outer", []string{"x", "inner"}, "after"),
				defAction("x"),
				defParallel("inner", []string{"i1", "i2"}),
				defAction("i1"), defAction("i2", "i3"), defAction("i3"),
				defAction("after"),
			},
			orders: []string{"i1 completed < inner completed", "i3 completed < inner completed",
				"inner completed < outer completed", "x completed < outer completed"},
			follows: []string{"outer completed > after started"},
			want:    15, // x anywhere among 4 steps (5 places) × 3 orders
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plan := cb.compile(t, tt.steps...)
			n := forEachInterleaving(t, 1000, func(choose chooser) {
				d := newDriver(t, plan, Start(plan, "run-nest", startVars(), coreNow), nil, choose)
				d.runToIdle()
				log, r := d.log, d.run
				all := strings.Join(logLines(log), ", ")
				if r.Status != workflow.StatusCompleted || len(r.State.Frames) != 0 || len(r.State.Branches) != 0 {
					t.Fatalf("status %s, state %+v; log %s", r.Status, r.State, all)
				}
				for _, s := range tt.steps {
					if n, m := countLog(log, s.ID, workflow.LogStarted), countLog(log, s.ID, workflow.LogCompleted); n != 1 || m != 1 {
						t.Fatalf("%s started %d and completed %d times, want once each; log %s", s.ID, n, m, all)
					}
				}
				for _, o := range tt.orders {
					first, second, _ := strings.Cut(o, " < ")
					if slices.Index(logLines(log), first) > slices.Index(logLines(log), second) {
						t.Fatalf("want %s; log %s", o, all)
					}
				}
				for _, o := range tt.follows {
					first, second, _ := strings.Cut(o, " > ")
					if slices.Index(logLines(log), first)+1 != slices.Index(logLines(log), second) {
						t.Fatalf("want %s right after; log %s", o, all)
					}
				}
				for _, p := range []string{"inner", "outer"} {
					if e := log[indexLog(log, p, workflow.LogCompleted)]; e.Message != "All 2 branches finished" {
						t.Fatalf("%s completed with %q", p, e.Message)
					}
				}
			})
			if n != tt.want {
				t.Fatalf("%d interleavings, want %d", n, tt.want)
			}
		})
	}
}

func TestCoreSeveralNextStepsRunConcurrently(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	plan := cb.compile(t, defAction("a", "b", "c", "d"), defAction("b"), defAction("c", "e"), defAction("d"), defAction("e"))

	t.Run("branches", func(t *testing.T) {
		t.Parallel()
		r := Start(plan, "run-multi", startVars(), coreNow)
		tr := mustAdvance(t, plan, r, 1, Outcome{Kind: Completed}, coreNow)
		if tr.Continue != 1 || !slices.Equal(tr.Ready, []int{2, 3}) {
			t.Fatalf("Continue %d, Ready %v; want 1 and [2 3]", tr.Continue, tr.Ready)
		}
		for id, step := range map[int]string{1: "b", 2: "c", 3: "d"} {
			if b := r.State.Branch(id); b == nil || b.Step != step || b.State != BranchReady || b.Frame != 0 {
				t.Fatalf("branch %d: %+v, want ready at %s outside any frame", id, b, step)
			}
		}
		if len(r.State.Frames) != 0 {
			t.Fatalf("frames %+v, want none: several nextSteps are not a parallel step", r.State.Frames)
		}
	})

	t.Run("every interleaving", func(t *testing.T) {
		t.Parallel()
		n := forEachInterleaving(t, 1000, func(choose chooser) {
			d := newDriver(t, plan, Start(plan, "run-multi", startVars(), coreNow), nil, choose)
			d.runToIdle()
			for _, step := range []string{"a", "b", "c", "d", "e"} {
				if n := countLog(d.log, step, workflow.LogCompleted); n != 1 {
					t.Fatalf("%s completed %d times", step, n)
				}
			}
			if len(d.log) != 10 || len(d.statuses) != 5 {
				t.Fatalf("%d log entries and %d transitions, want 10 and 5", len(d.log), len(d.statuses))
			}
			for i, s := range d.statuses {
				want := workflow.StatusRunning
				if i == len(d.statuses)-1 {
					want = workflow.StatusCompleted
				}
				if s != want {
					t.Fatalf("status after transition %d: %s, want %s; log %s", i+1, s, want, strings.Join(logLines(d.log), ", "))
				}
			}
		})
		if n != 12 {
			t.Fatalf("%d interleavings, want 12 (4!/2!)", n)
		}
	})
}

func TestCoreFailureFailsTheRunAndHaltsTheRest(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	tests := []struct {
		name       string
		eh         *workflow.ErrorHandling
		err        error
		wantReason string
		wantData   map[string]any
	}{
		{"no errorHandling", nil, errTransient(), "503 Service Unavailable",
			map[string]any{"error": "503 Service Unavailable", "class": workflow.ClassHTTP5xx}},
		{"onError fail", &workflow.ErrorHandling{OnError: workflow.OnErrorFail}, errTransient(), "503 Service Unavailable",
			map[string]any{"error": "503 Service Unavailable", "class": workflow.ClassHTTP5xx}},
		{"onError retry with a permanent error", &workflow.ErrorHandling{OnError: workflow.OnErrorRetry, RetryCount: 3, RetryDelay: 10},
			errPermanent(), "no such lead (not retried: retrying cannot fix this)",
			map[string]any{"error": "no such lead", "class": workflow.ClassValidation}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bad := defAction("bad")
			bad.ErrorHandling = tt.eh
			plan := cb.compile(t, defAction("start", "fan"),
				defParallel("fan", []string{"ok1", "bad", "nap", "ask"}, "after"),
				defAction("ok1", "ok2"), defAction("ok2"), bad, defDelay("nap", 60), defTask("ask"), defAction("after"))

			r := Start(plan, "run-fail", startVars(), coreNow)
			mustAdvance(t, plan, r, 1, Outcome{Kind: Completed}, coreNow)
			mustAdvance(t, plan, r, 1, Outcome{Kind: Forked}, coreNow) // 1 → ok1, 3 → bad, 4 → nap, 5 → ask
			mustAdvance(t, plan, r, 1, Outcome{Kind: Completed}, coreNow)
			wake := coreNow.Add(time.Minute)
			mustAdvance(t, plan, r, 4, Outcome{Kind: Waiting, Wait: WaitDelay, WakeAt: wake}, coreNow)
			mustAdvance(t, plan, r, 5, Outcome{Kind: Waiting, Wait: WaitTask, TaskID: "t-ask"}, coreNow)

			failAt := coreNow.Add(10 * time.Second)
			tr := mustAdvance(t, plan, r, 3, Outcome{Kind: Failed, Err: tt.err}, failAt)
			wantLog(t, tr.Log, "bad started", "bad failed", "ok2 skipped", "nap skipped", "ask skipped")
			if e := tr.Log[1]; e.Message != tt.wantReason || !reflect.DeepEqual(e.Data, tt.wantData) {
				t.Fatalf("failed entry %+v, want message %q and data %v", e, tt.wantReason, tt.wantData)
			}
			for _, e := range tr.Log[2:] {
				if e.Message != "Stopped because step bad failed" {
					t.Fatalf("skipped entry %+v", e)
				}
			}
			if !tr.CancelTasks || tr.Continue != 0 || len(tr.Ready) != 0 {
				t.Fatalf("transition %+v, want CancelTasks and nothing ready", tr)
			}
			wantErr := `Step "Step bad" (bad) failed: ` + tt.wantReason
			if r.Status != workflow.StatusFailed || r.Error != wantErr || r.FailedStep != "bad" ||
				r.CompletedAt == nil || !r.CompletedAt.Equal(failAt) {
				t.Fatalf("run: status %s, error %q, failed step %q, completedAt %v; want failed, %q, bad, %v",
					r.Status, r.Error, r.FailedStep, r.CompletedAt, wantErr, failAt)
			}
			for id, want := range map[int]BranchState{1: BranchHalted, 3: BranchFailed, 4: BranchHalted, 5: BranchHalted} {
				if b := r.State.Branch(id); b == nil || b.State != want {
					t.Fatalf("branch %d: %+v, want %s", id, b, want)
				}
			}
			if ready := readyIDs(r); len(ready) != 0 {
				t.Fatalf("ready branches %v after the failure", ready)
			}

			for _, id := range []int{1, 3, 4} {
				if _, err := Advance(plan, r, id, Outcome{Kind: Completed}, failAt); !errors.Is(err, ErrNotReady) {
					t.Fatalf("advance branch %d of a failed run: %v, want ErrNotReady", id, err)
				}
			}
			if tr := FireTimers(plan, r, wake.Add(time.Hour)); len(tr.Ready) != 0 || len(tr.Log) != 0 || r.State.Branch(4).State != BranchHalted {
				t.Fatalf("timers of a failed run fired: %+v", tr)
			}
			if _, err := Wake(plan, r, "ops", failAt); !errors.Is(err, ErrFinished) {
				t.Fatalf("wake: %v, want ErrFinished", err)
			}
			if _, err := CompleteTask(plan, r, "t-ask", nil, "rep", failAt); !errors.Is(err, ErrTaskClosed) {
				t.Fatalf("complete task: %v, want ErrTaskClosed", err)
			}
			if _, err := Cancel(plan, r, "ops", failAt); !errors.Is(err, ErrFinished) {
				t.Fatalf("cancel: %v, want ErrFinished", err)
			}
			if r.Status != workflow.StatusFailed {
				t.Fatalf("status %s after refused operations", r.Status)
			}
		})
	}
}

func TestCoreRetryWaitsAndCountsAttempts(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	retry := func(backoff string) workflow.ErrorHandling {
		return workflow.ErrorHandling{OnError: workflow.OnErrorRetry, RetryCount: 3, RetryDelay: 10, Backoff: backoff}
	}
	tests := []struct {
		name       string
		eh         workflow.ErrorHandling
		attempts   []error // nil succeeds
		wantWaits  []time.Duration
		wantStatus workflow.ExecutionStatus
		wantError  string
	}{
		{"fixed delay, third attempt succeeds", retry(""), []error{errTransient(), errTransient(), nil},
			[]time.Duration{10 * time.Second, 10 * time.Second}, workflow.StatusCompleted, ""},
		{"exponential backoff doubles", retry("exponential"), []error{errTransient(), errTransient(), errTransient(), nil},
			[]time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second}, workflow.StatusCompleted, ""},
		{"retries exhausted", retry("fixed"), []error{errTransient(), errTransient(), errTransient(), errTransient()},
			[]time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second}, workflow.StatusFailed,
			`Step "Step flaky" (flaky) failed: 503 Service Unavailable (after 4 attempts)`},
		{"a permanent error is not retried", retry(""), []error{errPermanent()}, nil, workflow.StatusFailed,
			`Step "Step flaky" (flaky) failed: no such lead (not retried: retrying cannot fix this)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plan := cb.compile(t, withErrors(defAction("flaky", "done"), tt.eh), defAction("done"))
			r := Start(plan, "run-retry", startVars(), coreNow)
			id, activation := r.State.Branches[0].ID, r.State.Branches[0].Activation
			now := coreNow
			var waits []time.Duration
			var log []workflow.LogEntry
			for i, err := range tt.attempts {
				attempt := i + 1
				if b := r.State.Branch(id); b == nil || b.Step != "flaky" || b.State != BranchReady || b.Phase != PhaseEnter ||
					b.Attempt != attempt || b.Activation != activation {
					t.Fatalf("before attempt %d: branch %+v", attempt, b)
				}
				o := Outcome{Kind: Completed}
				if err != nil {
					o = Outcome{Kind: Failed, Err: err}
				}
				tr := mustAdvance(t, plan, r, id, o, now)
				log = append(log, tr.Log...)
				wantStart := "Step started"
				if attempt > 1 {
					wantStart = fmt.Sprintf("Attempt %d started", attempt)
				}
				if tr.Log[0].Message != wantStart {
					t.Fatalf("attempt %d started with %q, want %q", attempt, tr.Log[0].Message, wantStart)
				}
				if err == nil {
					wantLog(t, tr.Log, "flaky started", "flaky completed")
					break
				}
				wantLog(t, tr.Log, "flaky started", "flaky failed")
				if r.Status != workflow.StatusRunning {
					break
				}
				b := r.State.Branch(id)
				if b.State != BranchWaiting || b.Wait != WaitRetry || b.WakeAt == nil || b.Phase != PhaseEnter ||
					b.Attempt != attempt+1 || b.Activation != activation || tr.Continue != 0 || len(tr.Ready) != 0 {
					t.Fatalf("after failed attempt %d: branch %+v, transition %+v", attempt, b, tr)
				}
				wake := *b.WakeAt
				waits = append(waits, wake.Sub(now))
				wantMsg := fmt.Sprintf("Attempt %d of 4 failed: 503 Service Unavailable. Retrying in %s.", attempt, wake.Sub(now))
				if tr.Log[1].Message != wantMsg {
					t.Fatalf("failed entry %q, want %q", tr.Log[1].Message, wantMsg)
				}
				if at := r.State.WaitingUntil(); at == nil || !at.Equal(wake) {
					t.Fatalf("waiting until %v, want %v", at, wake)
				}
				if tr := FireTimers(plan, r, wake.Add(-time.Nanosecond)); len(tr.Ready) != 0 || r.State.Branch(id).State != BranchWaiting {
					t.Fatalf("timer fired early: %+v", tr)
				}
				if tr := FireTimers(plan, r, wake); !slices.Equal(tr.Ready, []int{id}) || len(tr.Log) != 0 {
					t.Fatalf("timer at its time: %+v, want branch %d ready", tr, id)
				}
				if b := r.State.Branch(id); b.State != BranchReady || b.WakeAt != nil || b.Wait != "" {
					t.Fatalf("after the timer: branch %+v", b)
				}
				now = wake.Add(3 * time.Second) // the job runs a moment after the timer
			}
			if !slices.Equal(waits, tt.wantWaits) {
				t.Fatalf("waits %v, want %v", waits, tt.wantWaits)
			}
			if n := countLog(log, "flaky", workflow.LogStarted); n != len(tt.attempts) {
				t.Fatalf("%d attempts started, want %d", n, len(tt.attempts))
			}
			if tt.wantStatus == workflow.StatusCompleted {
				mustAdvance(t, plan, r, id, Outcome{Kind: Completed}, now)
			}
			if r.Status != tt.wantStatus || r.Error != tt.wantError {
				t.Fatalf("status %s, error %q; want %s, %q", r.Status, r.Error, tt.wantStatus, tt.wantError)
			}
		})
	}
}

func TestCoreContinueOnErrorSkipsTheStep(t *testing.T) {
	t.Parallel()
	cont := workflow.ErrorHandling{OnError: workflow.OnErrorContinue}
	cb := setupCore(t)
	tests := []struct {
		name  string
		steps []workflow.Step
		err   error
		want  []string
	}{
		{"transient error", []workflow.Step{defAction("a", "risky"), withErrors(defAction("risky", "b"), cont), defAction("b")},
			errTransient(), []string{"a started", "a completed", "risky started", "risky skipped", "b started", "b completed"}},
		{"permanent error", []workflow.Step{defAction("a", "risky"), withErrors(defAction("risky", "b"), cont), defAction("b")},
			errPermanent(), []string{"a started", "a completed", "risky started", "risky skipped", "b started", "b completed"}},
		{"at the end of a parallel branch", []workflow.Step{defParallel("a", []string{"risky", "b"}, "after"),
			withErrors(defAction("risky"), cont), defAction("b"), defAction("after")},
			errTransient(), []string{"a started", "risky started", "risky skipped", "b started", "b completed",
				"a completed", "after started", "after completed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plan := cb.compile(t, tt.steps...)
			r := Start(plan, "run-continue", startVars(), coreNow)
			d := newDriver(t, plan, r, map[string]func(int) Outcome{"risky": failWith(tt.err)}, chooseLIFO)
			d.runToIdle()
			wantLog(t, d.log, tt.want...)
			skipped := d.log[indexLog(d.log, "risky", workflow.LogSkipped)]
			if want := "Failed: " + tt.err.Error() + ". Continuing, as this step is set to do."; skipped.Message != want {
				t.Fatalf("skipped entry %q, want %q", skipped.Message, want)
			}
			if got, want := r.Outputs["risky"], (map[string]any{"error": tt.err.Error(), "skipped": true}); !reflect.DeepEqual(got, want) {
				t.Fatalf("output %v, want %v", got, want)
			}
			if r.Status != workflow.StatusCompleted || r.Error != "" || r.FailedStep != "" {
				t.Fatalf("status %s, error %q, failed step %q", r.Status, r.Error, r.FailedStep)
			}
		})
	}
}

func TestCoreDelayWaitsForItsTime(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	plan := cb.compile(t, defDelay("nap", 3600, "after"), defAction("after"))
	wake := coreNow.Add(time.Hour)
	waitOn := func(t *testing.T) *Run {
		t.Helper()
		r := Start(plan, "run-delay", startVars(), coreNow)
		tr := mustAdvance(t, plan, r, 1, Outcome{Kind: Waiting, Wait: WaitDelay, WakeAt: wake, Message: "Waiting 1 hour"}, coreNow)
		wantLog(t, tr.Log, "nap started")
		if tr.Log[0].Message != "Waiting 1 hour" || tr.Continue != 0 || len(tr.Ready) != 0 {
			t.Fatalf("transition %+v", tr)
		}
		b := r.State.Branch(1)
		if b.State != BranchWaiting || b.Wait != WaitDelay || b.Phase != PhaseResume || b.WakeAt == nil || !b.WakeAt.Equal(wake) {
			t.Fatalf("branch %+v", b)
		}
		if at := r.State.WaitingUntil(); r.Status != workflow.StatusRunning || at == nil || !at.Equal(wake) {
			t.Fatalf("status %s, waiting until %v; want running until %v", r.Status, at, wake)
		}
		return r
	}

	t.Run("fires at its time", func(t *testing.T) {
		t.Parallel()
		r := waitOn(t)
		if tr := FireTimers(plan, r, wake.Add(-time.Minute)); len(tr.Ready) != 0 || r.State.Branch(1).State != BranchWaiting {
			t.Fatalf("fired early: %+v", tr)
		}
		late := wake.Add(time.Second)
		if tr := FireTimers(plan, r, late); !slices.Equal(tr.Ready, []int{1}) {
			t.Fatalf("Ready %v, want [1]", tr.Ready)
		}
		if b := r.State.Branch(1); b.State != BranchReady || b.Phase != PhaseResume || b.WakeAt != nil || r.State.WaitingUntil() != nil {
			t.Fatalf("branch %+v", b)
		}
		if tr := FireTimers(plan, r, late); len(tr.Ready) != 0 {
			t.Fatalf("fired twice: %+v", tr)
		}
		tr := mustAdvance(t, plan, r, 1, Outcome{Kind: Completed, Message: "Waited"}, late)
		wantLog(t, tr.Log, "nap completed")
		if tr.Continue != 1 || tr.Log[0].Message != "Waited" || r.State.Branch(1).Step != "after" {
			t.Fatalf("transition %+v, branch %+v", tr, r.State.Branch(1))
		}
		mustAdvance(t, plan, r, 1, Outcome{Kind: Completed}, late)
		if r.Status != workflow.StatusCompleted {
			t.Fatalf("status %s", r.Status)
		}
	})

	t.Run("woken early", func(t *testing.T) {
		t.Parallel()
		r := waitOn(t)
		early := coreNow.Add(5 * time.Minute)
		tr, err := Wake(plan, r, "ops@example.com", early)
		if err != nil || !slices.Equal(tr.Ready, []int{1}) || len(tr.Log) != 0 {
			t.Fatalf("wake: %+v, %v", tr, err)
		}
		if b := r.State.Branch(1); b.State != BranchReady || b.Phase != PhaseResume || r.State.WaitingUntil() != nil || r.Status != workflow.StatusRunning {
			t.Fatalf("branch %+v, status %s", b, r.Status)
		}
		tr = mustAdvance(t, plan, r, 1, Outcome{Kind: Completed, Message: "Waited"}, early)
		wantLog(t, tr.Log, "nap completed")
		if tr.Log[0].Message != "Waited (woken early by ops@example.com)" {
			t.Fatalf("message %q", tr.Log[0].Message)
		}
		tr = mustAdvance(t, plan, r, 1, Outcome{Kind: Completed}, early)
		if tr.Log[0].Message != "Step started" {
			t.Fatalf("the note leaked into the next step: %q", tr.Log[0].Message)
		}
	})

	t.Run("woken during a retry backoff", func(t *testing.T) {
		t.Parallel()
		plan := cb.compile(t, withErrors(defAction("flaky"), workflow.ErrorHandling{OnError: workflow.OnErrorRetry, RetryCount: 2, RetryDelay: 600}))
		r := Start(plan, "run-wake-retry", startVars(), coreNow)
		mustAdvance(t, plan, r, 1, Outcome{Kind: Failed, Err: errTransient()}, coreNow)
		if _, err := Wake(plan, r, "ops@example.com", coreNow.Add(time.Minute)); err != nil {
			t.Fatalf("wake: %v", err)
		}
		if b := r.State.Branch(1); b.State != BranchReady || b.Phase != PhaseEnter || b.Attempt != 2 {
			t.Fatalf("branch %+v", b)
		}
		tr := mustAdvance(t, plan, r, 1, Outcome{Kind: Completed, Message: "Set x"}, coreNow.Add(time.Minute))
		wantLog(t, tr.Log, "flaky started", "flaky completed")
		if tr.Log[0].Message != "Attempt 2 started (woken early by ops@example.com)" || tr.Log[1].Message != "Set x" {
			t.Fatalf("messages %q, %q: the note belongs to the next entry only", tr.Log[0].Message, tr.Log[1].Message)
		}
	})

	t.Run("nothing to wake", func(t *testing.T) {
		t.Parallel()
		tasks := cb.compile(t, defTask("ask"))
		tests := []struct {
			name    string
			plan    *workflow.Plan
			prepare func(r *Run)
			wantErr error
		}{
			{"a ready branch", plan, func(r *Run) {}, ErrNothingToWake},
			{"a task", tasks, func(r *Run) {
				mustAdvance(t, tasks, r, 1, Outcome{Kind: Waiting, Wait: WaitTask, TaskID: "t1"}, coreNow)
			}, ErrNothingToWake},
			{"a completed run", tasks, func(r *Run) {
				mustAdvance(t, tasks, r, 1, Outcome{Kind: Waiting, Wait: WaitTask, TaskID: "t1"}, coreNow)
				if _, err := CompleteTask(tasks, r, "t1", nil, "rep", coreNow); err != nil {
					t.Fatalf("complete: %v", err)
				}
			}, ErrFinished},
		}
		for _, tt := range tests {
			r := Start(tt.plan, "run-wake", startVars(), coreNow)
			tt.prepare(r)
			status, state := r.Status, fmt.Sprintf("%+v", r.State)
			if _, err := Wake(tt.plan, r, "ops", coreNow); !errors.Is(err, tt.wantErr) {
				t.Fatalf("%s: wake: %v, want %v", tt.name, err, tt.wantErr)
			}
			if r.Status != status || fmt.Sprintf("%+v", r.State) != state {
				t.Fatalf("%s: a refused wake changed the run", tt.name)
			}
		}
	})
}

func TestCoreHumanTask(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)

	t.Run("pauses and resumes", func(t *testing.T) {
		t.Parallel()
		plan := cb.compile(t, defTask("ask", "after"), defAction("after"))
		r := Start(plan, "run-task", startVars(), coreNow)
		tr := mustAdvance(t, plan, r, 1, Outcome{Kind: Waiting, Wait: WaitTask, TaskID: "t1", Message: "Waiting for rep@example.com"}, coreNow)
		wantLog(t, tr.Log, "ask started")
		if tr.Continue != 0 || len(tr.Ready) != 0 {
			t.Fatalf("transition %+v", tr)
		}
		b := r.State.Branch(1)
		if r.Status != workflow.StatusPaused || b.State != BranchWaiting || b.Wait != WaitTask || b.TaskID != "t1" ||
			b.Phase != PhaseResume || b.WakeAt != nil || r.State.WaitingUntil() != nil {
			t.Fatalf("status %s, branch %+v", r.Status, b)
		}

		values := map[string]any{"decision": "call back"}
		done := coreNow.Add(2 * time.Hour)
		tr, err := CompleteTask(plan, r, "t1", values, "rep@example.com", done)
		if err != nil {
			t.Fatalf("complete: %v", err)
		}
		if tr.Continue != 0 || !slices.Equal(tr.Ready, []int{1}) {
			t.Fatalf("Continue %d, Ready %v; want the resumed branch in Ready", tr.Continue, tr.Ready)
		}
		wantLog(t, tr.Log, "ask completed")
		e := tr.Log[0]
		if e.Message != "Completed by rep@example.com" || !e.Timestamp.Equal(done) ||
			!reflect.DeepEqual(e.Data, map[string]any{"completedBy": "rep@example.com", "values": values}) {
			t.Fatalf("completed entry %+v", e)
		}
		if got, want := r.Variables, (map[string]any{"x": nil, "decision": "call back"}); !reflect.DeepEqual(got, want) {
			t.Fatalf("variables %v, want %v", got, want)
		}
		if !reflect.DeepEqual(r.Outputs["ask"], values) {
			t.Fatalf("output %v", r.Outputs["ask"])
		}
		if b := r.State.Branch(1); r.Status != workflow.StatusRunning || b.Step != "after" || b.State != BranchReady ||
			b.Phase != PhaseEnter || b.TaskID != "" {
			t.Fatalf("status %s, branch %+v", r.Status, b)
		}
		for _, task := range []string{"t1", "t-unknown"} {
			if _, err := CompleteTask(plan, r, task, values, "rep@example.com", done); !errors.Is(err, ErrTaskClosed) {
				t.Fatalf("complete %s again: %v, want ErrTaskClosed", task, err)
			}
		}
		mustAdvance(t, plan, r, 1, Outcome{Kind: Completed}, done)
		if r.Status != workflow.StatusCompleted {
			t.Fatalf("status %s", r.Status)
		}
	})

	t.Run("paused only when nothing else runs", func(t *testing.T) {
		t.Parallel()
		plan := cb.compile(t, defAction("start", "ask", "work1"), defTask("ask"), defAction("work1", "work2"), defAction("work2"))
		r := Start(plan, "run-task-side", startVars(), coreNow) // after start: 1 → ask, 2 → work1
		steps := []struct {
			do   func() Transition
			want workflow.ExecutionStatus
		}{
			{func() Transition { return mustAdvance(t, plan, r, 1, Outcome{Kind: Completed}, coreNow) }, workflow.StatusRunning},
			{func() Transition {
				return mustAdvance(t, plan, r, 1, Outcome{Kind: Waiting, Wait: WaitTask, TaskID: "t1"}, coreNow)
			}, workflow.StatusRunning},
			{func() Transition { return mustAdvance(t, plan, r, 2, Outcome{Kind: Completed}, coreNow) }, workflow.StatusRunning},
			{func() Transition { return mustAdvance(t, plan, r, 2, Outcome{Kind: Completed}, coreNow) }, workflow.StatusPaused},
			{func() Transition {
				tr, err := CompleteTask(plan, r, "t1", map[string]any{"decision": "yes"}, "rep@example.com", coreNow)
				if err != nil {
					t.Fatalf("complete: %v", err)
				}
				return tr
			}, workflow.StatusCompleted},
		}
		for i, s := range steps {
			s.do()
			if r.Status != s.want {
				t.Fatalf("after move %d: status %s, want %s", i+1, r.Status, s.want)
			}
		}
		if r.CompletedAt == nil || len(r.State.Branches) != 0 {
			t.Fatalf("completedAt %v, branches %+v", r.CompletedAt, r.State.Branches)
		}
	})
}

func TestCoreCancel(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	tests := []struct {
		name     string
		steps    []workflow.Step
		prepare  func(t *testing.T, plan *workflow.Plan, r *Run)
		wantFrom workflow.ExecutionStatus
		wantLog  []string
	}{
		{"running", []workflow.Step{defAction("start", "nap", "work"), defDelay("nap", 60), defAction("work")},
			func(t *testing.T, plan *workflow.Plan, r *Run) {
				mustAdvance(t, plan, r, 1, Outcome{Kind: Completed}, coreNow)
				mustAdvance(t, plan, r, 1, Outcome{Kind: Waiting, Wait: WaitDelay, WakeAt: coreNow.Add(time.Minute)}, coreNow)
			}, workflow.StatusRunning, []string{"nap skipped", "work skipped"}},
		{"paused", []workflow.Step{defTask("ask")},
			func(t *testing.T, plan *workflow.Plan, r *Run) {
				mustAdvance(t, plan, r, 1, Outcome{Kind: Waiting, Wait: WaitTask, TaskID: "t1"}, coreNow)
			}, workflow.StatusPaused, []string{"ask skipped"}},
		{"inside a parallel", []workflow.Step{defParallel("fan", []string{"a1", "b1"}), defAction("a1"), defAction("b1", "b2"), defAction("b2")},
			func(t *testing.T, plan *workflow.Plan, r *Run) {
				mustAdvance(t, plan, r, 1, Outcome{Kind: Forked}, coreNow)
				mustAdvance(t, plan, r, 1, Outcome{Kind: Completed}, coreNow)
				mustAdvance(t, plan, r, 3, Outcome{Kind: Completed}, coreNow)
				if len(r.State.Frames) != 1 {
					t.Fatalf("frames %+v, want one open", r.State.Frames)
				}
			}, workflow.StatusRunning, []string{"b2 skipped"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plan := cb.compile(t, tt.steps...)
			r := Start(plan, "run-cancel", startVars(), coreNow)
			tt.prepare(t, plan, r)
			if r.Status != tt.wantFrom {
				t.Fatalf("status before cancel %s, want %s", r.Status, tt.wantFrom)
			}
			at := coreNow.Add(time.Hour)
			tr, err := Cancel(plan, r, "ops@example.com", at)
			if err != nil {
				t.Fatalf("cancel: %v", err)
			}
			wantLog(t, tr.Log, tt.wantLog...)
			for _, e := range tr.Log {
				if e.Message != "Cancelled by ops@example.com" || !e.Timestamp.Equal(at) {
					t.Fatalf("entry %+v", e)
				}
			}
			if !tr.CancelTasks || tr.Continue != 0 || len(tr.Ready) != 0 {
				t.Fatalf("transition %+v", tr)
			}
			if r.Status != workflow.StatusCancelled || r.CompletedAt == nil || !r.CompletedAt.Equal(at) ||
				len(r.State.Branches) != 0 || len(r.State.Frames) != 0 {
				t.Fatalf("run: status %s, completedAt %v, state %+v", r.Status, r.CompletedAt, r.State)
			}
			if _, err := Cancel(plan, r, "ops", at); !errors.Is(err, ErrFinished) {
				t.Fatalf("cancel twice: %v, want ErrFinished", err)
			}
			if _, err := Advance(plan, r, 1, Outcome{Kind: Completed}, at); !errors.Is(err, ErrNotReady) {
				t.Fatalf("advance after cancel: %v, want ErrNotReady", err)
			}
			if _, err := CompleteTask(plan, r, "t1", nil, "rep", at); !errors.Is(err, ErrTaskClosed) {
				t.Fatalf("complete task after cancel: %v, want ErrTaskClosed", err)
			}
		})
	}

	t.Run("finished runs", func(t *testing.T) {
		t.Parallel()
		plan := cb.compile(t, defAction("a"))
		for _, o := range []Outcome{{Kind: Completed}, {Kind: Failed, Err: errTransient()}} {
			r := Start(plan, "run-done", startVars(), coreNow)
			mustAdvance(t, plan, r, 1, o, coreNow)
			status := r.Status
			if _, err := Cancel(plan, r, "ops", coreNow); !errors.Is(err, ErrFinished) || r.Status != status {
				t.Fatalf("cancel a %s run: %v (status now %s), want ErrFinished", status, err, r.Status)
			}
		}
	})
}

func TestCoreRetryOfAFailedRun(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)

	t.Run("resumes every branch", func(t *testing.T) {
		t.Parallel()
		plan := cb.compile(t, defAction("start", "fan"),
			defParallel("fan", []string{"bad", "nap", "ask", "r1"}, "after"),
			defAction("bad"), defDelay("nap", 600, "nap2"), defAction("nap2"),
			defTask("ask", "ask2"), defAction("ask2"), defAction("r1", "r2"), defAction("r2"), defAction("after"))
		r := Start(plan, "run-again", startVars(), coreNow)
		mustAdvance(t, plan, r, 1, Outcome{Kind: Completed}, coreNow)
		mustAdvance(t, plan, r, 1, Outcome{Kind: Forked}, coreNow) // 1 → bad, 3 → nap, 4 → ask, 5 → r1
		napWake := coreNow.Add(10 * time.Minute)
		mustAdvance(t, plan, r, 3, Outcome{Kind: Waiting, Wait: WaitDelay, WakeAt: napWake}, coreNow)
		mustAdvance(t, plan, r, 4, Outcome{Kind: Waiting, Wait: WaitTask, TaskID: "t-ask"}, coreNow)
		mustAdvance(t, plan, r, 5, Outcome{Kind: Completed}, coreNow)
		bad := *r.State.Branch(1)
		key := IdempotencyKey(r.ID, "bad", bad.Activation)
		failAt := coreNow.Add(time.Minute)
		mustAdvance(t, plan, r, 1, Outcome{Kind: Failed, Err: errPermanent()}, failAt)
		if r.Status != workflow.StatusFailed {
			t.Fatalf("status %s, want failed", r.Status)
		}

		retryAt := coreNow.Add(time.Hour) // after nap's wake time: its timer is due at once
		tr, err := Retry(plan, r, "ops@example.com", retryAt)
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		if !slices.Equal(tr.Ready, []int{1, 5}) || !slices.Equal(tr.ReopenTasks, []string{"t-ask"}) ||
			tr.Continue != 0 || tr.CancelTasks || len(tr.Log) != 0 {
			t.Fatalf("transition %+v, want Ready [1 5] and ReopenTasks [t-ask]", tr)
		}
		if r.Status != workflow.StatusRunning || r.Error != "" || r.FailedStep != "" || r.CompletedAt != nil {
			t.Fatalf("run: status %s, error %q, failed step %q, completedAt %v", r.Status, r.Error, r.FailedStep, r.CompletedAt)
		}
		b := r.State.Branch(1)
		if b.Step != "bad" || b.State != BranchReady || b.Phase != PhaseEnter || b.Attempt != 1 || b.Activation != bad.Activation ||
			IdempotencyKey(r.ID, b.Step, b.Activation) != key {
			t.Fatalf("failed branch after retry %+v, want ready at bad with activation %d", b, bad.Activation)
		}
		if b := r.State.Branch(3); b.State != BranchWaiting || b.Wait != WaitDelay || b.WakeAt == nil || !b.WakeAt.Equal(napWake) {
			t.Fatalf("delay branch after retry %+v, want waiting until %v", b, napWake)
		}
		if b := r.State.Branch(4); b.State != BranchWaiting || b.Wait != WaitTask || b.TaskID != "t-ask" {
			t.Fatalf("task branch after retry %+v", b)
		}
		if b := r.State.Branch(5); b.Step != "r2" || b.State != BranchReady {
			t.Fatalf("ready branch after retry %+v", b)
		}

		d := newDriver(t, plan, r, nil, chooseFIFO)
		d.now, d.fireTimers = retryAt, true
		d.runToIdle()
		wantLog(t, d.log, "bad started", "bad completed", "r2 started", "r2 completed", "nap completed", "nap2 started", "nap2 completed")
		if d.log[0].Message != "Step started (retry requested by ops@example.com)" || d.log[1].Message != "" {
			t.Fatalf("messages %q, %q", d.log[0].Message, d.log[1].Message)
		}
		if r.Status != workflow.StatusPaused {
			t.Fatalf("status %s, want paused on the reopened task", r.Status)
		}
		d.completeTask("t-ask", map[string]any{"decision": "go"}, "rep@example.com")
		d.runToIdle()
		if r.Status != workflow.StatusCompleted || countLog(d.log, "fan", workflow.LogCompleted) != 1 ||
			countLog(d.log, "after", workflow.LogCompleted) != 1 {
			t.Fatalf("status %s; log %s", r.Status, strings.Join(logLines(d.log), ", "))
		}
	})

	t.Run("restores the retry budget", func(t *testing.T) {
		t.Parallel()
		plan := cb.compile(t, withErrors(defAction("flaky"), workflow.ErrorHandling{OnError: workflow.OnErrorRetry, RetryCount: 1, RetryDelay: 5}))
		r := Start(plan, "run-budget", startVars(), coreNow)
		mustAdvance(t, plan, r, 1, Outcome{Kind: Failed, Err: errTransient()}, coreNow)
		FireTimers(plan, r, coreNow.Add(5*time.Second))
		mustAdvance(t, plan, r, 1, Outcome{Kind: Failed, Err: errTransient()}, coreNow.Add(5*time.Second))
		if r.Status != workflow.StatusFailed || !strings.HasSuffix(r.Error, "(after 2 attempts)") {
			t.Fatalf("status %s, error %q", r.Status, r.Error)
		}
		if _, err := Retry(plan, r, "ops", coreNow.Add(time.Hour)); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if b := r.State.Branch(1); b.Attempt != 1 || b.Activation != 1 || b.State != BranchReady {
			t.Fatalf("branch %+v, want attempt 1 of activation 1", b)
		}
		mustAdvance(t, plan, r, 1, Outcome{Kind: Failed, Err: errTransient()}, coreNow.Add(time.Hour))
		if b := r.State.Branch(1); r.Status != workflow.StatusRunning || b.State != BranchWaiting || b.Wait != WaitRetry || b.Attempt != 2 {
			t.Fatalf("status %s, branch %+v: a retried run gets its retries again", r.Status, b)
		}
	})

	t.Run("only failed runs", func(t *testing.T) {
		t.Parallel()
		plan := cb.compile(t, defTask("ask", "after"), defAction("after"))
		tests := []struct {
			name    string
			prepare func(r *Run)
		}{
			{"running", func(r *Run) {}},
			{"paused", func(r *Run) {
				mustAdvance(t, plan, r, 1, Outcome{Kind: Waiting, Wait: WaitTask, TaskID: "t1"}, coreNow)
			}},
			{"completed", func(r *Run) {
				mustAdvance(t, plan, r, 1, Outcome{Kind: Waiting, Wait: WaitTask, TaskID: "t1"}, coreNow)
				if _, err := CompleteTask(plan, r, "t1", nil, "rep", coreNow); err != nil {
					t.Fatalf("complete: %v", err)
				}
				mustAdvance(t, plan, r, 1, Outcome{Kind: Completed}, coreNow)
			}},
			{"cancelled", func(r *Run) {
				if _, err := Cancel(plan, r, "ops", coreNow); err != nil {
					t.Fatalf("cancel: %v", err)
				}
			}},
		}
		for _, tt := range tests {
			r := Start(plan, "run-not-failed", startVars(), coreNow)
			tt.prepare(r)
			status := r.Status
			if _, err := Retry(plan, r, "ops", coreNow); !errors.Is(err, ErrNotFailed) || r.Status != status {
				t.Fatalf("%s: retry: %v (status now %s), want ErrNotFailed", tt.name, err, r.Status)
			}
		}
	})
}

func TestCoreActivations(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)

	t.Run("each entered step gets the next number", func(t *testing.T) {
		t.Parallel()
		plan := cb.compile(t, defAction("a", "fan"), defParallel("fan", []string{"b", "c"}, "e"), defAction("b"),
			withErrors(defAction("c", "d"), workflow.ErrorHandling{OnError: workflow.OnErrorRetry, RetryCount: 2, RetryDelay: 5}),
			defAction("d"), defAction("e"))
		r := Start(plan, "run-act", startVars(), coreNow)
		var keys []string
		advance := func(id int, o Outcome) {
			t.Helper()
			b := r.State.Branch(id)
			keys = append(keys, IdempotencyKey(r.ID, b.Step, b.Activation))
			mustAdvance(t, plan, r, id, o, coreNow)
		}
		advance(1, Outcome{Kind: Completed})                   // a
		advance(1, Outcome{Kind: Forked})                      // fan: 1 → b, 3 → c
		advance(3, Outcome{Kind: Failed, Err: errTransient()}) // c, attempt 1
		FireTimers(plan, r, coreNow.Add(5*time.Second))
		advance(3, Outcome{Kind: Completed}) // c, attempt 2
		advance(1, Outcome{Kind: Completed}) // b
		advance(3, Outcome{Kind: Completed}) // d, then the join enters e on branch 3
		advance(3, Outcome{Kind: Completed}) // e
		want := []string{"run-act:a:1", "run-act:fan:2", "run-act:c:4", "run-act:c:4", "run-act:b:3", "run-act:d:5", "run-act:e:6"}
		if !slices.Equal(keys, want) {
			t.Fatalf("keys %v, want %v", keys, want)
		}
		if r.Status != workflow.StatusCompleted || r.State.Seq != 6 {
			t.Fatalf("status %s, seq %d", r.Status, r.State.Seq)
		}
	})

	t.Run("a later visit of a step is a new activation", func(t *testing.T) {
		t.Parallel()
		plan := cb.compile(t, defDelay("nap", 60, "check"), defCondition("check", "x > 5", []string{"done"}, []string{"nap"}), defAction("done"))
		r := Start(plan, "run-loop", startVars(), coreNow)
		checks := 0
		d := newDriver(t, plan, r, map[string]func(int) Outcome{"check": func(int) Outcome {
			checks++
			return Outcome{Kind: Completed, Next: plan.Step("check").Successors(checks > 1)}
		}}, nil)
		d.fireTimers = true
		d.runToIdle()
		want := map[int64]string{1: "nap", 2: "check", 3: "nap", 4: "check", 5: "done"}
		if !reflect.DeepEqual(d.seenAct, want) {
			t.Fatalf("activations %v, want %v", d.seenAct, want)
		}
		if r.Status != workflow.StatusCompleted || countLog(d.log, "nap", workflow.LogCompleted) != 2 {
			t.Fatalf("status %s; log %s", r.Status, strings.Join(logLines(d.log), ", "))
		}
	})

	t.Run("key format", func(t *testing.T) {
		t.Parallel()
		if got, want := IdempotencyKey("exec-1", "send_mail", 7), "exec-1:send_mail:7"; got != want {
			t.Fatalf("key %q, want %q", got, want)
		}
	})
}

func TestCoreStatusRules(t *testing.T) {
	t.Parallel()
	ready := Branch{State: BranchReady, Phase: PhaseEnter}
	task := Branch{State: BranchWaiting, Wait: WaitTask, TaskID: "t"}
	at := coreNow.Add(time.Hour)
	delay := Branch{State: BranchWaiting, Wait: WaitDelay, WakeAt: &at}
	backoff := Branch{State: BranchWaiting, Wait: WaitRetry, WakeAt: &at}
	tests := []struct {
		name     string
		branches []Branch
		failed   string
		want     workflow.ExecutionStatus
	}{
		{"no live branch", nil, "", workflow.StatusCompleted},
		{"a ready branch", []Branch{ready}, "", workflow.StatusRunning},
		{"a delay", []Branch{delay}, "", workflow.StatusRunning},
		{"a retry backoff", []Branch{backoff}, "", workflow.StatusRunning},
		{"one task", []Branch{task}, "", workflow.StatusPaused},
		{"two tasks", []Branch{task, task}, "", workflow.StatusPaused},
		{"a task and a ready branch", []Branch{task, ready}, "", workflow.StatusRunning},
		{"a task and a delay", []Branch{task, delay}, "", workflow.StatusRunning},
		{"a task and a retry backoff", []Branch{backoff, task}, "", workflow.StatusRunning},
		{"a failed step", []Branch{{State: BranchFailed}, {State: BranchHalted, Wait: WaitTask}}, "s", workflow.StatusFailed},
	}
	for _, tt := range tests {
		for _, from := range []workflow.ExecutionStatus{workflow.StatusRunning, workflow.StatusPaused} {
			t.Run(fmt.Sprintf("%s from %s", tt.name, from), func(t *testing.T) {
				t.Parallel()
				branches := slices.Clone(tt.branches)
				for i := range branches {
					branches[i].ID = i + 1
				}
				r := &Run{Status: from, FailedStep: tt.failed, State: State{Branches: branches}}
				c := &change{r: r, now: coreNow}
				c.settle()
				if r.Status != tt.want {
					t.Fatalf("status %s, want %s", r.Status, tt.want)
				}
				if finished := r.CompletedAt != nil; finished != tt.want.Finished() {
					t.Fatalf("completedAt %v for status %s", r.CompletedAt, r.Status)
				}
			})
		}
	}

	t.Run("a task beside a delay", func(t *testing.T) {
		t.Parallel()
		cb := setupCore(t)
		plan := cb.compile(t, defAction("start", "ask", "nap"), defTask("ask"), defDelay("nap", 60))
		r := Start(plan, "run-mixed", startVars(), coreNow)
		mustAdvance(t, plan, r, 1, Outcome{Kind: Completed}, coreNow) // 1 → ask, 2 → nap
		mustAdvance(t, plan, r, 1, Outcome{Kind: Waiting, Wait: WaitTask, TaskID: "t1"}, coreNow)
		mustAdvance(t, plan, r, 2, Outcome{Kind: Waiting, Wait: WaitDelay, WakeAt: coreNow.Add(time.Minute)}, coreNow)
		if r.Status != workflow.StatusRunning {
			t.Fatalf("status %s with a delay running beside the task, want running", r.Status)
		}
		FireTimers(plan, r, coreNow.Add(time.Minute))
		mustAdvance(t, plan, r, 2, Outcome{Kind: Completed}, coreNow.Add(time.Minute))
		if r.Status != workflow.StatusPaused {
			t.Fatalf("status %s with only the task left, want paused", r.Status)
		}
	})
}

func BenchmarkAdvanceLinear(b *testing.B) {
	cb := setupCore(b)
	steps := make([]workflow.Step, 10)
	for i := range steps {
		steps[i] = defAction(fmt.Sprintf("s%d", i+1))
		if i < len(steps)-1 {
			steps[i].NextSteps = []string{fmt.Sprintf("s%d", i+2)}
		}
	}
	plan := cb.compile(b, steps...)
	out := Outcome{Kind: Completed, Output: map[string]any{"x": 1.0}, Vars: map[string]any{"x": 1.0}, Message: "Set x"}
	b.ReportAllocs()
	for b.Loop() {
		r := Start(plan, "run-bench", map[string]any{"x": nil}, coreNow)
		id := r.State.Branches[0].ID
		for range len(steps) {
			if _, err := Advance(plan, r, id, out, coreNow); err != nil {
				b.Fatal(err)
			}
		}
		if r.Status != workflow.StatusCompleted {
			b.Fatalf("status %s", r.Status)
		}
	}
}

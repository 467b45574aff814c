package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// errDatabase is what an action hands on when the database dropped its connection, classified by the action
// as anything at all; the shell marks such an outcome Infrastructure (store.IsInfrastructure).
func errDatabase(permanent bool) error {
	err := errors.New(`find email template "welcome": FATAL: terminating connection due to administrator command (SQLSTATE 57P01)`)
	if permanent {
		return workflow.Permanent(workflow.ClassOther, err)
	}
	return workflow.Transient(workflow.ClassOther, err)
}

func infraFailure(permanent bool) Outcome {
	return Outcome{Kind: Failed, Err: errDatabase(permanent), Infrastructure: true}
}

func TestCoreInfrastructureErrorsAreRetriedWhateverOnError(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	tests := []struct {
		name      string
		eh        *workflow.ErrorHandling
		permanent bool // how the action classified the database's error
	}{
		{"no errorHandling (fails on its first error)", nil, false},
		{"onError fail", &workflow.ErrorHandling{OnError: workflow.OnErrorFail}, false},
		{"onError continue", &workflow.ErrorHandling{OnError: workflow.OnErrorContinue}, false},
		{"onError retry", &workflow.ErrorHandling{OnError: workflow.OnErrorRetry, RetryCount: 3, RetryDelay: 600}, false},
		{"onError retry, error marked permanent", &workflow.ErrorHandling{OnError: workflow.OnErrorRetry, RetryCount: 3, RetryDelay: 600}, true},
		{"no errorHandling, error marked permanent", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			step := defAction("mail", "done")
			step.ErrorHandling = tt.eh
			plan := cb.compile(t, step, defAction("done"))
			r := Start(plan, "run-infra", startVars(), coreNow)
			id, activation := r.State.Branches[0].ID, r.State.Branches[0].Activation
			now := coreNow
			for i, wantWait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
				tr := mustAdvance(t, plan, r, id, infraFailure(tt.permanent), now)
				wantLog(t, tr.Log, "mail started", "mail failed")
				wantStart := "Step started"
				if i > 0 {
					wantStart = "Step started (trying again: the database did not answer)"
				}
				if tr.Log[0].Message != wantStart {
					t.Fatalf("try %d started with %q, want %q", i+1, tr.Log[0].Message, wantStart)
				}
				e := tr.Log[1]
				wantMsg := fmt.Sprintf("The database did not answer (%s); trying the step again in %s — an infrastructure retry, not the step's failure",
					errDatabase(false), wantWait)
				if e.Message != wantMsg || e.Reason != workflow.ClassInfrastructure {
					t.Fatalf("try %d logged %q with reason %q, want %q with reason %q", i+1, e.Message, e.Reason, wantMsg, workflow.ClassInfrastructure)
				}
				b := r.State.Branch(id)
				if r.Status != workflow.StatusRunning || r.FailedStep != "" || r.Error != "" || r.Outputs["mail"] != nil {
					t.Fatalf("after try %d: run %s, failed step %q, error %q, output %v; want running, untouched", i+1, r.Status, r.FailedStep, r.Error, r.Outputs["mail"])
				}
				if b.State != BranchWaiting || b.Wait != WaitRetry || b.Phase != PhaseEnter || b.WakeAt == nil ||
					!b.WakeAt.Equal(now.Add(wantWait)) || b.Attempt != 1 || b.Activation != activation || b.InfraRetries != i+1 {
					t.Fatalf("after try %d: branch %+v; want waiting %s for a retry of attempt 1, activation %d", i+1, b, wantWait, activation)
				}
				if tr.CancelTasks || tr.Continue != 0 || len(tr.Ready) != 0 {
					t.Fatalf("after try %d: transition %+v; want nothing to run until the timer", i+1, tr)
				}
				now = *b.WakeAt
				if fired := FireTimers(plan, r, now); !slices.Equal(fired.Ready, []int{id}) {
					t.Fatalf("the retry timer at its time: %+v, want branch %d ready", fired, id)
				}
			}
			tr := mustAdvance(t, plan, r, id, Outcome{Kind: Completed}, now)
			wantLog(t, tr.Log, "mail started", "mail completed")
			if b := r.State.Branch(id); b == nil || b.Step != "done" || b.InfraRetries != 0 {
				t.Fatalf("the next step's branch %+v, want done with no infrastructure retries", b)
			}
			mustAdvance(t, plan, r, id, Outcome{Kind: Completed}, now)
			if r.Status != workflow.StatusCompleted {
				t.Fatalf("status %s, want completed", r.Status)
			}
		})
	}
}

func TestCoreInfrastructureRetriesLeaveTheStepsOwnAttemptsAlone(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	plan := cb.compile(t, withErrors(defAction("flaky"), workflow.ErrorHandling{OnError: workflow.OnErrorRetry, RetryCount: 1, RetryDelay: 600}))
	r := Start(plan, "run-mixed", startVars(), coreNow)
	id := r.State.Branches[0].ID
	now := coreNow
	step := func(o Outcome) Transition {
		t.Helper()
		tr := mustAdvance(t, plan, r, id, o, now)
		if b := r.State.Branch(id); b != nil && b.WakeAt != nil {
			now = *b.WakeAt
			FireTimers(plan, r, now)
		}
		return tr
	}
	step(infraFailure(false))
	step(infraFailure(false)) // two tries cut short: the next one would wait 4s
	tr := step(Outcome{Kind: Failed, Err: errTransient()})
	if msg := tr.Log[1].Message; msg != "Attempt 1 of 2 failed: 503 Service Unavailable. Retrying in 10 minutes." || tr.Log[1].Reason != workflow.ClassHTTP5xx {
		t.Fatalf("the step's own failure logged %q (%s); its attempts must not count the database's", msg, tr.Log[1].Reason)
	}
	if b := r.State.Branch(id); b.Attempt != 2 || b.InfraRetries != 0 {
		t.Fatalf("after the step's own failure: branch %+v, want attempt 2 with its patience for the database renewed", b)
	}
	tr = step(infraFailure(false))
	if b := r.State.Branch(id); !strings.Contains(tr.Log[1].Message, "again in 1s") || b.Attempt != 2 {
		t.Fatalf("attempt 2 cut short: %q, branch %+v; want a 1s wait and still attempt 2", tr.Log[1].Message, b)
	}
	if tr.Log[0].Message != "Attempt 2 started" {
		t.Fatalf("attempt 2 started with %q", tr.Log[0].Message)
	}
	tr = step(Outcome{Kind: Failed, Err: errTransient()})
	if r.Status != workflow.StatusFailed || r.Error != `Step "Step flaky" (flaky) failed: 503 Service Unavailable (after 2 attempts)` {
		t.Fatalf("status %s, error %q; want failed after the step's own 2 attempts", r.Status, r.Error)
	}
	wantLog(t, tr.Log, "flaky started", "flaky failed")
}

func TestCoreInfrastructureRetriesEndAfterAnHour(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	tests := []struct {
		name     string
		eh       *workflow.ErrorHandling
		tries    int // infrastructure retries already made
		status   workflow.ExecutionStatus
		wantLog  []string
		wantWait time.Duration
	}{
		{"the 65th retry still waits", nil, 64, workflow.StatusRunning, []string{"db started", "db failed"}, time.Minute},
		{"after an hour the step fails", nil, 65, workflow.StatusFailed, []string{"db started", "db failed"}, 0},
		{"after an hour onError continue goes on", &workflow.ErrorHandling{OnError: workflow.OnErrorContinue}, 65,
			workflow.StatusCompleted, []string{"db started", "db skipped"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			step := defAction("db")
			step.ErrorHandling = tt.eh
			plan := cb.compile(t, step)
			r := Start(plan, "run-cap", startVars(), coreNow)
			b := &r.State.Branches[0]
			b.InfraRetries = tt.tries
			tr := mustAdvance(t, plan, r, b.ID, infraFailure(false), coreNow)
			wantLog(t, tr.Log, tt.wantLog...)
			if r.Status != tt.status {
				t.Fatalf("status %s, want %s; log %q", r.Status, tt.status, tr.Log[1].Message)
			}
			if tt.wantWait > 0 {
				if b := r.State.Branch(b.ID); b.WakeAt == nil || !b.WakeAt.Equal(coreNow.Add(tt.wantWait)) {
					t.Fatalf("branch %+v, want a wait of %s", b, tt.wantWait)
				}
				return
			}
			if e := tr.Log[1]; e.Reason == workflow.ClassInfrastructure || !strings.Contains(e.Message, "the database did not answer through 66 tries over 1 hour") {
				t.Fatalf("the failure after an hour: %q (%s); want the step's own failure saying how long the database was tried", e.Message, e.Reason)
			}
			if tt.status == workflow.StatusFailed {
				if _, err := Retry(plan, r, "ops", coreNow); err != nil {
					t.Fatal(err)
				}
				if b := r.State.Branch(b.ID); b.InfraRetries != 0 || b.State != BranchReady {
					t.Fatalf("after an operator's retry: branch %+v, want ready with its patience renewed", b)
				}
			}
		})
	}
}

func TestInfraRetryWaits(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 6: 32 * time.Second,
		7: time.Minute, 50: time.Minute, 1000: time.Minute} {
		if got := InfraRetryWait(n); got != want {
			t.Errorf("InfraRetryWait(%d) = %s, want %s", n, got, want)
		}
	}
	// 1+2+4+8+16+32 s, then a minute each: the 65th retry starts after 59 minutes of waiting, the 66th would
	// start after an hour.
	if !InfraRetryAllowed(1) || !InfraRetryAllowed(65) || InfraRetryAllowed(66) {
		t.Errorf("InfraRetryAllowed(1, 65, 66) = %t, %t, %t; want true, true, false", InfraRetryAllowed(1), InfraRetryAllowed(65), InfraRetryAllowed(66))
	}
}
